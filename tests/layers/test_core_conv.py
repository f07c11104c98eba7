import pytest

from tests.keras_oracle import compare_with_keras


@pytest.mark.parametrize("expr, shape", [
    ("Dense(30)", (10, 20)),
    ("Dense(7, activation='relu', use_bias=False)", (5,)),
    ("Dense(4, activation='gelu')", (3, 6)),
    ("Dense(3, lora_rank=2)", (5,)),
    ("Activation('softmax')", (4, 6)),
    ("ReLU(max_value=6.0)", (4, 6)),
    ("LeakyReLU(negative_slope=0.1)", (8,)),
    ("ELU()", (8,)),
    ("Softmax(axis=1)", (3, 5)),
    ("PReLU(shared_axes=[1, 2])", (4, 4, 3)),
    ("Dropout(0.5)", (8,)),
    ("SpatialDropout2D(0.2)", (4, 4, 3)),
    ("GaussianNoise(0.1)", (8,)),
    ("GaussianDropout(0.1)", (8,)),
    ("AlphaDropout(0.1)", (8,)),
    ("SpatialDropout1D(0.2)", (5, 3)),
    ("SpatialDropout3D(0.2)", (3, 3, 3, 2)),
    ("Identity()", (4, 2)),
    ("Flatten()", (3, 4, 5)),
    ("Conv2D(16, 5)", (12, 12, 3)),
    ("Conv2D(16, (5, 5), padding='same')", (12, 12, 3)),
    ("Conv2D(8, 4, strides=2, padding='same')", (9, 10, 3)),
    ("Conv2D(8, 3, dilation_rate=2)", (11, 11, 2)),
    ("Conv2D(8, 3, groups=2)", (7, 7, 4)),
    ("Conv2D(8, 3, data_format='channels_first')", (3, 7, 7)),
    ("Conv1D(4, 3, padding='causal', dilation_rate=2)", (10, 3)),
    ("Conv3D(4, 2, strides=(1, 2, 1))", (5, 6, 5, 2)),
    ("Conv2D(6, 3, lora_rank=2, lora_alpha=4)", (6, 6, 3)),
])
def test_matches_keras(expr, shape):
    compare_with_keras(expr, shape)
