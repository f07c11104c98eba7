"""Property-based fuzzing: archlint never raises, never hangs and always reports, on random model
programs and on mutated real model files; where Keras is installed, it accepts and rejects what Keras does.

The default run is short and repeatable (a fixed seed). A longer campaign draws fresh examples on each run
(replay one with the `--hypothesis-seed` that a failure prints):

    ARCHLINT_FUZZ_EXAMPLES=2000 python3 -m pytest -q tests/test_fuzz.py
"""

import json
import os
import pathlib
import tempfile
from datetime import timedelta

import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from archlint.analysis import analyze_source
from archlint.cli import main
from tests.model_programs import mutants, programs

REPO = pathlib.Path(__file__).resolve().parent.parent
FIXTURES = {path.name: path.read_text() for path in sorted((REPO / "fixtures" / "models").glob("*.py"))}
CAMPAIGN = "ARCHLINT_FUZZ_EXAMPLES" in os.environ
EXAMPLES = int(os.environ.get("ARCHLINT_FUZZ_EXAMPLES", "40"))
FUZZ = settings(
    max_examples=EXAMPLES,
    derandomize=not CAMPAIGN,  # by default the same examples on every run: a failure in CI is one anybody can replay
    database=None,
    deadline=timedelta(seconds=60),  # far above any example's time, far below a hang
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.filter_too_much],
)


def check_file(name: str, source: bytes, output_format: str = "json"):
    """`archlint check` on one file, in this process; the report must come whole, without an internal error."""
    with tempfile.TemporaryDirectory() as directory:
        path = pathlib.Path(directory) / name
        path.write_bytes(source)
        result = CliRunner().invoke(main, ["check", "--format", output_format, str(path)])
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    assert result.exit_code in (0, 1), result.stderr
    assert result.stderr == ""
    return result


@FUZZ
@given(programs(huge=True))
def test_random_programs_always_get_a_report(program):
    report = json.loads(check_file("generated.py", program.encode()).stdout)
    assert len(report["files"]) == 1


@FUZZ
@given(mutants(FIXTURES))
def test_mutated_model_files_always_get_a_report(mutant):
    name, source = mutant
    report = json.loads(check_file(name, source).stdout)
    assert len(report["files"]) == 1
    check_file(name, source, "text")


JSON = st.recursive(st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=20),
                    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=10), children,
                                                                                      max_size=4),
                    max_leaves=20)
CELL = st.fixed_dictionaries({"cell_type": st.sampled_from(["code", "markdown", "raw", 3]),
                              "source": st.one_of(JSON, st.lists(st.text(max_size=40), max_size=4))})


@FUZZ
@given(st.one_of(JSON, st.fixed_dictionaries({"cells": st.lists(CELL | JSON, max_size=5)}),
                 mutants(FIXTURES).map(lambda mutant: {"cells": [
                     {"cell_type": "code", "source": mutant[1].decode("utf-8", "replace").splitlines(keepends=True)}]})))
def test_odd_notebooks_always_get_a_report(document):
    report = json.loads(check_file("odd.ipynb", json.dumps(document).encode()).stdout)
    assert len(report["files"]) == 1


@pytest.fixture(scope="module")
def keras():
    os.environ.setdefault("KERAS_BACKEND", "jax")
    return pytest.importorskip("keras")


def keras_builds(keras, program: str):
    """Real Keras on a generated program (ours, so trusted): its parameter count, or the exception it raised."""
    keras.backend.clear_session()
    scope = {}
    try:
        exec(compile(program, "generated.py", "exec"), scope)
    except Exception as exc:
        return None, exc
    return scope["model"].count_params(), None


@FUZZ
@given(programs())
def test_archlint_accepts_and_rejects_what_keras_does(keras, program):
    params, keras_error = keras_builds(keras, program)
    report = analyze_source(program, "generated.py")
    errors = [f"{d.code}: {d.message}" for d in report.diagnostics if d.severity == "error"]
    if keras_error is not None:
        assert errors, f"Keras rejects it ({type(keras_error).__name__}: {keras_error}); archlint found no error"
        assert all(error.startswith("AL1") for error in errors)
    else:
        assert errors == [], "Keras builds it"
        model = {m.symbol: m for m in report.models}["model"]
        assert model.total_params == params
