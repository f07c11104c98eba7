import pytest

from tests.keras_oracle import compare_with_keras, keras_or_skip
from tests.layers.test_reshape_norm_merge_prep import archlint_output_shape, keras_output_shape


@pytest.mark.parametrize("expr, shape", [
    ("RandomFlip('horizontal')", (6, 7, 3)),
    ("RandomFlip(data_format='channels_first')", (3, 6, 7)),
    ("RandomRotation(0.1, fill_mode='constant')", (6, 7, 3)),
    ("RandomZoom(0.2, 0.3)", (6, 7, 3)),
    ("RandomZoom(height_factor=(-0.2, 0.1))", (6, 7, 1)),
    ("RandomTranslation(0.1, 0.2, seed=3)", (6, 7, 3)),
    ("RandomContrast(0.5)", (6, 7, 3)),
    ("RandomBrightness(0.2, value_range=(0, 1))", (5, 5, 2)),
    ("RandomFlip()", (6, 7)),  # a rank-3 input is one image
])
def test_augmentation_is_identity_at_inference(expr, shape):
    compare_with_keras(expr, shape, call_kwargs={"training": False})


@pytest.mark.parametrize("expr, shapes", [
    ("RandomCrop(4, 5)", (None, 8, 9, 3)),
    ("RandomCrop(4, 5)", (None, None, None, 3)),
    ("RandomCrop(4, 5, data_format='channels_first')", (None, 3, 8, 9)),
    ("RandomCrop(2, 3)", (None, 8, 9)),
    ("RandomFlip('vertical')", (None, None, 7, 3)),
    ("RandomRotation(0.2)", (None, 8, 9, 3)),
])
def test_declared_shapes_match_keras(expr, shapes):
    keras = keras_or_skip()
    assert archlint_output_shape(expr, shapes) == keras_output_shape(keras, expr, shapes)
