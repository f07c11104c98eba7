"""`--input-shape NAME=SHAPE` (and `input-shapes` in the settings) gives an Input or a model its shape."""

import json

from click.testing import CliRunner

from archlint.cli import main

SOURCE = """\
import keras
from keras import layers

model = keras.Sequential([layers.Conv2D(8, 3), layers.Flatten(), layers.Dense(2)])

inputs = keras.Input(shape=(None, None, 3), name="image")
net = keras.Model(inputs, layers.Conv2D(4, 3)(inputs))
"""


def report(tmp_path, *options):
    path = tmp_path / "model.py"
    path.write_text(SOURCE)
    result = CliRunner().invoke(main, ["check", "--format", "json", "--fail-on", "never", *options, str(path)])
    assert result.exit_code == 0, result.output
    document = json.loads(result.output)["files"][0]
    return {m["symbol"]: m for m in document["models"]}, [d["code"] for d in document["diagnostics"]]


def test_without_shapes_the_sequential_has_no_input(tmp_path):
    models, codes = report(tmp_path)
    assert "AL302" in codes
    assert models["model"]["complete"] is False


def test_a_model_symbol_gets_its_input_shape(tmp_path):
    models, codes = report(tmp_path, "--input-shape", "model=32,32,3")
    model = models["model"]
    assert model["inputs"][0]["shape"] == [None, 32, 32, 3]
    # Conv2D(8, 3) on 32x32x3: 30x30x8 and 3*3*3*8 + 8 = 224; Dense(2) on 30*30*8 = 7200 features: 14402.
    assert [row["output_shape"] for row in model["layers"]] == [[None, 30, 30, 8], [None, 7200], [None, 2]]
    assert model["total_params"] == 224 + 7200 * 2 + 2
    assert "AL302" not in codes


def test_an_input_name_gets_its_shape_with_named_sizes(tmp_path):
    models, _ = report(tmp_path, "--input-shape", "image=H,64,3")
    assert models["net"]["inputs"] == [{"name": "image", "shape": [None, "H", 64, 3]}]
    # Conv2D(4, 3), valid padding: H - 3 + 1 = H - 2, and 64 - 3 + 1 = 62 on the known axis.
    assert models["net"]["layers"][-1]["output_shape"] == [None, "H - 2", 62, 4]
    # An output of at least 1 needs H - 2 >= 1: every H from 3 on.
    assert models["net"]["accepted_sizes"] == {"H": {"below": [], "start": 3, "period": 1, "residues": [0]}}


def test_settings_file_input_shapes(tmp_path):
    (tmp_path / "pyproject.toml").write_text('[tool.archlint]\ninput-shapes = { model = "8,8,1" }\n')
    models, _ = report(tmp_path)
    # Conv2D(8, 3) on 8x8x1: 6x6x8 with 3*3*1*8 + 8 = 80 params; Dense(2) on 288 features: 578.
    assert models["model"]["total_params"] == 80 + 288 * 2 + 2
