"""Differential test: real Keras on every fixture, against archlint.

Unlike test_fixtures.py, which reads the recorded expectations whatever made them, this executes the
fixtures under the installed Keras (trusted files of this repository only), so a change in Keras or a
stale expectation shows up. A fixture whose recording fixtures/recorded.txt shows to be current (made by
this Keras, JAX and keras_truth.py from the present source) is not run again: Keras would record the
same. A sample of the fixtures, every LIVE_EVERY-th, always runs, so that the recordings stay checked
against Keras itself. Skipped when Keras or keras_truth.py is absent.
"""

import json
import os
import pathlib
import subprocess
import sys

import pytest

from archlint.analysis import analyze_file
from fixtures.make_expected import PLAIN_LAUNCHER, recording_is_current
from tests.fixture_compare import mismatches
from tests.keras_oracle import keras_or_skip

REPO = pathlib.Path(__file__).resolve().parent.parent
TRUTH = pathlib.Path(os.environ.get("ARCHLINT_KERAS_TRUTH", REPO.parent / "shared" / "tools" / "keras_truth.py"))
FILES = sorted((REPO / "fixtures" / "models").glob("*.py")) + sorted((REPO / "fixtures" / "errors").glob("*.py"))
LIVE_EVERY = 12


@pytest.fixture(scope="module")
def keras_results():
    keras_or_skip()  # with the JAX backend, as the oracle runs: alone, this module would skip on TensorFlow's absence
    if not TRUTH.exists():
        pytest.skip(f"{TRUTH} not found")
    current = {path for path in FILES if recording_is_current(path, TRUTH)}
    live = [path for i, path in enumerate(FILES) if i % LIVE_EVERY == 0 or path not in current]
    proc = subprocess.run([sys.executable, "-c", PLAIN_LAUNCHER, str(TRUTH), "--factories", *map(str, live)],
                          env=dict(os.environ, KERAS_BACKEND="jax", PYTHONHASHSEED="0"), capture_output=True, text=True, timeout=1800)
    assert proc.returncode == 0, proc.stderr[-2000:]
    ran = {pathlib.Path(path).resolve(): entry for path, entry in json.loads(proc.stdout).items()}
    return {path.resolve(): (ran.get(path.resolve()), recorded(path) if path in current else None) for path in FILES}


def recorded(path):
    return json.loads(path.with_suffix(".keras.json").read_text())


def same_verdict(entry):
    """A Keras result without its messages (they may name the checkout's paths): every model, each error's type
    and line."""
    def plain(error):
        return error and (error["type"], error["line"])

    return plain(entry["error"]), {name: ("error", plain(model["error"])) if "error" in model else model
                                   for name, model in entry["models"].items()}


@pytest.mark.xdist_group("keras_on_fixtures")  # one Keras run of the fixtures, on one worker
@pytest.mark.parametrize("path", FILES, ids=lambda p: f"{p.parent.name}/{p.stem}")
def test_archlint_agrees_with_keras_now(path, keras_results):
    live, current_recording = keras_results[path.resolve()]
    if live and current_recording:
        assert same_verdict(live) == same_verdict(current_recording), "Keras now differs from a current recording"
    truth = live or current_recording
    report = analyze_file(str(path))
    errors = [d for d in report.diagnostics if d.severity == "error"]
    if truth["error"] is None:
        assert mismatches(report, truth, path.stem) == []
        assert errors == []
    else:
        assert errors, f"Keras rejects the file ({truth['error']['message'][:200]}); archlint found no error"
