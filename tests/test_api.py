"""The library API: archlint.check_source / check_paths and the plain report they return."""

import dataclasses
import json
import pickle
import subprocess
import sys

import pytest
from click.testing import CliRunner

import archlint
from archlint.cli import main
from archlint.results import FileReport, LayerRow, Report

MODEL = """import keras
model = keras.Sequential([keras.Input(shape=(8, 8, 3)), keras.layers.Conv2D(4, 3), keras.layers.Flatten(),
                          keras.layers.Dense(2)])
"""
BROKEN_KERNEL = "import keras\nm = keras.Sequential([keras.Input(shape=(4, 4, 3)), keras.layers.Conv2D(8, 5)])\n"


def test_check_source_gives_the_models_with_their_costs():
    report = archlint.check_source(MODEL, "model.py", config=False)
    assert isinstance(report, Report) and report.failures == ()
    (file,) = report.files
    # The Dense holds 290 of the 402 parameters, over the default 50% share AL202 allows.
    assert file.path == "model.py" and [d.code for d in file.diagnostics] == ["AL202"]
    (model,) = file.models
    conv, flatten, dense = model.layers
    # Conv2D(4, 3) on 8x8x3: a 6x6x4 output; 3*3*3*4 + 4 weights; 6*6*4 outputs of 3*3*3 MACs each.
    assert (conv.output_shape, conv.params, conv.macs) == ((None, 6, 6, 4), 3 * 3 * 3 * 4 + 4, 6 * 6 * 4 * 27)
    assert conv.activation_bytes == 6 * 6 * 4 * 4  # float32 outputs
    assert (flatten.output_shape, flatten.params) == ((None, 144), 0)
    assert (dense.params, dense.macs, dense.inbound) == (144 * 2 + 2, 144 * 2, ("flatten",))
    assert model.total_params == 112 + 290
    assert conv.param_share == pytest.approx(112 / 402) and dense.applications == 1


def test_the_report_is_frozen_and_picklable():
    report = archlint.check_source(BROKEN_KERNEL, "broken.py", config=False)
    assert pickle.loads(pickle.dumps(report)) == report
    with pytest.raises(dataclasses.FrozenInstanceError):
        report.files[0].models[0].layers[0].params = 1
    assert all(isinstance(row, LayerRow) for row in report.files[0].models[0].layers)


def test_to_json_is_what_the_command_line_prints(tmp_path):
    path = tmp_path / "broken.py"
    path.write_text(BROKEN_KERNEL)
    printed = CliRunner().invoke(main, ["check", "--format", "json", str(path)])
    report = archlint.check_paths([str(path)])
    assert report.to_json() == printed.stdout
    assert [d["code"] for d in json.loads(report.to_json())["files"][0]["diagnostics"]] == ["AL101"]
    assert report.fails and report.worst_severity == "error"


def test_settings_are_keyword_arguments():
    assert [d.code for d in archlint.check_source(BROKEN_KERNEL, "a.py", config=False).diagnostics] == ["AL101"]
    assert list(archlint.check_source(BROKEN_KERNEL, "a.py", config=False, ignore=["AL1"]).diagnostics) == []
    report = archlint.check_source(BROKEN_KERNEL, "a.py", config=False, severity={"AL101": "info"}, fail_on="warning")
    assert [d.severity for d in report.diagnostics] == ["info"] and not report.fails
    with pytest.raises(archlint.ConfigError):
        archlint.check_source(MODEL, config=False, select=["no-such-rule"])
    with pytest.raises(archlint.ConfigError):
        archlint.check_source(MODEL, config=False, colour=True)


def test_one_unreadable_file_never_costs_the_others_their_report(tmp_path):
    (tmp_path / "good.py").write_text(MODEL)
    missing = tmp_path / "missing.py"
    report = archlint.check_paths([tmp_path, missing], config=False)
    assert [f.path for f in report.files] == [str(tmp_path / "good.py")]
    (failure,) = report.failures
    assert failure.path == str(missing) and failure.message.startswith(f"cannot read {missing}: ")


def test_an_internal_error_is_a_failure_with_its_traceback(monkeypatch):
    from archlint.evaluate import interpreter

    def fail(evaluator):
        raise KeyError("a bug in archlint")

    monkeypatch.setattr(interpreter.Evaluator, "run_module", fail)
    report = archlint.check_source(MODEL, "crash.py", config=False)
    assert report.files == ()
    (failure,) = report.failures
    assert failure.message == "internal error on crash.py: KeyError: 'a bug in archlint'"
    assert "Traceback" in failure.traceback


def test_the_path_picks_the_reader():
    cells = [{"cell_type": "markdown", "source": "# a model"}, {"cell_type": "code", "source": BROKEN_KERNEL}]
    notebook = json.dumps({"cells": cells, "metadata": {}, "nbformat": 4, "nbformat_minor": 5})
    (finding,) = archlint.check_source(notebook, "model.ipynb", config=False).diagnostics
    assert (finding.code, finding.cell, finding.line) == ("AL101", 1, 2)  # cells count code cells only


def test_verify_runs_the_numpy_runtime():
    (model,) = archlint.check_source(MODEL, "model.py", config=False, verify=True).files[0].models
    assert model.verified is True
    assert archlint.check_source(MODEL, "model.py", config=False).files[0].models[0].verified is None


def test_importing_archlint_loads_no_analysis():
    code = ("import sys, archlint; assert not [m for m in sys.modules if m.startswith(('archlint.', 'libcst', "
            "'networkx', 'numpy')) and m != 'archlint.version'], sorted(sys.modules); print(archlint.check_source('x = 1\\n', config=False).files)")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == repr((FileReport("<string>"),))


def test_a_model_gives_its_layer_graph_to_networkx():
    nx = pytest.importorskip("networkx")
    report = archlint.check_source(
        "import keras\n"
        "from keras import layers\n"
        "x = keras.Input((8, 8, 3))\n"
        "a = layers.Conv2D(4, 3, padding='same')(x)\n"
        "b = layers.Conv2D(4, 1)(x)\n"
        "y = layers.GlobalAveragePooling2D()(layers.Add()([a, b]))\n"
        "model = keras.Model(x, y)\n", config=False)
    graph = report.files[0].models[0].to_networkx()
    # input -> two convolutions -> add -> pooling: five layers, five tensors between them
    assert graph.number_of_nodes() == 5 and graph.number_of_edges() == 5
    assert nx.is_directed_acyclic_graph(graph) and nx.dag_longest_path_length(graph) == 3
    assert sorted(graph.predecessors("add")) == ["conv2d", "conv2d_1"]
    assert graph.nodes["conv2d"]["params"] == (3 * 3 * 3 + 1) * 4
    assert graph.nodes["conv2d_1"]["output_shape"] == (None, 8, 8, 4)
