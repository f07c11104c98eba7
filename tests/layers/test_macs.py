"""Multiply-accumulates per layer type, each expected count worked out by hand in its comment."""

import pytest

from archlint.analysis import analyze_source
from archlint.graph import application_macs
from archlint.layers.base import REGISTRY


def macs(expr: str, inputs, batch: int = 1):
    """The MACs of a layer (its Keras constructor, `Dense(4)`) built and applied on `inputs`: shapes without
    the batch axis, a tuple of the call's positional inputs, or a list for a layer called on a list."""
    def batched(size):
        if isinstance(inputs, list):
            return ([(size, *shape) for shape in inputs],)
        return tuple((size, *shape) for shape in inputs)

    layer = eval(expr, dict(REGISTRY))
    layer.build(*batched(None))
    applied = batched(batch)
    output = layer.compute_output_shape(*applied)
    shapes = applied[0] if isinstance(inputs, list) else list(applied)
    return layer.count_macs(shapes, output if isinstance(output, list) else [output])


@pytest.mark.parametrize("expr, inputs, expected", [
    # 5 rows of 3 features meet a 3 x 4 kernel: 5 * 3 * 4. Biases and activations are not MACs.
    ("Dense(4, activation='relu')", ((5, 3),), 60),
    # 8 x 8 outputs of 8 filters, each a 3 x 3 window over 4 channels: 64 * 8 * 36.
    ("Conv2D(8, 3)", ((10, 10, 4),), 18_432),
    # groups=2: each filter sees 4 / 2 = 2 channels: 64 * 8 * (3 * 3 * 2).
    ("Conv2D(8, 3, groups=2)", ((10, 10, 4),), 9_216),
    # 'same' with stride 2 keeps ceil(10 / 2) = 5 per axis: 25 * 8 * 36.
    ("Conv2D(8, 3, strides=2, padding='same')", ((10, 10, 4),), 7_200),
    # channels first: (4, 20) gives 16 positions of 6 filters over a 5-wide window of 4 channels: 16 * 6 * 20.
    ("Conv1D(6, 5, data_format='channels_first')", ((4, 20),), 1_920),
    # 3 x 3 x 3 windows over 2 channels at 2 x 2 x 2 positions of 4 filters: 8 * 4 * 54.
    ("Conv3D(4, 3)", ((4, 4, 4, 2),), 1_728),
    # Depthwise, multiplier 2: 64 positions of 8 channels, each a 3 x 3 window over one channel: 64 * 8 * 9.
    ("DepthwiseConv2D(3, depth_multiplier=2)", ((10, 10, 4),), 4_608),
    # Separable: 64 positions * (4 channels * 9 depthwise + 4 channels * 16 pointwise) = 64 * 100.
    ("SeparableConv2D(16, 3)", ((10, 10, 4),), 6_400),
    # Transposed: each of the 5 x 5 inputs' 4 channels is spread over a 3 x 3 window of 2 filters: 25 * 4 * 9 * 2.
    ("Conv2DTranspose(2, 3, strides=2)", ((5, 5, 4),), 1_800),
    # A lookup multiplies nothing.
    ("Embedding(1000, 64)", ((12,),), 0),
    # Per step (3 inputs + 8 state) * 4 gates * 8 units = 352, over 7 steps.
    ("LSTM(8)", ((7, 3),), 2_464),
    # ConvLSTM1D(4, 3) over 5 steps of length 10 with 2 channels: 8 output positions per step, each a window
    # of 3 over the 2 input and the 4 state channels into 4 gates of 4 filters: 5 * 8 * 3 * (2 + 4) * 16.
    ("ConvLSTM1D(4, 3)", ((5, 10, 2),), 11_520),
    # Per step (3 + 5) * 3 gates * 5 units = 120, over 7 steps; reset_after changes no product count.
    ("GRU(5)", ((7, 3),), 840),
    ("GRU(5, reset_after=False)", ((7, 3),), 840),
    # Per step (3 + 4) * 4 = 28, over 7 steps.
    ("SimpleRNN(4, return_sequences=True)", ((7, 3),), 196),
    # Two LSTM(8) directions over the same 7 steps: 2 * 2,464.
    ("Bidirectional(LSTM(8, return_sequences=True))", ((7, 3),), 4_928),
    # Dense(6) on each of 7 steps of 3 features: 7 * 3 * 6.
    ("TimeDistributed(Dense(6))", ((7, 3),), 126),
    # Conv2D(2, 3) on each of 3 frames of 5 x 5 x 1: 3 * (9 positions * 2 filters * 9).
    ("TimeDistributed(Conv2D(2, 3))", ((3, 5, 5, 1),), 486),
    # Projections: query 5 * (8 * 2 * 4) = 320, key and value 6 * (10 * 2 * 4) = 480 each,
    # output 5 * (2 * 4 * 8) = 320; scores 5 * 2 heads * 6 keys * 4 = 240; weighted values another 240.
    ("MultiHeadAttention(num_heads=2, key_dim=4)", ((5, 8), (6, 10)), 2_080),
    # Scores 5 queries * 6 keys * 8 features, then 5 * 6 * 8 for the weighted values.
    ("Attention()", [(5, 8), (6, 8)], 480),
    # The summed scale * tanh(query + key) terms count as the dot product's would.
    ("AdditiveAttention()", [(5, 8), (6, 8)], 480),
    # One x * a + b per element at inference: 4 * 4 * 3.
    ("BatchNormalization()", ((4, 4, 3),), 48),
    ("LayerNormalization()", ((4, 4, 3),), 48),
    ("GroupNormalization(groups=3)", ((4, 4, 3),), 48),
    ("PReLU()", ((4, 4, 3),), 48),
    # A dot product of 8 features per output value, one per sample.
    ("Dot(axes=1)", [(8,), (8,)], 8),
    # No weights, no products.
    ("MaxPooling2D()", ((8, 8, 3),), 0),
    ("Flatten()", ((8, 8, 3),), 0),
    ("Add()", [(8,), (8,)], 0),
])
def test_macs_by_hand(expr, inputs, expected):
    assert macs(expr, inputs) == expected


def test_a_known_batch_multiplies_and_an_unknown_axis_is_unknown():
    assert macs("Dense(4)", ((3,),), batch=32) == 32 * 3 * 4
    assert macs("Dense(4)", ((None, 3),)) is None  # the rows along the unknown axis are uncounted
    assert macs("LSTM(8)", ((None, 3),)) is None
    assert macs("Conv2D(8, 3)", ((None, 10, 4),)) is None


def test_layers_of_the_checked_code_are_unknown_not_free():
    source = """\
import keras

class Scale(keras.layers.Layer):
    def build(self, input_shape):
        self.w = self.add_weight(shape=(input_shape[-1],))

    def call(self, x):
        return x * self.w

inputs = keras.Input(shape=(4,))
model = keras.Model(inputs, Scale()(inputs))
"""
    report = analyze_source(source, "custom.py")
    (row,) = [row for row in report.models[0].layers if row.type == "Scale"]
    assert application_macs(row.nodes[0]) is None


def test_a_nested_model_costs_its_layers_and_the_batch_counts_as_one():
    source = """\
import keras
from keras import layers

inner = keras.Sequential([keras.Input(shape=(3,)), layers.Dense(4), layers.Dense(2)])
inputs = keras.Input(shape=(3,))
model = keras.Model(inputs, inner(inputs))
"""
    report = analyze_source(source, "nested.py")
    model = next(m for m in report.models if m.symbol == "model")
    (row,) = [row for row in model.layers if row.type == "Sequential"]
    # 3 * 4 + 4 * 2 for one sample (the batch axis is None).
    assert application_macs(row.nodes[0]) == 20
