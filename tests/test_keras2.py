"""Keras 1/2 code: errors at Keras 3's line, the model still built from what the code meant, fragments."""

import json
import pathlib

import pytest

from archlint.config import Settings
from archlint.lint import lint_source
from tests.fixture_compare import mismatches

FIXTURES = pathlib.Path(__file__).resolve().parent.parent / "fixtures"
# Each Keras 2 file Keras 3 rejects, and its Keras 3 spelling, whose model Keras recorded.
TWINS = {
    "al106_keras2_dense_output_dim_init": "keras2_respelt_dense",
    "al106_keras2_convolution2d": "keras2_respelt_conv2d",
    "al106_keras2_batch_input_shape": "keras2_respelt_lstm",
    "al106_keras2_conv1d": "keras2_respelt_conv1d",
    "al106_keras2_average_pooling_default": "keras2_respelt_average_pooling",
    "al107_theano_dim_ordering": "keras2_respelt_dim_ordering",
    "al107_keras1_merge": "keras2_respelt_merge",
}


def lint(source: str, path="example.py", **settings):
    return lint_source(source, path, Settings(**settings))


@pytest.mark.parametrize("keras2, keras3", TWINS.items())
def test_keras2_spellings_build_what_keras3_builds_from_their_keras3_spelling(keras2, keras3):
    path = FIXTURES / "errors" / f"{keras2}.py"
    report = lint(path.read_text(), str(path))
    truth = json.loads((FIXTURES / "models" / f"{keras3}.keras.json").read_text())
    assert mismatches(report, truth, keras3) == []
    assert all(model.complete for model in report.models)
    assert "AL302" not in {d.code for d in report.diagnostics}
    assert all("In Keras 3, " in d.message for d in report.diagnostics if d.code == "AL106")
    assert all("Keras 3 removed it; use " in d.message for d in report.diagnostics if d.code == "AL107")


def test_keras1_messages_name_the_keras3_spelling():
    report = lint("""\
from keras.models import Sequential
from keras.layers import Dense, Convolution2D
model = Sequential()
model.add(Convolution2D(32, 3, 3, border_mode="same", input_shape=(28, 28, 1)))
model.add(Dense(output_dim=10, init="uniform"))
""")
    messages = [d.message for d in report.diagnostics if d.code == "AL106"]
    assert "kernel_size=(3, 3)" in messages[0] and "border_mode= is padding=" in messages[0]
    assert "output_dim= is units=" in messages[1] and "init= is kernel_initializer=" in messages[1]
    assert not any("Dense.Dense" in m or "__init__" in m for m in messages)


def test_a_fragment_gets_one_finding_and_is_analysed_with_assumed_imports():
    twin = (FIXTURES / "models" / "keras2_respelt_dense.py").read_text()
    fragment = "\n".join(line for line in twin.splitlines() if not line.startswith(("from ", "import ")))
    fragment += "\nmodel.compile(loss='categorical_crossentropy', optimizer='adam')\nmodel.fit(X_train, y_train)\n"
    report = lint(fragment)
    assert [d.code for d in report.diagnostics] == ["AL108"]
    assert "--assume-imports" in report.diagnostics[0].message
    assumed = lint(fragment, assume_imports=True)
    assert assumed.diagnostics == []
    truth = json.loads((FIXTURES / "models" / "keras2_respelt_dense.keras.json").read_text())
    assert mismatches(assumed, truth, "keras2_respelt_dense") == []


def test_a_tensorflow_function_on_a_symbolic_tensor_is_refused_outside_a_layer_only():
    # Keras 3's KerasTensor raises in __tf_tensor__ (keras/src/backend/common/keras_tensor.py): "A KerasTensor
    # cannot be used as input to a TensorFlow function". Inside a layer's call() the tensors are the backend's own.
    report = lint("""\
import tensorflow as tf
from tensorflow import keras

class Scale(keras.layers.Layer):
    def call(self, x):
        return tf.reduce_sum(x, axis=-1, keepdims=True)

inputs = keras.Input(shape=(8,))
summed = tf.reduce_sum(inputs, axis=-1, keepdims=True)
model = keras.Model(inputs, Scale()(inputs) + summed)
""")
    assert {(d.code, d.line) for d in report.diagnostics if d.severity == "error"} == {("AL109", 9)}


def test_undefined_names_are_errors_unless_bound_somewhere_or_dynamic():
    assert {d.code for d in lint("import keras\nx = undefined_thing + 1\n").diagnostics} == {"AL108"}
    assert "AL108" not in {d.code for d in lint("import keras\nexec('y = 1')\nx = y\n").diagnostics}
    later = "import keras\ndef f():\n    return LATER\nLATER = 1\nx = f()\n"
    assert "AL108" not in {d.code for d in lint(later).diagnostics}


def test_each_missing_name_is_reported_once_and_builtins_are_names():
    report = lint("import keras\nclass Block(object):\n    pass\nx = Conv2D(8, 3)\ny = Conv2D(8, 3)\n")
    assert [(d.code, d.line) for d in report.diagnostics if d.code == "AL108"] == [("AL108", 4)]


def test_an_input_shape_given_but_not_known_statically_is_no_missing_input_shape():
    report = lint("""\
import keras
from keras import layers
data = load_somehow()
model = keras.Sequential()
model.add(layers.Dense(8, input_shape=data.shape[1:]))
""")
    assert "AL302" not in {d.code for d in report.diagnostics}


def test_a_keras2_spelling_with_a_value_not_known_statically_is_both_reported_and_no_missing_input():
    report = lint("""\
import keras
from keras.layers import Dense
width = read_width()
model = keras.Sequential()
model.add(Dense(width, input_dim=width, init="uniform"))
""")
    codes = [(d.code, "In Keras 3, init= is kernel_initializer=" in d.message) for d in report.diagnostics]
    assert ("AL106", True) in codes and ("AL301", False) in codes and "AL302" not in dict(codes)


def test_assume_imports_from_the_command_line_and_the_settings(tmp_path):
    from click.testing import CliRunner

    from archlint.cli import main
    from archlint.config import ConfigError, Settings, apply

    snippet = tmp_path / "snippet.py"
    snippet.write_text("model = Sequential([Input(shape=(4,)), Dense(2)])\n")

    def codes(*options):
        result = CliRunner().invoke(main, ["check", "--format", "json", *options, str(snippet)], catch_exceptions=False)
        return [d["code"] for d in json.loads(result.output)["files"][0]["diagnostics"]]

    assert codes() == ["AL108"] and codes("--assume-imports") == []
    (tmp_path / "pyproject.toml").write_text("[tool.archlint]\nassume-imports = true\n")
    assert codes() == []
    assert apply(Settings(), {"assume-imports": True}).assume_imports is True
    with pytest.raises(ConfigError):
        apply(Settings(), {"assume-imports": "yes"})


def test_keras2_np_utils_to_categorical_is_reported_and_still_gives_its_shape():
    report = lint("""\
import numpy as np
from keras.utils import np_utils
from keras import layers, Sequential, Input
labels = np_utils.to_categorical(np.zeros((100, 1)), 10)
model = Sequential([Input(shape=(4,)), layers.Dense(labels.shape[1])])
""")
    assert [(d.code, d.line) for d in report.diagnostics] == [("AL107", 2)]
    assert report.models[0].complete and report.models[0].total_params == 4 * 10 + 10
