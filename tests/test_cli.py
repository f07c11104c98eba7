"""The command line as scripts and CI jobs use it (../shared/spec/interface.md)."""

import json
import os
import pathlib
import subprocess
import sys

import pytest
from click.testing import CliRunner

from archlint import __version__
from archlint.cli import main

REPO = pathlib.Path(__file__).resolve().parent.parent
SEED_DENSE = """\
import tensorflow as tf

inputs = tf.zeros((64, 10, 20))
outputs = tf.keras.layers.Dense(30)(inputs)
"""
BROKEN_CONV = """\
import keras
from keras import layers

model = keras.Sequential([
    keras.Input(shape=(4, 4, 3)),
    layers.Conv2D(8, 5),
])
"""


def run(args, **kwargs):
    return CliRunner().invoke(main, args, catch_exceptions=False, **kwargs)


@pytest.fixture
def write(tmp_path):
    def write(name, text):
        path = tmp_path / name
        path.write_text(text)
        return str(path)
    return write


def test_version():
    assert run(["--version"]).output.strip() == f"archlint, version {__version__}"


def test_text_table_and_clean_exit(write):
    result = run(["check", write("dense.py", SEED_DENSE)])
    assert result.exit_code == 0
    assert "dense (Dense)" in result.output
    assert "(64, 10, 30)" in result.output
    # 20 * 30 + 30 parameters
    assert "630" in result.output


def test_json_report_fields(write):
    result = run(["check", "--output-format", "json", write("dense.py", SEED_DENSE)])
    report = json.loads(result.output)
    assert report["archlint_version"] == __version__
    assert report["summary"] == {"files": 1, "models": 1, "errors": 0, "warnings": 0, "infos": 0}
    model = report["files"][0]["models"][0]
    assert model["symbol"] == "<module>"
    assert model["layers"][0] | {"line": None} == {
        "name": "dense", "type": "Dense", "line": None, "output_shape": [64, 10, 30], "params": 630,
        "trainable_params": 630, "non_trainable_params": 0, "inbound": [],
        # beyond the spec: the concrete batch of 64 rows of 10 meets the 20 x 30 kernel; 64 * 10 * 30 floats out
        "macs": 64 * 10 * 20 * 30, "activation_bytes": 64 * 10 * 30 * 4,
        "via": [], "call_ids": [],  # made at the top level: no call led there
    }
    assert (model["total_params"], model["complete"], model["verified"]) == (630, True, None)


def test_error_exit_status_and_location(write):
    path = write("broken.py", BROKEN_CONV)
    result = run(["check", "--format", "json", path])
    assert result.exit_code == 1
    diagnostic = json.loads(result.output)["files"][0]["diagnostics"][0]
    # (4 - 5) / 1 + 1 = 0: Conv2D on line 6 leaves no spatial positions.
    assert (diagnostic["code"], diagnostic["severity"], diagnostic["line"], diagnostic["symbol"]) == ("AL101", "error", 6, "model")


@pytest.mark.parametrize("args, status", [
    (["--fail-on", "never"], 0),
    (["--exit-zero"], 0),
    (["--ignore", "AL1"], 0),
    (["--select", "AL2"], 0),
    (["--select", "AL101"], 1),
])
def test_exit_status_options(write, args, status):
    assert run(["check", *args, write("broken.py", BROKEN_CONV)]).exit_code == status


def test_syntax_error_is_al001(write):
    result = run(["check", write("bad.py", "def f(:\n")])
    assert result.exit_code == 1
    assert ":1:" in result.output and "AL001" in result.output


def test_missing_file_is_exit_2(tmp_path):
    result = CliRunner().invoke(main, ["check", str(tmp_path / "nope.py")])
    assert result.exit_code == 2


def test_output_file(write, tmp_path):
    target = tmp_path / "report.json"
    result = run(["check", "--format", "json", "-o", str(target), write("dense.py", SEED_DENSE)])
    assert result.output == ""
    assert json.loads(target.read_text())["summary"]["models"] == 1


def test_directory_is_searched_in_order(tmp_path):
    (tmp_path / "b.py").write_text(SEED_DENSE)
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "a.py").write_text(SEED_DENSE)
    report = json.loads(run(["check", "--format", "json", str(tmp_path)]).output)
    assert [pathlib.Path(f["path"]).name for f in report["files"]] == ["b.py", "a.py"]


def test_python_dash_m(write):
    result = subprocess.run([sys.executable, "-m", "archlint", "check", "--format", "json", write("d.py", SEED_DENSE)],
                            capture_output=True, text=True)
    assert result.returncode == 0
    assert json.loads(result.stdout)["files"][0]["models"][0]["total_params"] == 630


def test_checked_code_never_runs(tmp_path):
    marker = tmp_path / "ran"
    source = f"""\
import os
import keras
open({str(marker)!r}, "w").write("top level")
os.system("touch {marker}")

def build(path=open({str(marker)!r}, "w")):
    os.system("touch {marker}")
    return keras.Sequential([keras.Input(shape=(3,)), keras.layers.Dense(2)])

model = build()
"""
    path = tmp_path / "hostile.py"
    path.write_text(source)
    report = json.loads(run(["check", "--format", "json", str(path)]).output)
    assert not marker.exists()
    assert report["files"][0]["models"][0]["total_params"] == 3 * 2 + 2
