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
