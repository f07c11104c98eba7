"""Settings for every test process and the processes the tests start (Keras runs inherit the environment), and
the fixtures several test files share."""

import os

import pytest

# JAX compiles every operation Keras runs eagerly, and the oracle's small layers and models run each once:
# XLA's optimisation passes then cost more than they save (half of a layer comparison's time). The results
# are Keras's own, to rounding.
os.environ.setdefault("JAX_DISABLE_MOST_OPTIMIZATIONS", "1")


@pytest.fixture
def own_cache_folders(tmp_path, monkeypatch):
    """The test's own project cache folder (yielded) and user key, nothing of earlier runs kept in memory; the
    environment's folder again afterwards, whatever a command line in the test chose."""
    from archlint import disk_cache
    from archlint.evaluate import interpreter

    def forget():
        disk_cache.use_directory(None)
        disk_cache._signing_key.cache_clear()
        interpreter._LIBRARY_MODULES.clear()

    monkeypatch.setenv("ARCHLINT_CACHE_DIR", str(tmp_path / "project-cache"))
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "user-cache"))
    forget()
    yield tmp_path / "project-cache"
    forget()


# The modules that test the analysis time budget itself; elsewhere a busy machine (a CI runner whose two
# cores also run Keras) must not cut an analysis short, so the tests compare what an unhurried analysis gives.
BUDGET_TESTS = {"test_budget", "test_hardening", "test_evaluator"}


@pytest.fixture(autouse=True)
def unhurried_analysis(request, monkeypatch):
    if request.module.__name__.rpartition(".")[2] not in BUDGET_TESTS:
        from archlint.evaluate import interpreter
        monkeypatch.setattr(interpreter, "MAX_SECONDS", 600.0)
