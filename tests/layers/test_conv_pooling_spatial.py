import numpy as np
import pytest

from archlint.errors import InvalidArgument, NegativeDimension, UnknownDimension, WrongRank
from tests.keras_oracle import archlint_layer, compare_with_keras, keras_or_skip

TRANSPOSED = [
    ("Conv1DTranspose(4, 3)", (5, 2)),
    ("Conv1DTranspose(3, 4, strides=2, padding='same')", (5, 2)),
    ("Conv1DTranspose(3, 3, strides=2, padding='same', output_padding=1)", (5, 2)),
    ("Conv1DTranspose(3, 2, strides=3)", (4, 2)),
    ("Conv1DTranspose(2, 3, dilation_rate=2, padding='same')", (6, 3)),
    ("Conv1DTranspose(2, 3, data_format='channels_first', use_bias=False)", (3, 5)),
    ("Convolution1DTranspose(2, 3, activation='relu')", (4, 2)),
    ("Conv2DTranspose(4, 3)", (4, 5, 3)),
    ("Conv2DTranspose(4, 3, strides=2, padding='same')", (4, 5, 3)),
    ("Conv2DTranspose(4, 4, strides=2, padding='same')", (4, 5, 3)),
    ("Conv2DTranspose(4, 2, strides=3, padding='same')", (3, 4, 2)),
    ("Conv2DTranspose(4, (3, 2), strides=(2, 3), output_padding=(1, 2))", (3, 4, 2)),
    ("Conv2DTranspose(2, 5, strides=2, padding='same', output_padding=1)", (3, 3, 2)),
    ("Conv2DTranspose(2, 4, strides=3, padding='same', output_padding=(2, 0))", (3, 3, 2)),
    # Keras lets this give an empty axis: (1 - 1) * 1 + 2 % 2 + 0 = 0.
    ("Conv2DTranspose(2, 2, padding='same', output_padding=0)", (1, 3, 2)),
    ("Conv2DTranspose(2, 3, dilation_rate=(2, 1), activation='tanh')", (4, 4, 2)),
    ("Conv2DTranspose(2, 3, dilation_rate=2, padding='same', output_padding=0)", (4, 4, 2)),
    ("Conv2DTranspose(3, 3, strides=2, data_format='channels_first')", (2, 4, 5)),
    ("Convolution2DTranspose(2, 1, strides=3)", (3, 3, 2)),
    ("Conv3DTranspose(2, 2, strides=2)", (2, 3, 2, 2)),
    ("Conv3DTranspose(2, 3, strides=(1, 2, 2), padding='same', output_padding=(0, 1, 0))", (2, 3, 2, 2)),
    # Conv3DTranspose alone takes data_format before output_padding.
    ("Conv3DTranspose(2, 3, 2, 'same', 'channels_first', 1)", (2, 3, 2, 2)),
    ("Convolution3DTranspose(2, 2, use_bias=False)", (2, 2, 3, 2)),
]

DEPTHWISE_AND_SEPARABLE = [
    ("DepthwiseConv1D(3)", (7, 3)),
    ("DepthwiseConv1D(4, strides=2, padding='same', depth_multiplier=2)", (9, 3)),
    ("DepthwiseConv1D(3, dilation_rate=2, data_format='channels_first', use_bias=False)", (3, 9)),
    ("DepthwiseConv2D(3)", (6, 6, 3)),
    ("DepthwiseConv2D((3, 2), strides=(2, 1), padding='same', depth_multiplier=3, activation='relu')", (7, 6, 2)),
    ("DepthwiseConv2D(2, strides=3)", (8, 7, 2)),
    # Unlike Conv2D, Keras accepts strides and dilation both above 1 here.
    ("DepthwiseConv2D(2, strides=2, dilation_rate=2)", (9, 9, 2)),
    ("DepthwiseConv2D(3, data_format='channels_first', depth_multiplier=2)", (3, 6, 5)),
    ("SeparableConv1D(4, 3)", (8, 3)),
    ("SeparableConv1D(4, 4, strides=2, padding='same', depth_multiplier=2, use_bias=False)", (9, 3)),
    ("SeparableConvolution1D(2, 3, data_format='channels_first', dilation_rate=2)", (3, 10)),
    ("SeparableConv2D(5, 3)", (6, 6, 3)),
    ("SeparableConv2D(4, (2, 3), strides=2, padding='same', depth_multiplier=2, activation='relu')", (7, 6, 3)),
    ("SeparableConv2D(3, 3, strides=2, dilation_rate=2)", (9, 9, 2)),
    ("SeparableConvolution2D(4, 3, data_format='channels_first', dilation_rate=(1, 2))", (2, 6, 7)),
]

POOLING = [
    ("MaxPooling1D()", (7, 3)),
    ("MaxPool1D(3, strides=1, padding='same')", (7, 3)),
    ("MaxPooling1D(2, data_format='channels_first')", (3, 6)),
    ("MaxPooling2D()", (5, 6, 2)),
    ("MaxPooling2D((3, 2), strides=(2, 3), padding='same')", (7, 8, 2)),
    ("MaxPool2D(2, strides=3)", (8, 8, 2)),
    ("MaxPooling2D(4, strides=2, padding='same', data_format='channels_first')", (2, 7, 6)),
    ("MaxPooling3D()", (4, 5, 4, 2)),
    ("MaxPool3D(3, strides=2, padding='same')", (5, 4, 3, 2)),
    ("AveragePooling1D(3)", (8, 2)),
    ("AvgPool1D(4, strides=3, padding='same')", (10, 2)),
    ("AveragePooling1D(2, strides=1, data_format='channels_first')", (2, 5)),
    ("AveragePooling2D(2)", (5, 6, 2)),
    ("AveragePooling2D(3, strides=2, padding='same')", (6, 7, 2)),
    ("AveragePooling2D(2, strides=4, padding='same')", (9, 6, 2)),
    ("AvgPool2D((2, 4), strides=(3, 1), padding='same', data_format='channels_first')", (2, 7, 6)),
    ("AveragePooling3D(2, padding='same')", (3, 5, 4, 2)),
    ("AvgPool3D((1, 2, 3), strides=(2, 2, 1), data_format='channels_first')", (2, 4, 4, 5)),
    ("GlobalMaxPooling1D()", (6, 3)),
    ("GlobalMaxPool1D(keepdims=True, data_format='channels_first')", (3, 6)),
    ("GlobalAveragePooling1D()", (6, 3)),
    ("GlobalAvgPool1D(data_format='channels_first', keepdims=True)", (3, 6)),
    ("GlobalMaxPooling2D()", (4, 5, 3)),
    ("GlobalMaxPool2D(keepdims=True)", (4, 5, 3)),
    ("GlobalAveragePooling2D(data_format='channels_first')", (3, 4, 5)),
    ("GlobalAvgPool2D(keepdims=True, data_format='channels_first')", (3, 4, 5)),
    ("GlobalMaxPooling3D(keepdims=True)", (2, 3, 4, 2)),
    ("GlobalMaxPool3D(data_format='channels_first')", (2, 3, 4, 2)),
    ("GlobalAveragePooling3D()", (2, 3, 4, 2)),
    ("GlobalAvgPool3D(keepdims=True, data_format='channels_first')", (2, 3, 4, 2)),
]

SPATIAL = [
    ("ZeroPadding1D()", (4, 3)),
    ("ZeroPadding1D((2, 0), data_format='channels_first')", (3, 4)),
    ("ZeroPadding2D()", (3, 4, 2)),
    ("ZeroPadding2D(((1, 0), (2, 3)))", (3, 4, 2)),
    ("ZeroPadding2D((0, 2), data_format='channels_first')", (2, 3, 4)),
    ("ZeroPadding3D()", (2, 3, 2, 2)),
    ("ZeroPadding3D(((0, 1), 2, (3, 0)), data_format='channels_first')", (2, 2, 3, 2)),
    ("Cropping1D()", (5, 3)),
    ("Cropping1D((0, 2))", (5, 3)),
    ("Cropping1D(2)", (5, 3)),
    ("Cropping2D()", (4, 5, 2)),
    ("Cropping2D(((1, 0), (0, 2)))", (4, 5, 2)),
    ("Cropping2D((1, 2))", (4, 5, 2)),
    ("Cropping2D(1, data_format='channels_first')", (2, 4, 5)),
    ("Cropping3D()", (4, 4, 5, 2)),
    ("Cropping3D(((0, 1), 1, (2, 0)), data_format='channels_first')", (2, 3, 4, 5)),
    ("UpSampling1D()", (3, 2)),
    ("UpSampling1D(3)", (3, 2)),
    ("UpSampling2D()", (3, 4, 2)),
    ("UpSampling2D((2, 3), data_format='channels_first')", (2, 3, 4)),
    ("UpSampling2D(3, interpolation='bilinear')", (3, 4, 2)),
    ("UpSampling2D((1, 4), interpolation='bilinear')", (3, 4, 2)),
    ("UpSampling2D((2, 3), interpolation='BILINEAR', data_format='channels_first')", (2, 3, 4)),
    ("UpSampling3D()", (2, 3, 2, 2)),
    ("UpSampling3D((1, 2, 3), data_format='channels_first')", (2, 2, 3, 2)),
]


@pytest.mark.parametrize("expr, shape", TRANSPOSED + DEPTHWISE_AND_SEPARABLE + POOLING + SPATIAL)
def test_matches_keras(expr, shape):
    compare_with_keras(expr, shape)


@pytest.mark.parametrize("data_format, shape", [("channels_last", (5, 3)), ("channels_first", (3, 5))])
def test_masked_global_average_pooling_matches_keras(data_format, shape):
    mask = np.array([[True, True, False, True, False], [False, True, True, True, True]])
    compare_with_keras(f"GlobalAveragePooling1D(data_format='{data_format}')", shape, call_kwargs={"mask": mask})


@pytest.mark.parametrize("expr, shape", [
    ("MaxPooling2D(3, strides=2)", (None, None, 3)),
    ("AveragePooling1D(2, padding='same', data_format='channels_first')", (2, None)),
    ("Conv2DTranspose(4, 3, strides=2, padding='same')", (None, 5, 3)),
    ("Conv1DTranspose(4, 3, output_padding=0)", (None, 3)),
    ("DepthwiseConv2D(3, depth_multiplier=2)", (None, 7, 3)),
    ("SeparableConv1D(4, 3)", (None, 3)),
    ("GlobalAveragePooling2D(keepdims=True)", (None, None, 4)),
    ("ZeroPadding3D(1, data_format='channels_first')", (2, None, 3, None)),
    ("Cropping2D(1)", (None, 5, 2)),
    ("UpSampling1D()", (None, 2)),
    ("UpSampling2D((2, 3))", (None, 4, 2)),
])
def test_unknown_dimensions_stay_unknown_as_in_keras(expr, shape):
    keras = keras_or_skip()
    full = (None, *shape)
    want = tuple(eval(expr, {"__builtins__": {}}, vars(keras.layers)).compute_output_shape(full))
    assert archlint_layer(expr).compute_output_shape(full) == want


def keras_rejects(keras, expr, shape) -> bool:
    """Whether real Keras raises on constructing the layer, calling it in a model, or running it."""
    try:
        layer = eval(expr, {"__builtins__": {}}, vars(keras.layers))
        if shape is not None:
            layer(keras.Input(shape))
            concrete = tuple(1 if d is None else d for d in shape)
            layer(np.zeros((1, *concrete), dtype=np.float32))
    except Exception:
        return True
    return False


@pytest.mark.parametrize("expr, shape, error", [
    ("Conv2DTranspose(2, 3, strides=2, output_padding=2)", None, InvalidArgument),
    ("Conv1DTranspose(2, 3, strides=2, dilation_rate=2)", None, InvalidArgument),
    ("Conv2DTranspose(0, 3)", None, InvalidArgument),
    ("Conv1DTranspose(2, 3, padding='causal')", None, InvalidArgument),
    ("Conv3DTranspose(2, (1, 0, 1))", None, InvalidArgument),
    ("Conv2DTranspose(2, 3)", (4, 4), WrongRank),
    ("Conv2DTranspose(2, 3)", (4, 4, None), UnknownDimension),
    ("DepthwiseConv2D(3, depth_multiplier=0)", None, InvalidArgument),
    ("DepthwiseConv1D(3, padding='causal')", None, InvalidArgument),
    ("DepthwiseConv2D(5)", (4, 4, 3), NegativeDimension),
    ("DepthwiseConv1D(3, dilation_rate=3)", (6, 2), NegativeDimension),
    ("DepthwiseConv2D(2)", (4, 4, 4, 3), WrongRank),
    ("SeparableConv2D(0, 3)", None, InvalidArgument),
    ("SeparableConv1D(2, 3, padding='causal')", None, InvalidArgument),
    ("SeparableConv2D(2, 3, strides=2)", (2, 2, 3), NegativeDimension),
    ("MaxPooling2D(5)", (4, 4, 3), NegativeDimension),
    ("AveragePooling1D(3, strides=2)", (2, 3), NegativeDimension),
    ("MaxPooling3D((1, 1, 3))", (2, 2, 2, 1), NegativeDimension),
    ("AvgPool2D(3, data_format='channels_first')", (3, 2, 8), NegativeDimension),
    ("MaxPooling2D(2, padding='SAME')", (4, 4, 3), InvalidArgument),
    ("AveragePooling1D(2, padding='causal')", (4, 3), InvalidArgument),
    ("MaxPooling2D(2, strides=0)", (4, 4, 3), InvalidArgument),
    ("MaxPooling2D(0)", None, InvalidArgument),
    ("MaxPooling2D()", (4, 3), WrongRank),
    ("GlobalAveragePooling2D()", (4, 3), WrongRank),
    ("GlobalMaxPooling1D()", (4, 4, 3), WrongRank),
    ("Cropping1D((2, 2))", (4, 3), NegativeDimension),
    ("Cropping2D(((0, 0), (3, 2)))", (4, 5, 3), NegativeDimension),
    ("Cropping3D(1, data_format='channels_first')", (3, 4, 2, 4), NegativeDimension),
    ("Cropping2D(-1)", None, InvalidArgument),
    ("Cropping1D(data_format='channels_first')", None, InvalidArgument),
    ("ZeroPadding2D(-1)", (4, 4, 3), InvalidArgument),
    ("ZeroPadding1D(-1)", None, InvalidArgument),
    ("ZeroPadding2D((1, 2, 3))", None, InvalidArgument),
    ("ZeroPadding3D()", (4, 4, 3), WrongRank),
    ("UpSampling1D((2,))", None, InvalidArgument),
    ("UpSampling2D(0)", None, InvalidArgument),
    ("UpSampling2D(interpolation='cubic')", (3, 3, 1), InvalidArgument),
    ("UpSampling3D()", (3, 3, 1), WrongRank),
])
def test_errors_where_keras_raises(expr, shape, error):
    keras = keras_or_skip()
    assert keras_rejects(keras, expr, shape), f"Keras accepts {expr} on {shape}"
    with pytest.raises(error):
        layer = archlint_layer(expr)
        if shape is not None:
            layer.build((2, *shape))
            layer.compute_output_shape((2, *shape))
