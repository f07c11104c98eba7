"""Start-up: `archlint check` on a small file imports only what that run needs (a pre-commit hook runs it often)."""

import json
import os
import subprocess
import sys

# Modules a plain check of a small model file has no use for: numpy serves --verify and the runtime (concurrent.futures
# its thread pool), the report writers their formats, networkx no check at all; Keras, JAX and TensorFlow are never
# archlint's.
UNUSED_BY_A_CHECK = ("numpy", "networkx", "threadpoolctl", "concurrent", "keras", "jax", "tensorflow", "scipy",
                     "archlint.runtime",
                     "archlint.report.json_report", "archlint.report.sarif", "archlint.report.markdown",
                     "archlint.report.github")

SMALL_MODEL = """\
import keras
from keras import layers

model = keras.Sequential([
    keras.Input(shape=(8,)),
    layers.Dense(4, activation="relu"),
    layers.Dense(1),
])
"""

# In a fresh interpreter: this test process has imported everything by now.
LIST_MODULES = """
import json, sys
from archlint.cli import main
try:
    main(["check", sys.argv[1]])
except SystemExit:
    pass
print(json.dumps(sorted(sys.modules)), file=sys.stderr)
"""


def modules_of_a_check(tmp_path, source: str = SMALL_MODEL, **environment) -> list[str]:
    path = tmp_path / "model.py"
    path.write_text(source)
    run = subprocess.run([sys.executable, "-c", LIST_MODULES, str(path)], capture_output=True, text=True, timeout=300,
                         env={**os.environ, **environment})
    assert "model.py" in run.stdout, run.stdout + run.stderr[-2000:]
    return json.loads(run.stderr.strip().splitlines()[-1])


def test_a_check_of_a_small_file_imports_nothing_heavy_it_does_not_use(tmp_path):
    loaded = modules_of_a_check(tmp_path)
    assert "archlint.analysis" in loaded  # the check did run
    assert [m for m in loaded if m in UNUSED_BY_A_CHECK or m.split(".")[0] in UNUSED_BY_A_CHECK] == []


def test_a_check_answered_from_the_results_cache_parses_nothing(tmp_path):
    cache = {"ARCHLINT_CACHE_DIR": str(tmp_path / "cache")}
    assert "libcst" in modules_of_a_check(tmp_path, **cache)  # the first check analyses the file
    loaded = modules_of_a_check(tmp_path, **cache)
    assert [m for m in loaded if m.split(".")[0] == "libcst" or m.startswith("archlint.evaluate.interpreter")] == []


def test_a_cached_file_importing_modules_looks_them_up_without_the_analysis(tmp_path):
    """Telling a kept report current looks up again each module the file imported (a module made since would
    change it): that needs the module search, not the parser, the evaluator, the layers or the rules."""
    (tmp_path / "blocks.py").write_text("from keras import layers\n\ndef head(x):\n    return layers.Dense(3)(x)\n")
    cache = {"ARCHLINT_CACHE_DIR": str(tmp_path / "cache")}
    model = "import keras\nfrom blocks import head\n\ninputs = keras.Input((8,))\nmodel = keras.Model(inputs, head(inputs))\n"
    assert "archlint.evaluate.interpreter" in modules_of_a_check(tmp_path, source=model, **cache)
    loaded = modules_of_a_check(tmp_path, source=model, **cache)
    assert "archlint.evaluate.project_modules" in loaded  # the lookups were checked
    assert [m for m in loaded if m.split(".")[0] == "libcst" or m.startswith(("archlint.evaluate.interpreter",
                                                                              "archlint.layers", "rules."))] == []
