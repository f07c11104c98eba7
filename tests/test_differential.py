"""Differential test: real Keras, run now on every fixture, against archlint.

Unlike test_fixtures.py, which reads the recorded expectations, this executes the
fixtures under the installed Keras (trusted files of this repository only), so a change
in Keras or a stale expectation shows up. Skipped when Keras or keras_truth.py is absent.
"""

import json
import os
import pathlib
import subprocess
import sys

import pytest

from archlint.analysis import analyze_file
from fixtures.make_expected import PLAIN_LAUNCHER
from tests.fixture_compare import mismatches
from tests.keras_oracle import keras_or_skip

REPO = pathlib.Path(__file__).resolve().parent.parent
TRUTH = pathlib.Path(os.environ.get("ARCHLINT_KERAS_TRUTH", REPO.parent / "shared" / "tools" / "keras_truth.py"))
FILES = sorted((REPO / "fixtures" / "models").glob("*.py")) + sorted((REPO / "fixtures" / "errors").glob("*.py"))


@pytest.fixture(scope="module")
def keras_results():
    keras_or_skip()  # with the JAX backend, as the oracle runs: alone, this module would skip on TensorFlow's absence
    if not TRUTH.exists():
        pytest.skip(f"{TRUTH} not found")
    proc = subprocess.run([sys.executable, "-c", PLAIN_LAUNCHER, str(TRUTH), "--factories", *map(str, FILES)],
                          env=dict(os.environ, KERAS_BACKEND="jax"), capture_output=True, text=True, timeout=1800)
    assert proc.returncode == 0, proc.stderr[-2000:]
    return {pathlib.Path(path).resolve(): entry for path, entry in json.loads(proc.stdout).items()}


@pytest.mark.xdist_group("keras_on_fixtures")  # one Keras run of every fixture, on one worker
@pytest.mark.parametrize("path", FILES, ids=lambda p: f"{p.parent.name}/{p.stem}")
def test_archlint_agrees_with_keras_now(path, keras_results):
    truth = keras_results[path.resolve()]
    report = analyze_file(str(path))
    errors = [d for d in report.diagnostics if d.severity == "error"]
    if truth["error"] is None:
        assert mismatches(report, truth, path.stem) == []
        assert errors == []
    else:
        assert errors, f"Keras rejects the file ({truth['error']['message'][:200]}); archlint found no error"
