"""Named sizes: exact expressions over input sizes, and the set of sizes a model accepts.

The accepted sets of fixtures/sizes/ are compared with what real Keras accepted when it built
each model at every size from 1 to 96 (fixtures/make_accepted_sizes.py recorded it; set
ARCHLINT_LIVE_KERAS=1 to build them again here).
"""

import json
import os

import pytest

from archlint import dims, sizes
from archlint.analysis import analyze_file
from archlint.dims import Size

SIZES = os.path.join(os.path.dirname(__file__), "..", "fixtures", "sizes")
with open(os.path.join(SIZES, "accepted_sizes.json")) as _handle:
    RECORDING = json.load(_handle)

H = Size.named("H")


def brute_force(relations, name="H", limit=300):
    """The sizes below `limit` where every relation holds, evaluated one size at a time."""
    def holds(relation, n):
        if relation[0] == "or":
            return any(holds(r, n) for r in relation[1])
        kind, difference = dims.relation_difference(relation)
        value = difference.value({name: n}) if isinstance(difference, Size) else difference
        return value >= 0 if kind == "ge" else value == 0
    return [n for n in range(1, limit) if all(holds(r, n) for r in relations)]


def test_expressions_print_readably_and_simplify():
    # Keras's 'valid' window: (H - 5) // 2 + 1 = floor((H + 1) / 2) - 2 = ceil(H / 2) - 2.
    assert str((H - 5) // 2 + 1) == "ceil(H / 2) - 2"
    assert str((H - 1) // 2 + 1) == "ceil(H / 2)"  # 'same' with stride 2
    assert str((H // 2) // 2) == "floor(H / 4)"  # floor(floor(H / 2) / 2) = floor(H / 4)
    assert str(2 * (H // 2)) == "2 * floor(H / 2)"
    assert (H + 3) - (H + 1) == 2  # a difference without names is a number
    assert (2 * (H // 2) == H) is False  # not the same expression: equal only for even H


def test_values_match_integer_arithmetic():
    expression = ((H // 2) * 3 + 1) // 4 - (H - 7) // 3
    for n in range(-20, 60):
        assert expression.value({"H": n}) == ((n // 2) * 3 + 1) // 4 - (n - 7) // 3


def test_a_merge_of_a_halved_and_doubled_size_needs_even_sizes():
    found = sizes.solve_one([("eq", 2 * (H // 2), H)], "H")
    assert found.as_json() == {"below": [], "start": 1, "period": 2, "residues": [0]}
    assert found.text("H") == "H: 2, 4, 6, ... (H % 2 == 0)"


@pytest.mark.parametrize("relations", [
    [("ge", (H - 5) // 2 + 1, 1), ("ge", (H - 5) // 2 - 1, 1)],
    [("or", [("eq", H // 2, 5), ("eq", H // 2, 1)])],
    [("eq", 2 * (H // 2), H + 1)],
    [("divides", 3 * ((H - 1) // 2 + 1), 4), ("ge", H, 10)],
    [("ge", 50 - H, 0), ("divides", H, 7)],
    [("eq", 4 * (((H - 3) // 2 + 1) // 2), H - 3), ("ge", (H - 3) // 2 + 1, 1)],
])
def test_solved_sets_equal_brute_force(relations):
    found = sizes.solve_one(relations, "H")
    assert [n for n in range(1, 300) if n in found] == brute_force(relations)


def _archlint_accepted(path: str) -> list[int] | None:
    """The sizes 1..max_size archlint accepts when every named size of the model's input is n."""
    report = analyze_file(path)
    (model,) = report.models
    if any(d.severity == "error" for d in report.diagnostics):
        return []
    if model.accepted_sizes is None:
        return None
    assert model.joint_size_conditions == []
    return [n for n in range(1, RECORDING["max_size"] + 1) if all(n in s for s in model.accepted_sizes.values())]


@pytest.mark.parametrize("stem", sorted(RECORDING["accepted"]))
def test_accepted_sizes_match_keras(stem):
    assert _archlint_accepted(os.path.join(SIZES, stem + ".py")) == RECORDING["accepted"][stem]


@pytest.mark.skipif(not os.environ.get("ARCHLINT_LIVE_KERAS"), reason="builds with real Keras: set ARCHLINT_LIVE_KERAS=1")
def test_recording_is_what_keras_does_now():
    import importlib.util

    spec = importlib.util.spec_from_file_location("make_accepted_sizes", os.path.join(SIZES, "..", "make_accepted_sizes.py"))
    script = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(script)
    for stem, recorded in RECORDING["accepted"].items():
        path = os.path.join(SIZES, stem + ".py")
        with open(path) as handle:
            assert script.accepted_sizes(handle.read(), path, RECORDING["max_size"]) == recorded, stem


def test_no_accepted_size_is_an_error_at_the_merge():
    report = analyze_file(os.path.join(SIZES, "unet_depth3_valid_pool.py"))
    (finding,) = [d for d in report.diagnostics if d.severity == "error"]
    assert (finding.code, finding.layer, finding.line) == ("AL102", "concatenate", 15)
    assert "accepts no input size" in finding.message


def test_dense_after_flatten_of_a_named_size_is_al104(tmp_path):
    path = tmp_path / "model.py"
    path.write_text("import keras\nfrom keras import layers\n\n"
                    "inputs = keras.Input(shape=(None, 8, 3))\n"
                    "x = layers.Flatten()(layers.Conv2D(4, 3)(inputs))\n"
                    "model = keras.Model(inputs, layers.Dense(2)(x))\n")
    report = analyze_file(str(path))
    assert [d.code for d in report.diagnostics] == ["AL104"]
    # Flatten of (H - 2, 6, 4): 24 * (H - 2) = 24 * H - 48 features, which Keras cannot size a kernel from.
    assert report.models[0].layers[-2].output_shape == (None, 24 * Size.named("input_layer.H") - 48)
    assert report.models[0].layers[-1].params is None  # never an expression of an axis Keras sees as None
    assert "depends on input_layer.H, which Keras sees as None; give the input a fixed size there" \
        in report.diagnostics[0].message


def test_a_condition_on_two_sizes_is_kept_joint(tmp_path):
    path = tmp_path / "model.py"
    path.write_text("import keras\nfrom keras import layers\n\n"
                    "inputs = keras.Input(shape=(None, None, 3))\n"
                    "x = layers.Conv2D(4, 3, strides=2, padding='same')(inputs)\n"
                    "model = keras.Model(inputs, layers.Reshape((-1, 6))(x))\n")
    (model,) = analyze_file(str(path)).models
    # ceil(H / 2) * ceil(W / 2) * 4 elements must split into rows of 6: a condition on H and W together.
    assert model.joint_size_conditions == ["(4 * ceil(input_layer.H / 2) * ceil(input_layer.W / 2)) % 6 == 0"]
    assert all(s.as_json() == sizes.ANY_SIZE.as_json() for s in model.accepted_sizes.values())


def test_a_given_size_the_model_refuses_names_the_nearest_accepted_ones(tmp_path):
    path = tmp_path / "model.py"
    path.write_text("import keras\nfrom keras import layers\n\n"
                    "inputs = keras.Input(shape=(100, 100, 3), name='image')\n"
                    "c1 = layers.Conv2D(8, 3, padding='same')(inputs)\n"
                    "c2 = layers.Conv2D(8, 3, padding='same')(layers.MaxPooling2D()(c1))\n"
                    "c3 = layers.Conv2D(8, 3, padding='same')(layers.MaxPooling2D()(c2))\n"
                    "u3 = layers.UpSampling2D()(layers.MaxPooling2D()(c3))\n"
                    "model = keras.Model(inputs, layers.Concatenate()([u3, c3]))\n")
    (finding,) = analyze_file(str(path)).diagnostics
    # 100 -> 50 -> 25 -> 12 -> 24, against 25: the concatenation needs floor(H / 4) even, so H % 8 in {0..3}:
    # 99 (floor(99 / 4) = 24) below and 104 above.
    assert finding.code == "AL102" and finding.line == 9
    assert finding.message.endswith("(the nearest input sizes the model accepts: image.H = 99, 104 instead of 100; "
                                    "image.W = 99, 104 instead of 100)")


WINDOWS = [
    ("conv", "valid"), ("conv", "same"), ("deconv", "valid"), ("deconv", "same"), ("pad", None), ("upsample", None),
]


def _apply(step, length):
    kind, padding, kernel, stride, dilation = step
    if kind == "conv":
        return dims.conv_output_length(length, kernel, stride, padding, dilation if stride == 1 else 1)
    if kind == "deconv":
        return dims.deconv_output_length(length, kernel, stride, padding, None, dilation if stride == 1 else 1)
    if kind == "pad":
        return length + kernel - stride
    return length * stride


def test_random_stacks_compute_as_integers_and_solve_as_brute_force():
    import random

    generator = random.Random(7)
    for _ in range(150):
        steps = [(*generator.choice(WINDOWS), generator.randint(1, 5), generator.randint(1, 3), generator.randint(1, 3))
                 for _ in range(generator.randint(1, 5))]
        symbolic, relations = H, []
        for step in steps:
            symbolic = _apply(step, symbolic)
            relations.append(("ge", symbolic, 1))
        for n in range(1, 80):
            length = n
            for step in steps:
                length = _apply(step, length)
            assert (symbolic.value({"H": n}) if isinstance(symbolic, Size) else symbolic) == length
        relations.append(("or", [("eq", symbolic, 2 * (H // 2)), ("eq", symbolic, 1)]))
        found = sizes.solve_one(relations, "H")
        assert [n for n in range(1, 300) if n in found] == brute_force(relations), steps


def test_a_custom_layer_on_a_named_size_leaves_the_accepted_sizes_unknown(tmp_path):
    path = tmp_path / "model.py"
    path.write_text("import keras\nfrom keras import layers\n\n"
                    "class Block(layers.Layer):\n"
                    "    def __init__(self, **kwargs):\n"
                    "        super().__init__(**kwargs)\n"
                    "        self.conv = layers.Conv2D(8, 3, strides=2)\n"
                    "    def call(self, x):\n"
                    "        return self.conv(x)\n\n"
                    "inputs = keras.Input(shape=(None, None, 3))\n"
                    "model = keras.Model(inputs, Block()(inputs))\n")
    (model,) = analyze_file(str(path)).models
    assert model.accepted_sizes is None
    assert model.sizes_unknown == "block (Block) does not compute with named sizes"


@pytest.mark.parametrize("set_globally", [False, True])
def test_a_channels_first_input_names_its_axes_in_that_order(tmp_path, set_globally):
    # (3, None, None) read channels_first is 3 channels of H x W: its unknown axes are H and W, never C.
    path = tmp_path / "model.py"
    setting = 'keras.config.set_image_data_format("channels_first")\n' if set_globally else ""
    data_format = "" if set_globally else ', data_format="channels_first"'
    path.write_text("import keras\nfrom keras import layers\n\n" + setting +
                    "inputs = keras.Input(shape=(3, None, None))\n"
                    f"x = layers.Conv2D(8, 3, strides=2{data_format})(inputs)\n"
                    "model = keras.Model(inputs, x)\n")
    (model,) = analyze_file(str(path)).models
    h, w = Size.named("input_layer.H"), Size.named("input_layer.W")
    assert model.inputs[0][1] == (None, 3, h, w)
    assert model.layers[-1].output_shape == (None, 8, (h - 3) // 2 + 1, (w - 3) // 2 + 1)
    assert sorted(model.accepted_sizes) == ["input_layer.H", "input_layer.W"]


def test_a_given_channels_first_size_the_model_refuses_names_the_nearest_accepted_ones(tmp_path):
    path = tmp_path / "model.py"
    path.write_text("import keras\nfrom keras import layers\n\n"
                    "inputs = keras.Input(shape=(3, 10, 12), name='image')\n"
                    "c1 = layers.Conv2D(8, 3, padding='same', data_format='channels_first')(inputs)\n"
                    "u = layers.UpSampling2D(data_format='channels_first')(layers.MaxPooling2D(data_format='channels_first')"
                    "(layers.MaxPooling2D(data_format='channels_first')(c1)))\n"
                    "model = keras.Model(inputs, layers.Concatenate(axis=1)([u, layers.MaxPooling2D(data_format='channels_first')(c1)]))\n")
    (finding,) = analyze_file(str(path)).diagnostics
    # 10 -> 5 -> 2 -> 4 against 5: floor(H / 4) * 2 == floor(H / 2) needs H % 4 in {0, 1}: 9 below, 12 above;
    # W = 12 is accepted. The channel axis (3) is no size of the model's.
    assert finding.code == "AL102"
    assert finding.message.endswith("(the nearest input sizes the model accepts: image.H = 9, 12 instead of 10)")
