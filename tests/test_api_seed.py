"""The library API on the seed examples, and its report as the command line prints it for .py, .ipynb and .md files."""

import json

import pytest
from click.testing import CliRunner

import archlint
from archlint.cli import main

# The three seed examples; the expected figures are the arithmetic their comments write out.
SEED_DENSE = """\
import tensorflow as tf

inputs = tf.zeros((64, 10, 20))  # (samples, height, width)
dense_layer = tf.keras.layers.Dense(30)
outputs = dense_layer(inputs)  # expect (64, 10, 30); params 20 * 30 + 30 = 630
"""
SEED_CONV = """\
import tensorflow as tf

batch_size = 64
pic = tf.zeros((batch_size, 300, 300, 3))

conv_layer = tf.keras.layers.Conv2D(filters=16, kernel_size=(5, 5), strides=(1, 1))
conv_out = conv_layer(pic)  # expect (64, 296, 296, 16); params (5*5*3 + 1) * 16 = 1216

pad_conv_layer = tf.keras.layers.Conv2D(filters=16, kernel_size=(5, 5), strides=(1, 1), padding="same")
pad_conv_out = pad_conv_layer(pic)  # expect (64, 300, 300, 16); params 1216
"""
SEED_POOL = """\
import tensorflow as tf

pic = tf.zeros((64, 300, 300, 3))
conv_out = tf.keras.layers.Conv2D(filters=16, kernel_size=(5, 5), strides=(1, 1))(pic)
pool_out = tf.keras.layers.MaxPool2D()(conv_out)  # expect (64, 148, 148, 16); params 0
"""
CONV_PARAMS = (5 * 5 * 3 + 1) * 16
VALID = (300 - 5) // 1 + 1  # (I - F + 2P) / S + 1 with P = 0
POOLED = (VALID - 2) // 2 + 1
BROKEN = """\
import keras
from keras import layers

model = keras.Sequential([keras.Input(shape=(4, 4, 3)), layers.Conv2D(8, 5)])
"""


@pytest.mark.parametrize(("source", "rows"), [
    (SEED_DENSE, [("Dense", (64, 10, 30), 20 * 30 + 30, 4)]),
    (SEED_CONV, [("Conv2D", (64, VALID, VALID, 16), CONV_PARAMS, 6), ("Conv2D", (64, 300, 300, 16), CONV_PARAMS, 9)]),
    (SEED_POOL, [("Conv2D", (64, VALID, VALID, 16), CONV_PARAMS, 4), ("MaxPooling2D", (64, POOLED, POOLED, 16), 0, 5)]),
], ids=["dense", "conv", "pool"])
def test_check_source_gives_the_seed_figures(source, rows):
    assert (VALID, POOLED, CONV_PARAMS) == (296, 148, 1216)
    report = archlint.check_source(source, "seed.py", config=False)
    (file,) = report.files
    assert file.path == "seed.py" and file.diagnostics == () and report.failures == ()
    (model,) = file.models
    assert [(row.type, row.output_shape, row.params, row.line) for row in model.layers] == rows
    assert model.total_params == sum(row[2] for row in rows) and model.complete


def as_notebook(source: str) -> str:
    cells = [{"cell_type": "code", "source": line} for line in source.splitlines(keepends=True)]
    return json.dumps({"cells": cells, "metadata": {}, "nbformat": 4, "nbformat_minor": 5})


@pytest.mark.parametrize(("name", "text"), [
    ("seed.py", SEED_CONV), ("broken.py", BROKEN), ("broken.ipynb", as_notebook(BROKEN)),
    ("post.md", "A post.\n\n```python\n" + BROKEN + "```\n\n```python\n" + SEED_POOL + "```\n"),
])
def test_a_report_is_exactly_the_json_the_command_line_prints(name, text, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / name).write_text(text)
    printed = CliRunner().invoke(main, ["check", "--format", "json", name]).stdout
    assert archlint.check_paths([name]).to_json() == printed
    assert archlint.check_source(text, name).to_json() == printed
    assert json.loads(printed)["files"][0]["path"] == name


def test_no_state_is_kept_between_calls():
    first = archlint.check_source(BROKEN, "model.py", config=False)
    assert [d.code for d in first.files[0].diagnostics] == ["AL101"]
    archlint.check_source(BROKEN, "model.py", config=False, ignore=["AL101"], input_shapes={"model": "9,9,3"})
    small = "import keras\nm = keras.Sequential([keras.Input((4,)), keras.layers.Dense(2)])\n"
    assert archlint.check_source(small, "model.py", config=False, verify=True).files[0].models[0].verified
    assert archlint.check_source(BROKEN, "model.py", config=False) == first


def test_input_shapes_and_markdown_lines():
    open_model = "import keras\nmodel = keras.Sequential([keras.layers.Dense(3)])\n"
    (model,) = archlint.check_source(open_model, "m.py", config=False, input_shapes={"model": "4"}).files[0].models
    assert (model.total_params, model.complete) == (4 * 3 + 3, True)
    post = "Text.\n\n```python\n" + BROKEN + "```\n"
    (finding,) = archlint.check_source(post, "post.md", config=False).files[0].diagnostics
    assert (finding.code, finding.line) == ("AL101", 3 + 4)
