"""archlint against the expected results real Keras produced for every fixture model."""

import json
import pathlib

import pytest

from archlint.analysis import analyze_file
from tests.fixture_compare import mismatches

FIXTURES = pathlib.Path(__file__).resolve().parent.parent / "fixtures"
# Multi-file packages: each package's model.py is the entry point; its other files are imported.
MODEL_FILES = sorted((FIXTURES / "models").glob("*.py")) + sorted((FIXTURES / "packages").glob("*/model.py"))
ERROR_FILES = sorted((FIXTURES / "errors").glob("*.py"))


def expected(path: pathlib.Path) -> dict:
    return json.loads(path.with_suffix(".keras.json").read_text())


def test_corpus_is_large_enough():
    assert len(MODEL_FILES) >= 40
    assert all(p.with_suffix(".keras.json").exists() for p in MODEL_FILES + ERROR_FILES)


@pytest.mark.parametrize("path", MODEL_FILES, ids=lambda p: p.stem if p.stem != "model" else p.parent.name)
def test_matches_keras(path):
    truth = expected(path)
    assert truth["error"] is None, "fixtures/models must build under Keras"
    report = analyze_file(str(path))
    assert mismatches(report, truth, path.stem) == []
    assert [d for d in report.diagnostics if d.severity == "error"] == []


@pytest.mark.parametrize("path", ERROR_FILES, ids=lambda p: p.stem)
def test_keras_rejection_is_an_error(path):
    """Each file Keras rejects gets an error from archlint, with the rule its first line names, at Keras's line."""
    truth = expected(path)
    assert truth["error"] is not None
    code = path.stem.split("_")[0].upper()
    report = analyze_file(str(path))
    errors = [(d.code, d.line) for d in report.diagnostics if d.severity == "error"]
    assert (code, truth["error"]["line"]) in errors, f"Keras: {truth['error']}; archlint: {report.diagnostics}"
