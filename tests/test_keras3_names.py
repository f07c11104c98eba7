"""AL107's list of Keras 3 names (archlint/keras3_names.py) is Keras's own public API."""

import pytest

from archlint import keras3_names
from archlint.keras_names import missing_from_keras3
from tests.keras_oracle import keras_or_skip
from tests.make_keras3_names import generate, public_api


def test_the_list_is_what_the_installed_keras_exports():
    keras = keras_or_skip()
    if keras.__version__ != keras3_names.KERAS_VERSION:
        pytest.skip(f"the list is of Keras {keras3_names.KERAS_VERSION}, Keras {keras.__version__} is installed")
    assert keras3_names.__file__ and open(keras3_names.__file__).read() == generate()


def test_every_public_name_of_the_installed_keras_passes():
    """Whatever Keras version is installed: no false AL107 on a name it has (a name it added is missed at worst
    when the list is older, never reported)."""
    keras = keras_or_skip()
    modules, names = public_api(keras)
    listed = keras3_names.MODULES | keras3_names.NAMES
    flagged = [name for name in sorted((modules | names) & listed) if missing_from_keras3(name)]
    assert flagged == []


@pytest.mark.parametrize("qualname, fragment", [
    ("keras.layers.experimental", "every layer directly in keras.layers"),
    ("tensorflow.keras.layers.experimental", "`tf.keras.layers.experimental`"),
    ("keras.layers.convolutional", "every layer directly in keras.layers"),
    ("keras.layers.CuDNNLSTM", "use keras.layers.LSTM"),
    ("keras.layers.Conv2d", "did you mean keras.layers.Conv2D?"),
    ("keras.optimizers.adam", "did you mean keras.optimizers.Adam?"),
    ("keras.engine", "does not exist in Keras 3"),
])
def test_what_keras3_lacks_is_named_with_its_replacement(qualname, fragment):
    keras = keras_or_skip()
    parts = qualname.replace("tensorflow.keras", "keras").split(".")
    owner = keras
    for part in parts[1:-1]:
        owner = getattr(owner, part)
    assert not hasattr(owner, parts[-1])  # the oracle: Keras has no such attribute
    assert fragment in missing_from_keras3(qualname)


@pytest.mark.parametrize("qualname", [
    "keras.layers.Dense", "keras.layers.Dense.from_config", "tensorflow.keras.backend.abs", "keras.src.layers.Foo",
    "keras.__version__", "keras.datasets.mnist.load_data", "numpy.zeros", "tensorflow.nn.relu",
    "keras.layers.experimental.preprocessing.Rescaling",  # reported once, at keras.layers.experimental
])
def test_names_that_are_not_reported(qualname):
    assert missing_from_keras3(qualname) is None
