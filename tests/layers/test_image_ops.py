"""keras.ops.image functions (and tf.image's names for them): shape rule and NumPy forward against Keras."""
import numpy as np
import pytest

from archlint.evaluate.tensor_ops import OPS
from tests.keras_oracle import keras_or_skip


def _images(shape):
    return np.random.default_rng(0).normal(size=shape).astype(np.float32)


@pytest.mark.parametrize("shape, options", [
    ((2, 12, 12, 3), {"size": 4}),
    ((2, 11, 13, 2), {"size": (3, 2), "strides": (2, 3)}),
    ((1, 10, 9, 2), {"size": 3, "strides": 2, "padding": "same"}),
    ((2, 12, 12, 1), {"size": 3, "strides": 1, "dilation_rate": 2}),
    ((9, 8, 3), {"size": 2}),  # a single image
])
def test_extract_patches_matches_keras(shape, options):
    keras = keras_or_skip()
    x = _images(shape)
    expected = np.asarray(keras.ops.image.extract_patches(x, **options))
    op = OPS["image.extract_patches"]
    assert op.shape(shape, **options) == expected.shape
    np.testing.assert_allclose(op.forward(x, **options), expected, rtol=1e-5, atol=1e-5)


def test_tf_extract_patches_takes_four_element_lists():
    keras = keras_or_skip()
    x = _images((2, 10, 10, 3))
    tf_style = {"sizes": [1, 3, 3, 1], "strides": [1, 2, 2, 1], "rates": [1, 1, 1, 1], "padding": "VALID"}
    expected = np.asarray(keras.ops.image.extract_patches(x, size=3, strides=2, padding="valid"))
    op = OPS["tf.image.extract_patches"]
    assert op.shape(x.shape, **tf_style) == expected.shape
    np.testing.assert_allclose(op.forward(x, **tf_style), expected, rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("shape, options", [
    ((2, 8, 6, 3), {"size": (12, 9)}),
    ((2, 8, 6, 3), {"size": (4, 4), "interpolation": "nearest"}),
    ((7, 5, 2), {"size": (3, 10), "interpolation": "bicubic"}),
    ((1, 6, 9, 3), {"size": (4, 4), "crop_to_aspect_ratio": True}),
])
def test_resize_matches_keras(shape, options):
    keras = keras_or_skip()
    x = _images(shape)
    expected = np.asarray(keras.ops.image.resize(x, **options))
    op = OPS["image.resize"]
    assert op.shape(shape, **options) == expected.shape
    np.testing.assert_allclose(op.forward(x, **options), expected, rtol=1e-4, atol=1e-4)


@pytest.mark.parametrize("qualname, keras_path, options", [
    ("keras.ops.gelu", "ops.gelu", {}),  # approximates by default
    ("keras.ops.gelu", "ops.gelu", {"approximate": False}),
    ("keras.ops.nn.gelu", "ops.nn.gelu", {"approximate": True}),
    ("keras.activations.gelu", "activations.gelu", {}),  # exact by default
    ("keras.activations.gelu", "activations.gelu", {"approximate": True}),
])
def test_gelu_takes_keras_defaults_and_its_approximate_argument(qualname, keras_path, options):
    from archlint.evaluate.tensor_ops import lookup

    keras = keras_or_skip()
    x = _images((3, 7)) * 3
    function = keras
    for part in keras_path.split("."):
        function = getattr(function, part)
    np.testing.assert_allclose(lookup(qualname).forward(x, **options), np.asarray(function(x, **options)),
                               rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("shape, pad_width, options", [
    ((2, 5, 3), [[0, 0], [1, 1], [0, 0]], {}),
    ((2, 5, 3), 2, {}),
    ((2, 5, 3), ((1, 2),), {"constant_values": 1.5}),
    ((2, 6, 6, 3), ((0, 0), (1, 2), (2, 1), (0, 0)), {"mode": "reflect"}),
    ((2, 6, 3), ((0, 0), (2, 2), (0, 0)), {"mode": "symmetric"}),
])
def test_pad_matches_keras(shape, pad_width, options):
    keras = keras_or_skip()
    x = _images(shape)
    expected = np.asarray(keras.ops.pad(x, pad_width, **options))
    op = OPS["pad"]
    assert op.shape(shape, pad_width, **options) == expected.shape
    np.testing.assert_allclose(op.forward(x, pad_width, **options), expected, rtol=1e-6)
