"""The IPython extension, driven in process: `%%archlint` checks a cell without running it, `%archlint` the session."""

import subprocess
import sys
from unittest import mock

import pytest

pytest.importorskip("IPython")


@pytest.fixture
def shell(tmp_path, monkeypatch):
    from IPython.core.interactiveshell import InteractiveShell
    from traitlets.config import Config

    monkeypatch.chdir(tmp_path)  # no [tool.archlint] of the repository applies
    # The cells that run for real get a stand-in for Keras: the checks read the source, never this module.
    monkeypatch.setitem(sys.modules, "keras", mock.MagicMock())
    config = Config()
    config.HistoryManager.hist_file = ":memory:"
    InteractiveShell.clear_instance()
    ipython = InteractiveShell.instance(config=config)
    assert ipython.run_cell("%load_ext archlint", store_history=True).success
    yield ipython
    InteractiveShell.clear_instance()


def run(shell, code: str):
    result = shell.run_cell(code, store_history=True)
    assert result.error_in_exec is None and result.error_before_exec is None, result
    return result.result


BROKEN_CELL = """\
%%archlint
import keras
x = keras.Input((3, 3, 1))
y = keras.layers.Conv2D(2, 5)(x)
"""


def test_cell_magic_reports_the_broken_model_without_running_the_cell(shell):
    view = run(shell, BROKEN_CELL)
    assert [(d.code, d.cell, d.line) for d in view.diagnostics] == [("AL101", 2, 4)]  # In [2], the magic is line 1
    assert "AL101" in repr(view)
    assert "x" not in shell.user_ns and "y" not in shell.user_ns and "keras" not in shell.user_ns
    assert "AL101" in view._repr_html_()


def test_html_highlights_the_row_of_a_finding(shell):
    view = run(shell, "%%archlint\nimport keras\n"
                      "model = keras.Sequential([keras.Input((8, 8, 3)), keras.layers.Dense(2, name='head')])\n")
    assert [(d.code, d.layer) for d in view.diagnostics] == [("AL201", "head")]
    page = view._repr_html_()
    assert "<table>" in page
    (head_row,) = [line for line in page.splitlines() if line.startswith("<tr") and "head (Dense)" in line]
    assert "background" in head_row and "(None, 8, 8, 2)" in head_row
    assert "background" not in page.split("<tbody>")[1].split(head_row)[0]  # no other row is


def test_line_magic_reads_the_cells_run_before(shell):
    run(shell, "import keras\ninput_shape = (28, 28, 1)\n")
    run(shell, "model = keras.Sequential([keras.Input(input_shape), keras.layers.Flatten(), keras.layers.Dense(10)])\n")
    view = run(shell, "%archlint")
    (model,) = view.models
    assert (model.symbol, model.cell, model.line, model.complete) == ("model", 3, 1, True)
    assert model.total_params == 28 * 28 * 1 * 10 + 10
    assert [(row.type, row.output_shape) for row in model.layers] == [("Flatten", (None, 784)), ("Dense", (None, 10))]
    assert view.diagnostics == []


def test_cell_magic_knows_the_names_of_earlier_cells_and_shows_its_own_models(shell):
    run(shell, "import keras\nfrom keras import layers\nsize = 6\n")
    run(shell, "first = keras.Sequential([keras.Input((4,)), layers.Dense(3)])\n")
    view = run(shell, "%%archlint\nsecond = keras.Sequential([keras.Input((size, size, 1)), layers.Conv2D(2, 3)])\n")
    assert [(m.symbol, m.total_params) for m in view.models] == [("second", (3 * 3 * 1 + 1) * 2)]
    assert view.models[0].layers[0].output_shape == (None, 4, 4, 2)


def test_line_magic_shows_one_model_by_name(shell):
    run(shell, "import keras\nsmall = keras.Sequential([keras.Input((2,)), keras.layers.Dense(1)])\n")
    run(shell, "large = keras.Sequential([keras.Input((8,)), keras.layers.Dense(8)])\n")
    assert [m.symbol for m in run(shell, "%archlint large").models] == ["large"]
    missing = run(shell, "%archlint medium")
    assert "no model 'medium'" in repr(missing) and "small, large" in repr(missing)


def test_archlint_check_never_imports_ipython(tmp_path):
    (tmp_path / "model.py").write_text("import keras\nm = keras.Sequential([keras.Input((2,)), keras.layers.Dense(1)])\n")
    probe = (
        "import sys\n"
        "import archlint\n"
        "from archlint.cli import main\n"
        "try:\n"
        f"    main(['check', {str(tmp_path / 'model.py')!r}])\n"
        "except SystemExit:\n"
        "    pass\n"
        "print('IPython' in sys.modules)\n"
    )
    result = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, cwd=tmp_path)
    assert result.stdout.strip().splitlines()[-1] == "False", result.stderr
