"""What a diagram of a model needs from the JSON report: which helper call created each layer (`via`, `call_ids`)
and the tensor operators between the layers (`operations`)."""

import json

import archlint

SOURCE = """\
import keras
from keras import layers

def block(x, filters):
    x = layers.Conv2D(filters, 3)(x)
    return layers.ReLU()(x)

inputs = keras.Input((32, 32, 3))
x = inputs
for i in range(2):
    x = block(x, 8)
heads = [block(x, 4) for _ in range(2)]
model = keras.Model(inputs, heads)
"""


def test_each_call_of_a_helper_has_its_own_id():
    document = json.loads(archlint.check_source(SOURCE, "blocks.py", config=False).to_json())
    rows = {row["name"]: row for row in document["files"][0]["models"][0]["layers"]}
    assert (rows["input_layer"]["via"], rows["input_layer"]["call_ids"]) == ([], [])
    assert rows["conv2d"]["via"] == ["iteration 0 of the loop at line 10", "block() called at line 11"]
    assert rows["conv2d_1"]["via"] == ["iteration 1 of the loop at line 10", "block() called at line 11"]
    # a loop iteration is no call; the two calls of the loop differ, and each call's two layers share one
    assert rows["conv2d"]["call_ids"][0] is None
    assert rows["conv2d"]["call_ids"] == rows["re_lu"]["call_ids"]
    assert rows["conv2d"]["call_ids"][1] != rows["conv2d_1"]["call_ids"][1]
    # the comprehension's two calls are made at the same line: the same `via`, different calls
    assert rows["conv2d_2"]["via"] == rows["conv2d_3"]["via"] == ["block() called at line 12"]
    assert rows["conv2d_2"]["call_ids"] != rows["conv2d_3"]["call_ids"]
    assert rows["conv2d_2"]["call_ids"] == rows["re_lu_2"]["call_ids"]


OPERATORS = """\
import keras
from keras import layers

inputs = keras.Input((8,))
a = layers.Dense(4)(inputs)
b = layers.Dense(4)(inputs)
c = layers.Dense(4)(a + b)
outputs = layers.Dense(2)(keras.ops.relu(c) * 2)
model = keras.Model(inputs, outputs)
"""


def test_tensor_operators_are_listed_apart_with_their_inputs():
    """Keras's summary leaves out `a + b` but names it in "Connected to": the operations say what it takes."""
    document = json.loads(archlint.check_source(OPERATORS, "ops.py", config=False).to_json())["files"][0]["models"][0]
    assert [row["name"] for row in document["layers"]] == ["input_layer", "dense", "dense_1", "dense_2", "dense_3"]
    assert document["layers"][3]["inbound"] == ["add"]
    assert document["layers"][4]["inbound"] == ["multiply"]
    assert [(op["name"], op["inbound"], op["output_shape"]) for op in document["operations"]] == [
        ("add", ["dense", "dense_1"], [None, 4]), ("relu", ["dense_2"], [None, 4]),
        ("multiply", ["relu"], [None, 4])]
