"""The pre-commit hook for real: `pre-commit try-repo` installs this checkout as a hook and runs it on a scratch repo.

pre-commit pip-installs the checkout into an environment of its own (its dependencies come from PyPI),
which takes a minute the first time.
"""

import importlib.util
import json
import os
import pathlib
import shutil
import subprocess
import sys

import pytest

REPO = pathlib.Path(__file__).resolve().parent.parent
BROKEN = """\
import keras
from keras import layers

model = keras.Sequential([
    keras.Input(shape=(4, 4, 3)),
    layers.Conv2D(8, 5),
])
"""
FIXED = BROKEN.replace("Conv2D(8, 5)", "Conv2D(8, 3)")


def notebook(source: str) -> str:
    cells = [["%matplotlib inline\n"], source.splitlines(keepends=True)]
    return json.dumps({"cells": [{"cell_type": "code", "metadata": {}, "execution_count": None, "outputs": [],
                                  "source": cell} for cell in cells], "metadata": {}, "nbformat": 4, "nbformat_minor": 5})

pytestmark = pytest.mark.skipif(shutil.which("git") is None or importlib.util.find_spec("pre_commit") is None,
                                reason="needs git and pre-commit")


def git(*args, cwd):
    return subprocess.run(["git", *args], cwd=cwd, check=True, capture_output=True, text=True).stdout


def snapshot_of_this_checkout(target: pathlib.Path) -> pathlib.Path:
    """The working tree as one commit of a new repository: try-repo installs what is committed, and this
    checkout may hold files not committed yet."""
    files = git("ls-files", "-z", "--cached", "--others", "--exclude-standard", cwd=REPO).split("\0")
    for name in filter(None, files):
        source = REPO / name
        if source.is_file():
            (target / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, target / name)
    git("init", "-q", cwd=target)
    git("add", "-A", cwd=target)
    git("-c", "user.name=archlint tests", "-c", "user.email=tests@archlint.invalid", "commit", "-q", "-m", "snapshot",
        cwd=target)
    return target


def test_hook_fails_on_a_broken_model_and_passes_on_the_fixed_one(tmp_path):
    hooks = snapshot_of_this_checkout(tmp_path / "archlint")
    project = tmp_path / "project"
    project.mkdir()
    git("init", "-q", cwd=project)
    model, explore = project / "model.py", project / "explore.ipynb"
    (project / "notes.txt").write_text("not python: the hook's `types_or: [python, jupyter]` leaves it out\n")
    env = dict(os.environ, PRE_COMMIT_HOME=str(tmp_path / "pre-commit-home"), PRE_COMMIT_COLOR="never")

    def hook():
        git("add", "-A", cwd=project)
        return subprocess.run([sys.executable, "-m", "pre_commit", "try-repo", str(hooks), "archlint", "--all-files"],
                              cwd=project, env=env, capture_output=True, text=True, timeout=900)

    model.write_text(BROKEN)
    explore.write_text(notebook(BROKEN))
    failed = hook()
    assert failed.returncode == 1, failed.stdout + failed.stderr
    assert "model.py:6:5: AL101 " in failed.stdout and "explore.ipynb:cell 2:6:5: AL101 " in failed.stdout
    assert "Found 2 findings (2 errors)." in failed.stdout and "notes.txt" not in failed.stdout

    model.write_text(FIXED)
    explore.write_text(notebook(FIXED))
    passed = hook()
    assert passed.returncode == 0, passed.stdout + passed.stderr
    assert "archlint" in passed.stdout and "Passed" in passed.stdout
