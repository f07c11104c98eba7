"""Record what real Keras builds for a new head on every keras.applications factory (include_top=False).

    KERAS_BACKEND=jax python tests/record_application_heads.py   # writes tests/data/application_heads.json

Each factory gets the user file that tests/test_library_models.py analyses (APPLICATION_HEAD below); this runs
those files with ../shared/tools/keras_truth.py, once, so that the test suite builds no Keras model.
"""
import json
import os
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.dirname(HERE))

from tests.test_applications import EXPECTED_TOTALS  # noqa: E402  every factory, by module

TRUTH = os.path.join(os.path.dirname(HERE), "..", "shared", "tools", "keras_truth.py")
OUTPUT = os.path.join(HERE, "data", "application_heads.json")
# The smallest input each family takes with include_top=False, rounded up to a round size.
INPUT_SIZES = {"inception_v3": 75, "inception_resnet_v2": 75, "xception": 71}
DEFAULT_SIZE = 32
APPLICATION_HEAD = """import keras
base = keras.applications.{factory}(weights=None, include_top=False, input_shape=({size}, {size}, 3), pooling="avg")
model = keras.Sequential([base, keras.layers.Dense(5, activation="softmax")])
"""


def application_head(module: str, factory: str) -> str:
    return APPLICATION_HEAD.format(factory=factory, size=INPUT_SIZES.get(module, DEFAULT_SIZE))


def main() -> None:
    recorded = {}
    with tempfile.TemporaryDirectory() as directory:
        paths = {}
        for module, names in EXPECTED_TOTALS.items():
            for factory in names:
                path = os.path.join(directory, f"{factory}.py")
                with open(path, "w") as handle:
                    handle.write(application_head(module, factory))
                paths[path] = factory
        done = subprocess.run([sys.executable, TRUTH, *paths], capture_output=True, text=True, check=True,
                              env={**os.environ, "KERAS_BACKEND": "jax", "PYTHONHASHSEED": "0"})
        for path, result in json.loads(done.stdout).items():
            model = result["models"]["model"]
            recorded[paths[path]] = {"layers": model["layers"], "total": model["total"],
                                     "trainable": model["trainable"]}
    with open(OUTPUT, "w") as handle:
        json.dump(dict(sorted(recorded.items())), handle, indent=1)
        handle.write("\n")


if __name__ == "__main__":
    main()
