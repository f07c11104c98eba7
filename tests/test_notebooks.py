"""Jupyter notebooks: code cells checked as one program, every finding and layer located in its own cell."""

import ast
import json
import pathlib

import pytest
from click.testing import CliRunner

from archlint.cli import main
from archlint.config import Settings
from archlint.lint import lint_file
from tests.fixture_compare import mismatches

REPO = pathlib.Path(__file__).resolve().parent.parent
FIXTURES = sorted((REPO / "fixtures" / "models").glob("*.py")) + sorted((REPO / "fixtures" / "errors").glob("*.py"))
SHELL_CELL = ["%%bash\n", "echo this cell is not Python\n"]
SETUP_CELL = ["!pip install -q keras\n", "%matplotlib inline\n", "files = !ls\n"]


def notebook(cells: list[list[str]]) -> dict:
    return {"cells": [{"cell_type": "code", "metadata": {}, "execution_count": None, "outputs": [], "source": cell}
                      for cell in cells] + [{"cell_type": "markdown", "metadata": {}, "source": ["# notes\n"]}],
            "metadata": {}, "nbformat": 4, "nbformat_minor": 5}


def as_cells(source: str) -> tuple[list[list[str]], list[int]]:
    """The file cut into cells at its top-level statements, a setup cell of IPython commands first and a
    shell cell after the first statement; and the file line where each cell starts (None for the added)."""
    lines = source.splitlines(keepends=True)
    starts = sorted({min([stmt.lineno] + [d.lineno for d in getattr(stmt, "decorator_list", [])])
                     for stmt in ast.parse(source).body} | {1})
    cells, first_lines = [SETUP_CELL], [None]
    for index, start in enumerate(starts):
        end = starts[index + 1] if index + 1 < len(starts) else len(lines) + 1
        cells.append(lines[start - 1:end - 1])
        first_lines.append(start)
        if index == 0:
            cells.append(SHELL_CELL)
            first_lines.append(None)
    return cells, first_lines


@pytest.mark.parametrize("path", FIXTURES, ids=lambda p: f"{p.parent.name}/{p.stem}")
def test_a_notebook_reports_what_its_script_does_cell_by_cell(path, tmp_path):
    cells, first_lines = as_cells(path.read_text())
    notebook_path = tmp_path / f"{path.stem}.ipynb"
    notebook_path.write_text(json.dumps(notebook(cells), indent=1))
    script = lint_file(str(path), Settings())
    report = lint_file(str(notebook_path), Settings())

    def script_line(item):
        return first_lines[item.cell - 1] + item.line - 1

    truth = json.loads(path.with_suffix(".keras.json").read_text())
    if path.parent.name == "models":
        assert mismatches(report, truth, path.stem) == []
    assert [(d.code, script_line(d), d.column) for d in report.diagnostics] == \
        [(d.code, d.line, d.column) for d in script.diagnostics]
    for ours, theirs in zip(report.models, script.models, strict=True):
        assert [(row.name, row.line and script_line(row)) for row in ours.layers] == \
            [(row.name, row.line) for row in theirs.layers]
        assert ours.line is None or script_line(ours) == theirs.line


def test_ipython_syntax_is_inert_and_cells_of_other_languages_are_skipped(tmp_path):
    path = tmp_path / "explore.ipynb"
    path.write_text(json.dumps(notebook([
        ["import keras\n", "!nvidia-smi\n", "history = %time len([1, 2])\n", "keras.layers.Dense?\n"],
        ["%%writefile model.py\n", "this is not Python (\n"],
        ["%%time\n", "model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(3)])\n"],
    ])))
    result = CliRunner().invoke(main, ["check", "--format", "json", str(path)])
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)["files"][0]
    assert report["diagnostics"] == []
    (model,) = report["models"]
    assert (model["symbol"], model["total_params"], model["cell"], model["line"]) == ("model", 4 * 3 + 3, 3, 2)


def test_suppressions_work_inside_cells(tmp_path):
    path = tmp_path / "noisy.ipynb"
    path.write_text(json.dumps(notebook([
        ["import keras\n"],
        ["model = keras.Sequential([keras.Input((8, 8, 3)), keras.layers.Dense(2)])  # archlint: ignore[AL201]\n",
         "other = keras.Sequential([keras.Input((4,)), keras.layers.Dense(2)])  # archlint: ignore[AL101]\n"],
    ])))
    report = lint_file(str(path), Settings())
    assert [(d.code, d.cell, d.line) for d in report.diagnostics] == [("AL901", 2, 2)]


def test_a_file_that_is_not_a_notebook_is_a_finding_and_the_others_are_still_checked(tmp_path):
    (tmp_path / "broken.ipynb").write_text('{"cells": [')
    (tmp_path / "old.ipynb").write_text('{"worksheets": []}')
    (tmp_path / "model.py").write_text("import keras\nmodel = keras.Sequential([keras.Input((4,)), keras.layers.Dense(3)])\n")
    result = CliRunner().invoke(main, ["check", "--format", "json", str(tmp_path)])
    assert result.exit_code == 1, result.output
    files = {pathlib.Path(f["path"]).name: f for f in json.loads(result.stdout)["files"]}
    assert [d["code"] for d in files["broken.ipynb"]["diagnostics"]] == ["AL001"]
    assert [d["code"] for d in files["old.ipynb"]["diagnostics"]] == ["AL001"]
    assert files["model.py"]["models"][0]["total_params"] == 15


def test_directories_include_notebooks_but_not_their_checkpoints(tmp_path):
    (tmp_path / ".ipynb_checkpoints").mkdir()
    for path in (tmp_path / "a.ipynb", tmp_path / ".ipynb_checkpoints" / "a-checkpoint.ipynb"):
        path.write_text(json.dumps(notebook([["import keras\n"]])))
    result = CliRunner().invoke(main, ["check", "--format", "json", str(tmp_path)])
    assert [pathlib.Path(f["path"]).name for f in json.loads(result.stdout)["files"]] == ["a.ipynb"]


def test_text_report_names_the_cell(tmp_path):
    path = tmp_path / "small.ipynb"
    path.write_text(json.dumps(notebook([
        ["import keras\n"],
        ["x = keras.Input((3, 3, 1))\n", "y = keras.layers.Conv2D(2, 5)(x)\n"],
    ])))
    result = CliRunner().invoke(main, ["check", "-q", str(path)])
    assert f"{path}:cell 2:2:5: AL101 " in result.stdout


def test_a_continued_line_starting_with_an_operator_is_python_not_a_magic(tmp_path):
    path = tmp_path / "ops.ipynb"
    path.write_text(json.dumps(notebook([
        ["import keras\n", "units = (64\n", "         % 10)\n", "wide = (units\n", "        != 5)\n"],
        ["!nvidia-smi\n", "gap = (8\n", "       != 3)\n",
         "model = keras.Sequential([keras.Input((5,)), keras.layers.Dense(units if wide and gap else 1)])\n"],
    ])))
    report = lint_file(str(path), Settings())
    assert report.diagnostics == []
    assert report.models[0].total_params == 5 * 4 + 4  # 64 % 10 units


def sarif_results(path) -> list[dict]:
    from tests.test_reports import sarif_schema_validator

    document = json.loads(CliRunner().invoke(main, ["check", "--format", "sarif", str(path)]).stdout)
    assert not list(sarif_schema_validator().iter_errors(document))
    return document["runs"][0]["results"]


@pytest.mark.parametrize("one_string", [False, True], ids=["line-per-string", "cell-as-one-string"])
def test_sarif_points_at_the_notebook_text_where_the_code_is_written(tmp_path, one_string):
    cells = [
        ["import keras\n"],
        ["# caf\u00e9 \"quoted\" \\ text\n", "x = keras.Input((3, 3, 1))\n", "y = keras.layers.Conv2D(2, 5)(x)\n"],
    ]
    document = notebook(["".join(cell) for cell in cells] if one_string else cells)
    path = tmp_path / "small.ipynb"
    path.write_text(json.dumps(document, indent=1))  # Jupyter's layout; é is written \u00e9
    (result,) = sarif_results(path)
    region = result["locations"][0]["physicalLocation"]["region"]
    file_line = path.read_text().split("\n")[region["startLine"] - 1]
    code = "keras.layers.Conv2D(2, 5)(x)"
    assert file_line[region["startColumn"] - 1:].startswith(code)
    assert region["endLine"] == region["startLine"]
    assert file_line[region["startColumn"] - 1:region["endColumn"] - 1] == code
    assert result["locations"][0]["logicalLocations"] == [{"name": "cell 2"}]
    assert result["message"]["text"].startswith("cell 2, line 3: ")
    (annotation,) = CliRunner().invoke(main, ["check", "--format", "github", str(path)]).stdout.splitlines()
    assert f"line={region['startLine']},col={region['startColumn']}," in annotation
    assert f"endColumn={region['endColumn']}," in annotation and "::cell 2, line 3: " in annotation


def test_json_nested_too_deeply_is_a_finding(tmp_path):
    path = tmp_path / "deep.ipynb"
    path.write_text("[" * 100_000)
    assert [d.code for d in lint_file(str(path), Settings()).diagnostics] == ["AL001"]


def first_character(json_text: str) -> str:
    """The character a JSON string's text starts with: a plain one, an escape, or a surrogate pair's two escapes."""
    if json_text.startswith("\\u"):
        return json.loads('"' + (json_text[:12] if json_text[6:8] == "\\u" else json_text[:6]) + '"')[0]
    return json.loads('"' + json_text[:2 if json_text.startswith("\\") else 1] + '"')


@pytest.mark.parametrize("indent", [None, 1])
@pytest.mark.parametrize("ensure_ascii", [True, False])
def test_every_character_of_a_cell_is_found_in_the_notebook_text(indent, ensure_ascii):
    from archlint.report.notebook_text import NotebookText

    cells = [["x = 'caf\u00e9 \U0001f600'\t# \"quoted\" \\\\ back\\slash\n", "\n", "y = '\\u000a'\n"],
             "single = 'string'\nsecond = 2",
             ["%%bash\n", "echo other\n"]]
    document = {"metadata": {"kernelspec": {"name": "python3"}},
                "cells": [{"cell_type": "markdown", "source": ["# [not {code}\n"]}] +
                         [{"cell_type": "code", "execution_count": None, "outputs": [{"data": {"text/plain": ["]"]}}],
                           "source": source} for source in cells],
                "nbformat": 4, "nbformat_minor": 5}
    text = json.dumps(document, indent=indent, ensure_ascii=ensure_ascii)
    lines = text.split("\n")
    located = NotebookText(text)
    for number, source in enumerate(cells, start=1):
        for line_number, line in enumerate("".join(source).split("\n"), start=1):
            for column, char in enumerate(line, start=1):
                file_line, file_column = located.position(number, line_number, column)
                assert first_character(lines[file_line - 1][file_column - 1:]) == char, (number, line_number, column)
