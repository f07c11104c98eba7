"""The NumPy runtime behind `--verify`: every fixture reproduced, disagreements found, the budget kept."""

import json
import pathlib
import tracemalloc

import numpy as np
import pytest

from archlint.analysis import analyze_source
from archlint.evaluate.user_classes import TracedLambda, UserLayer
from archlint.layers.conv import Conv2D
from archlint.layers.core import Dense
from archlint.runtime import BOOKKEEPING_BYTES, Execution, NotVerifiable, parse_size, verify_file
from tests.fresh_interpreter import FreshInterpreter
from tests.keras_oracle import keras_or_skip

FIXTURES = pathlib.Path(__file__).resolve().parent.parent / "fixtures" / "models"
MODEL_FILES = sorted(FIXTURES.glob("*.py"))

SMALL_CNN = """\
import keras
from keras import layers

model = keras.Sequential([
    keras.Input(shape=(12, 12, 1)),
    layers.Conv2D(4, 3, activation="relu"),
    layers.MaxPooling2D(),
    layers.Flatten(),
    layers.Dense(3, activation="softmax"),
])
"""


def analyze(source: str, name: str = "model.py"):
    return analyze_source(source, name)


def runs_custom_layers(model) -> bool:
    """A model whose layers include one defined in the checked code (a custom layer, a Lambda over the
    file's function), whose call the runtime does not execute."""
    return model.kind == "subclassed" or any(isinstance(node.layer, (UserLayer, TracedLambda))
                                             for row in model.layers for node in row.nodes)


@pytest.mark.parametrize("path", MODEL_FILES, ids=lambda p: p.stem)
def test_every_fixture_model_is_verified(path):
    report = analyze(path.read_text(), str(path))
    findings = verify_file(report)
    assert [d.message for d in findings if d.code == "AL401"] == []
    for model in report.models:
        explained = [d for d in findings if d.code == "AL303" and d.symbol == model.symbol]
        if runs_custom_layers(model):
            assert model.verified is True or (model.verified is None and explained), model.symbol
        else:
            assert model.verified is True, (model.symbol, [d.message for d in explained])


# Measured in a fresh interpreter: what other tests left running in this process (threads, caches)
# would otherwise be traced too.
MEASURE_PEAK = """
import tracemalloc
from archlint.analysis import analyze_source
from archlint.runtime import Execution, NotVerifiable
# The first run in a process imports the thread pool's modules: a cost of the process, not of a run's arrays
# (how much depends on what the process imported before), which the budget does not count.
from concurrent.futures import ThreadPoolExecutor
from threadpoolctl import threadpool_limits


def measure(path):
    results = []
    for model in analyze_source(open(path).read(), path).models:
        try:
            execution = Execution(model)
        except NotVerifiable:
            continue
        tracemalloc.start()
        try:
            execution.allocate()
            execution.run()
            peak = tracemalloc.get_traced_memory()[1]
        finally:
            tracemalloc.stop()
            execution.release()
        results.append([model.symbol, peak, execution.bytes_needed])
    return results
"""


@pytest.fixture(scope="module")
def measure_peak():
    interpreter = FreshInterpreter(MEASURE_PEAK, "measure")
    yield interpreter
    interpreter.close()


@pytest.mark.parametrize("path", MODEL_FILES, ids=lambda p: p.stem)
def test_a_run_stays_within_the_memory_it_was_granted(path, measure_peak):
    """The budget check counts weights, live activations and each forward's temporaries before allocating."""
    for symbol, peak, needed in measure_peak(str(path)):
        assert peak <= needed, symbol


def test_a_wrong_forward_shape_is_an_al401_naming_the_layer_and_both_shapes(monkeypatch):
    original = Conv2D.forward
    monkeypatch.setattr(Conv2D, "forward", lambda self, x, **kwargs: original(self, x)[:, 1:])
    report = analyze(SMALL_CNN)
    findings = verify_file(report)
    assert report.models[0].verified is False
    [finding] = [d for d in findings if d.code == "AL401"]
    assert finding.layer == "conv2d" and finding.severity == "error" and finding.line == 6
    assert "(None, 10, 10, 4) statically" in finding.message
    assert "(1, 9, 10, 4) from the NumPy runtime" in finding.message


def test_a_forward_that_fails_is_an_al401(monkeypatch):
    def broken(self, x, **kwargs):
        raise ValueError("matmul: shapes do not align")

    monkeypatch.setattr(Conv2D, "forward", broken)
    report = analyze(SMALL_CNN)
    [finding] = verify_file(report)
    assert finding.code == "AL401" and finding.layer == "conv2d"
    assert "fails on input (1, 12, 12, 1)" in finding.message and "shapes do not align" in finding.message


def test_a_parameter_count_that_the_weights_do_not_hold_is_an_al401():
    report = analyze(SMALL_CNN)
    report.models[0].layers[-1].params += 1  # as if the static count were off by one
    findings = verify_file(report)
    assert [(d.code, d.layer) for d in findings] == [("AL401", "dense")]
    assert "304 parameters statically, 303 in the weights" in findings[0].message


def test_a_model_over_the_budget_is_refused_without_allocating():
    source = """\
import keras
from keras import layers

model = keras.Sequential([keras.Input(shape=(60000,)), layers.Dense(20000), layers.Dense(10)])
"""
    report = analyze(source)
    verify_file(analyze(source.replace("60000", "6").replace("20000", "2")))  # the runtime's modules imported
    tracemalloc.start()
    try:
        findings = verify_file(report)  # the default budget: 2 GiB, and this needs 4.5 GiB
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < BOOKKEEPING_BYTES
    assert report.models[0].verified is None
    [finding] = findings
    assert finding.code == "AL303" and finding.severity == "info"
    assert "4.5 GiB" in finding.message and "over the --verify-budget of 2.0 GiB" in finding.message


def test_the_budget_is_a_parameter():
    report = analyze(SMALL_CNN)
    assert [d.code for d in verify_file(report, budget=parse_size("64K"))] == ["AL303"]
    assert verify_file(report, budget=parse_size("2M")) == [] and report.models[0].verified is True


def conv_chain(depth: int) -> Execution:
    layers = "\n".join("x = layers.Conv2D(16, 3, padding='same')(x)" for _ in range(depth))
    source = f"""\
import keras
from keras import layers

inputs = keras.Input(shape=(512, 512, 16))
x = inputs
{layers}
model = keras.Model(inputs, x)
"""
    return Execution(analyze(source).models[0])


def measured_peak(execution: Execution) -> int:
    tracemalloc.start()
    try:
        execution.allocate()
        execution.run()
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
        execution.release()


def test_activations_are_freed_after_their_last_reader():
    """Ten 16 MiB activations in a chain need no more memory than two: each goes after its reader has run."""
    short, long = conv_chain(2), conv_chain(10)
    assert long.shapes.activation_bytes == short.shapes.activation_bytes
    assert measured_peak(long) < measured_peak(short) + 512 * 512 * 16 * 4  # less than one more activation


def test_unknown_spatial_sizes_take_the_smallest_size_the_model_accepts():
    source = """\
import keras
from keras import layers

image = keras.Input(shape=(None, None, 3))
x = layers.Conv2D(8, 3, strides=2, padding="same")(image)
x = layers.Conv2D(8, 3)(x)
x = layers.MaxPooling2D()(x)
model = keras.Model(image, x)
"""
    # ceil(n / 2) - 2 must be at least 2 for the pooling: n = 7 is the smallest.
    report = analyze(source)
    assert Execution(report.models[0]).shapes.size == 7
    assert verify_file(report) == [] and report.models[0].verified is True


def test_merged_unknown_sizes_must_agree():
    """A U-Net over unknown sizes needs one that survives three poolings and upsamplings intact."""
    source = """\
import keras
from keras import layers

inputs = keras.Input(shape=(None, None, 1))
x, skips = inputs, []
for width in (4, 8, 16):
    x = layers.Conv2D(width, 3, padding="same")(x)
    skips.append(x)
    x = layers.MaxPooling2D()(x)
for skip in reversed(skips):
    x = layers.Concatenate()([layers.UpSampling2D()(x), skip])
model = keras.Model(inputs, x)
"""
    report = analyze(source)
    assert Execution(report.models[0]).shapes.size == 8
    assert verify_file(report) == [] and report.models[0].verified is True


def test_layers_called_outside_a_model_run_one_by_one():
    source = """\
import tensorflow as tf

conv = tf.keras.layers.Conv2D(5, 3, padding="same")
z = conv(tf.zeros((4, 6, 6, 3)) + tf.ones((4, 6, 6, 3)))
w = tf.keras.layers.ReLU()(z * 2.0)
"""
    report = analyze(source)
    assert verify_file(report) == [] and report.models[0].verified is True


def test_a_custom_layer_is_reported_as_not_verified_and_the_rest_still_runs(monkeypatch):
    source = """\
import keras
from keras import layers


class Scale(layers.Layer):
    def build(self, input_shape):
        self.scale = self.add_weight(shape=(input_shape[-1],))

    def call(self, x):
        return x * self.scale


inputs = keras.Input(shape=(8,))
x = Scale()(layers.Dense(4)(inputs))
model = keras.Model(inputs, layers.Dense(2)(x))
"""
    report = analyze(source)
    [finding] = verify_file(report)
    assert report.models[0].verified is None
    assert finding.code == "AL303" and "scale (Scale) is a custom layer" in finding.message

    # The layers around it are still checked.
    monkeypatch.setattr(Dense, "forward", lambda self, x, **kwargs: np.zeros((1, 3), np.float32))
    assert {d.code for d in verify_file(analyze(source))} == {"AL401", "AL303"}


def test_sequential_without_an_input_is_not_verified():
    report = analyze("import keras\nfrom keras import layers\nmodel = keras.Sequential([layers.Dense(3)])\n")
    [finding] = verify_file(report)
    assert finding.code == "AL303" and report.models[0].verified is None


@pytest.mark.parametrize("text, size", [("512M", 512 * 1024 ** 2), ("2G", 2 * 1024 ** 3), ("1.5g", 3 * 1024 ** 3 // 2),
                                        ("2GiB", 2 * 1024 ** 3), ("64KB", 65536), ("1000", 1000)])
def test_sizes(text, size):
    assert parse_size(text) == size


@pytest.mark.parametrize("text", ["", "big", "2X", "-1G"])
def test_sizes_that_are_not(text):
    with pytest.raises(ValueError):
        parse_size(text)


PARITY_MODEL = """\
import keras
from keras import layers

image = keras.Input(shape=(16, 16, 3), name="image")
x = layers.Conv2D(8, 3, padding="same", activation="relu")(image)
x = layers.BatchNormalization()(x)
shortcut = x
x = layers.DepthwiseConv2D(3, padding="same")(x)
x = layers.Conv2D(8, 1)(x)
x = layers.Add()([x, shortcut])
x = layers.MaxPooling2D()(x)
x = layers.SeparableConv2D(12, 3, strides=2, padding="same", activation="gelu")(x)
x = layers.Conv2DTranspose(6, 3, strides=2, padding="same")(x)
x = layers.Reshape((64, 6))(x)
sequence = layers.LSTM(10, return_sequences=True)(x)
attended = layers.MultiHeadAttention(num_heads=2, key_dim=4)(sequence, sequence)
x = layers.LayerNormalization()(sequence + attended)
x = layers.GlobalAveragePooling1D()(x)
side = keras.Input(shape=(5,), name="side")
x = layers.Concatenate()([x, layers.Dense(4, activation="tanh")(side)])
outputs = layers.Dense(3, activation="softmax")(x)
model = keras.Model([image, side], outputs)
"""


def test_a_whole_model_matches_keras_given_the_same_weights_and_inputs():
    keras = keras_or_skip()
    keras.backend.clear_session()  # layer names as in a fresh session, whatever other tests built before
    namespace = {}
    exec(compile(PARITY_MODEL, "parity_model.py", "exec"), namespace)
    theirs = namespace["model"]
    report = analyze(PARITY_MODEL)
    [ours] = report.models
    execution = Execution(ours, batch=2)
    keras_layers = [layer for layer in theirs.layers if not isinstance(layer, keras.layers.InputLayer)]
    rows = [row for row in ours.layers if row.type != "InputLayer"]
    assert [row.name for row in rows] == [layer.name for layer in keras_layers]
    for row, layer in zip(rows, keras_layers):  # weights copied in Keras's order, layer by layer
        mine = list({id(w): w for _, w in row.layer.all_weights()}.values())
        assert [w.shape for w in mine] == [tuple(w.shape) for w in layer.weights], row.name
        for weight, real in zip(mine, layer.weights):
            weight.value = np.asarray(real.numpy(), dtype=np.float32)
    rng = np.random.default_rng(1)
    inputs = [rng.standard_normal((2, 16, 16, 3), dtype=np.float32), rng.standard_normal((2, 5), dtype=np.float32)]
    try:
        run = execution.run(inputs)
    finally:
        execution.release()
    assert run.disagreements == [] and run.not_run == []
    expected = np.asarray(theirs(inputs, training=False))
    assert run.outputs[0].dtype == np.float32
    np.testing.assert_allclose(run.outputs[0], expected, rtol=1e-4, atol=1e-6)


def check_json(*args):
    from click.testing import CliRunner

    from archlint.cli import main

    # Only the runtime's findings: the graph rules have their own opinions of these small models.
    result = CliRunner().invoke(main, ["check", "--format", "json", "--select", "AL3,AL4", *args], catch_exceptions=False)
    return result.exit_code, json.loads(result.output) if result.output.startswith("{") else result.output


def test_the_command_line_reports_verified_only_with_verify(tmp_path):
    path = tmp_path / "model.py"
    path.write_text(SMALL_CNN)
    _, without = check_json(str(path))
    assert without["files"][0]["models"][0]["verified"] is None
    code, verified = check_json("--verify", str(path))
    assert code == 0 and verified["files"][0]["models"][0]["verified"] is True
    assert verified["files"][0]["diagnostics"] == []


def test_the_command_line_budget(tmp_path):
    path = tmp_path / "model.py"
    path.write_text(SMALL_CNN)
    code, report = check_json("--verify", "--verify-budget", "64K", "--fail-on", "info", str(path))
    assert code == 1 and report["files"][0]["models"][0]["verified"] is None
    assert [(d["code"], d["severity"]) for d in report["files"][0]["diagnostics"]] == [("AL303", "info")]
    code, output = check_json("--verify", "--verify-budget", "lots", str(path))
    assert code == 2 and "--verify-budget" in output


def test_a_disagreement_fails_the_command_line(tmp_path, monkeypatch):
    path = tmp_path / "model.py"
    path.write_text(SMALL_CNN)
    original = Conv2D.forward
    monkeypatch.setattr(Conv2D, "forward", lambda self, x, **kwargs: original(self, x)[:, 1:])
    code, report = check_json("--verify", str(path))
    [finding] = report["files"][0]["diagnostics"]
    assert code == 1 and finding["code"] == "AL401" and finding["layer"] == "conv2d"
    assert report["files"][0]["models"][0]["verified"] is False


def test_a_layer_the_static_analysis_refused_is_not_run():
    """Dense after Flatten of a map of unknown size: AL104, as Keras refuses it. The runtime, choosing sizes for
    the input, must not run the Dense without its kernel and then call the static result wrong (AL401)."""
    report = analyze_source("""\
import keras
from keras import layers

model = keras.Sequential([
    keras.Input(shape=(None, None, 3)),
    layers.Conv2D(8, 3),
    layers.Flatten(),
    layers.Dense(10),
])
""", "refused.py")
    found = [d.code for d in report.diagnostics + verify_file(report)]
    assert "AL104" in found and "AL303" in found and "AL401" not in found
