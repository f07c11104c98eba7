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
# Files where Keras builds more than archlint can know statically: what archlint lists must be exact or unknown.
UNFOLLOWED_FILES = sorted((FIXTURES / "unfollowed").glob("*.py"))


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


@pytest.mark.parametrize("path", UNFOLLOWED_FILES, ids=lambda p: p.stem)
def test_what_is_not_followed_is_unknown(path):
    """Each model Keras built is exact in archlint's report, or incomplete with an AL301 saying why; at least one
    is incomplete, since Keras built something archlint does not follow."""
    truth = expected(path)
    assert truth["error"] is None
    report = analyze_file(str(path))
    ours = {m.symbol: m for m in report.models}
    reasons = [d for d in report.diagnostics if d.code == "AL301"]
    incomplete = [symbol for symbol in truth["models"] if symbol in ours and not ours[symbol].complete]
    for symbol, expected_model in truth["models"].items():
        if symbol not in incomplete:
            assert mismatches(report, {"error": None, "models": {symbol: expected_model}}, path.stem) == [], symbol
    assert incomplete and reasons
