import numpy as np
import pytest

from archlint.errors import (
    IncompatibleShapes, InvalidArgument, ReshapeMismatch, UnknownDimension, WrongRank,
)
from tests.keras_oracle import archlint_layer, compare_with_keras, keras_or_skip

# Initializers that make every weight matter to the forward comparison.
RANDOM_AFFINE = "gamma_initializer='random_normal', beta_initializer='random_normal'"
RANDOM_STATS = "moving_mean_initializer='random_normal', moving_variance_initializer='random_uniform'"


@pytest.mark.parametrize("expr, shape", [
    # reshaping
    ("Reshape((3, 4))", (12,)),
    ("Reshape((-1, 2, 2))", (12,)),
    ("Reshape((6, -1))", (3, 4)),
    ("Permute((2, 1))", (10, 4)),
    ("Permute((3, 1, 2))", (2, 3, 4)),
    ("RepeatVector(3)", (5,)),
    # normalization
    ("BatchNormalization()", (6,)),
    (f"BatchNormalization(axis=1, {RANDOM_AFFINE}, {RANDOM_STATS})", (3, 4, 5)),
    (f"BatchNormalization(center=False, scale=False, epsilon=0.1, {RANDOM_STATS})", (4, 6)),
    ("BatchNormalization(scale=False, beta_initializer='random_normal')", (4, 6)),
    ("BatchNormalization(renorm=True, renorm_clipping={'rmax': 3.0, 'rmin': 0.5})", (6,)),
    (f"BatchNormalization(trainable=False, {RANDOM_STATS})", (6,)),
    ("LayerNormalization()", (4, 6)),
    (f"LayerNormalization(axis=[1, 2], {RANDOM_AFFINE})", (3, 4, 5)),
    # Keras sorts [-1, 1] to [-1, 1] and reshapes gamma (5, 3) onto (1, 3, 5): a reshape, not a transpose.
    (f"LayerNormalization(axis=[1, -1], {RANDOM_AFFINE})", (3, 5)),
    (f"LayerNormalization(axis=1, center=False, epsilon=0.5, {RANDOM_AFFINE})", (3, 4)),
    ("LayerNormalization(scale=False, beta_initializer='random_normal')", (4, 6)),
    (f"LayerNormalization(rms_scaling=True, {RANDOM_AFFINE})", (4, 6)),
    (f"GroupNormalization(groups=2, {RANDOM_AFFINE})", (4, 6)),
    (f"GroupNormalization(groups=-1, {RANDOM_AFFINE})", (5, 5, 4)),
    ("GroupNormalization(groups=3, axis=1, center=False, gamma_initializer='random_normal')", (6, 4, 4)),
    (f"GroupNormalization(groups=2, axis=-2, epsilon=0.01, {RANDOM_AFFINE})", (3, 4, 5)),
    ("GroupNormalization(groups=4, scale=False)", (4, 4, 8)),
    ("UnitNormalization()", (4, 6)),
    ("UnitNormalization(axis=[1, 2])", (3, 4, 5)),
    # preprocessing
    ("Rescaling(1.0 / 255)", (4, 4, 3)),
    ("Rescaling(scale=[1.0, 2.0, 3.0], offset=-1.0)", (4, 3)),
    ("Normalization()", (4, 3)),
    ("Normalization(axis=None)", (4, 3)),
    ("Normalization(axis=(1, 2))", (3, 4)),
    ("Normalization(mean=[1.0, 2.0, 3.0], variance=[4.0, 1.0, 0.25])", (5, 3)),
    ("Normalization(mean=2.0, variance=9.0, invert=True)", (5, 3)),
    ("Normalization(axis=(1, 2), mean=[1.0, 2.0, 3.0], variance=[1.0, 2.0, 3.0])", (4, 3)),
    ("Normalization(axis=1, mean=[0.5], variance=[0.0])", (4, 3)),
    ("Resizing(8, 10)", (4, 5, 3)),
    ("Resizing(3, 2)", (7, 6, 2)),
    ("Resizing(4, 6)", (4, 5, 1)),
    ("Resizing(5, 7, interpolation='nearest')", (4, 6, 2)),
    ("Resizing(3, 3, interpolation='nearest')", (7, 8, 1)),
    ("Resizing(6, 5, interpolation='bicubic')", (4, 6, 2)),
    ("Resizing(3, 2, interpolation='bicubic')", (7, 6, 2)),
    ("Resizing(6, 5, interpolation='lanczos3')", (9, 4, 2)),
    ("Resizing(6, 11, interpolation='lanczos5', antialias=True)", (9, 4, 2)),
    ("Resizing(3, 2, antialias=True)", (7, 6, 2)),
    ("Resizing(4, 4, crop_to_aspect_ratio=True)", (6, 9, 3)),
    ("Resizing(4, 6, crop_to_aspect_ratio=True, interpolation='nearest')", (9, 5, 3)),
    ("Resizing(4, 4, pad_to_aspect_ratio=True, fill_value=0.5)", (6, 9, 3)),
    ("Resizing(6, 3, pad_to_aspect_ratio=True)", (6, 9, 3)),
    ("Resizing(5, 4, data_format='channels_first')", (3, 8, 8)),
    ("Resizing(4, 5)", (6, 3)),  # a rank-3 input is one image: the batch axis becomes its height
    ("CenterCrop(4, 3)", (6, 7, 2)),
    ("CenterCrop(8, 6)", (4, 6, 3)),  # larger than the input: Keras crops to the aspect ratio and resizes
    ("CenterCrop(2, 2, data_format='channels_first')", (3, 5, 5)),
])
def test_single_input_layers_match_keras(expr, shape):
    compare_with_keras(expr, shape)


@pytest.mark.parametrize("expr, shapes", [
    ("Add()", [(4, 5), (4, 5)]),
    ("Add()", [(4, 5), (4, 5), (4, 5)]),
    ("Add()", [(3,), (4, 3)]),  # the lower-rank input gains axes after the batch axis
    ("Add()", [(5,)]),
    ("Subtract()", [(4, 5), (4, 5)]),
    ("Multiply()", [(4, 1), (1, 5)]),
    ("Average()", [(6,), (6,), (6,)]),
    ("Maximum()", [(3, 4), (3, 4)]),
    ("Minimum()", [(3, 4), (4,)]),
    ("Concatenate()", [(3, 4), (3, 5)]),
    ("Concatenate(axis=1)", [(3, 4), (2, 4), (1, 4)]),
    ("Concatenate(axis=-2)", [(2, 3, 4), (2, 1, 4)]),
    ("Dot(axes=1)", [(4,), (4,)]),
    ("Dot(axes=(1, 2))", [(3, 5), (4, 3)]),
    ("Dot(axes=-1, normalize=True)", [(3, 5), (4, 5)]),
    ("Dot(axes=(2, 1))", [(3, 4, 5), (4, 6, 7)]),
    ("Dot(axes=[1, 1])", [(4,), (4, 6)]),
    ("Dot(axes=(1, -1))", [(4, 3), (2, 4)]),
])
def test_merge_layers_match_keras(expr, shapes):
    compare_with_keras(expr, shapes)


def compare_embedding_with_keras(expr: str, input_shape, input_dim: int, batch: int = 2):
    """compare_with_keras for Embedding, which needs valid indices and non-zero LoRA factors."""
    keras = keras_or_skip()
    ours = archlint_layer(expr)
    theirs = eval(expr, {"__builtins__": {}}, {**vars(keras.layers), "keras": keras})
    rng = np.random.default_rng(0)
    # Float indices, as a model's float inputs would be: Embedding casts them itself.
    indices = rng.integers(0, input_dim, (batch, *input_shape)).astype(np.float32)
    theirs.build(indices.shape)
    for weight in theirs.weights:
        weight.assign(rng.standard_normal(weight.shape).astype(np.float32))
    expected = np.asarray(theirs(indices))

    ours.build(indices.shape)
    assert ours.compute_output_shape(indices.shape) == expected.shape
    ours_weights = [w for _, w in ours.all_weights()]
    assert [w.shape for w in ours_weights] == [tuple(w.shape) for w in theirs.weights]
    assert [w.name for w in ours_weights] == [w.name for w in theirs.weights]
    assert ours.count_params() == theirs.count_params()
    assert ours.count_trainable() == sum(int(np.prod(w.shape)) for w in theirs.trainable_weights)
    for mine, real in zip(ours_weights, theirs.weights):
        mine.value = np.asarray(real.numpy(), dtype=np.float32)
    np.testing.assert_allclose(ours.forward(indices), expected, rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("expr, shape, input_dim", [
    ("Embedding(10, 4)", (5,), 10),
    ("Embedding(7, 3, mask_zero=True)", (2, 3), 7),
    ("Embedding(10, 4, input_length=5)", (5,), 10),  # deprecated in Keras 3, still accepted
    ("Embedding(10, 4, lora_rank=2)", (5,), 10),
    ("Embedding(10, 4, lora_rank=2, lora_alpha=6.0)", (5,), 10),  # Keras ignores this lora_alpha
    ("Embedding(10, 4, trainable=False)", (5,), 10),
])
def test_embedding_matches_keras(expr, shape, input_dim):
    compare_embedding_with_keras(expr, shape, input_dim)


def keras_output_shape(keras, expr, shapes):
    """Call the Keras layer on symbolic inputs; `shapes` include the batch axis."""
    layer = eval(expr, {"__builtins__": {}}, {**vars(keras.layers), "keras": keras})
    make = lambda s: keras.Input(batch_shape=s)  # noqa: E731
    out = layer([make(s) for s in shapes] if isinstance(shapes, list) else make(shapes))
    return tuple(out.shape)


def archlint_output_shape(expr, shapes):
    layer = archlint_layer(expr)
    layer.build(shapes)
    return layer.compute_output_shape(shapes)


@pytest.mark.parametrize("expr, shapes", [
    ("Reshape((-1, 5))", (None, None, 4)),
    ("Reshape((7,))", (None, None, 4)),  # Keras does not check the size once a dimension is unknown
    ("Permute((2, 1))", (None, None, 4)),
    ("Add()", [(None, None, 3), (None, 4, 3)]),  # unknown against known stays unknown in Keras
    ("Add()", [(None, None, 3), (None, 1, 3)]),
    ("Add()", [(2, 3), (None, 3)]),
    ("Concatenate()", [(None, None, 4), (None, 2, 5)]),  # the first input's dimensions win
    ("Concatenate()", [(None, 2, 4), (None, None, 5)]),
    ("Concatenate(axis=1)", [(None, None, 4), (None, 2, 4)]),
    ("Dot(axes=1)", [(None, None), (None, None)]),
    ("Embedding(10, 4)", (None, None)),
    ("Normalization()", (None, None, 4)),
    ("Resizing(4, 5)", (None, None, None, 3)),
    ("CenterCrop(4, 5, data_format='channels_first')", (None, 3, None, None)),
    ("LayerNormalization()", (None, None, 4)),
])
def test_unknown_dimensions_propagate_like_keras(expr, shapes):
    keras = keras_or_skip()
    assert archlint_output_shape(expr, shapes) == keras_output_shape(keras, expr, shapes)


KERAS_ERRORS = (ValueError, TypeError, IndexError)


@pytest.mark.parametrize("expr, shapes, error", [
    ("Reshape((5,))", (None, 3, 4), ReshapeMismatch),
    ("Reshape((-1, 5))", (None, 3, 4), ReshapeMismatch),
    ("Reshape((0, -1))", (None, 3, 4), ReshapeMismatch),
    ("Reshape((-1, -1))", (None, 12), InvalidArgument),
    ("Reshape((-2, 6))", (None, 12), InvalidArgument),
    ("Reshape(12)", (None, 12), InvalidArgument),
    ("Permute((1, 3))", (None, 3, 4), InvalidArgument),
    ("Permute((2, 1))", (None, 3, 4, 5), WrongRank),
    ("RepeatVector(3.0)", (None, 3), InvalidArgument),
    ("RepeatVector(0)", (None, 3), InvalidArgument),
    ("RepeatVector(3)", (None, 3, 4), WrongRank),
    ("BatchNormalization()", (None, 3, None), UnknownDimension),
    ("BatchNormalization(axis=3)", (None, 3, 4), InvalidArgument),
    ("BatchNormalization(renorm=True, renorm_clipping={'x': 1.0})", (None, 3), InvalidArgument),
    ("BatchNormalization(renorm=True, renorm_clipping={'rmax': 1.0, 'rmin': 2.0})", (None, 3), InvalidArgument),
    ("LayerNormalization(axis=3)", (None, 3, 4), InvalidArgument),
    ("LayerNormalization(axis=[1, 2])", (None, None, 4), UnknownDimension),
    ("GroupNormalization(groups=3)", (None, 5, 4), InvalidArgument),
    ("GroupNormalization()", (None, 5, 4), InvalidArgument),
    ("GroupNormalization(groups=0)", (None, 5, 4), InvalidArgument),
    ("GroupNormalization(groups=2)", (None, 3, None), UnknownDimension),
    ("GroupNormalization(groups=1, axis=3)", (None, 3, 4), InvalidArgument),
    ("UnitNormalization(axis=3)", (None, 3, 4), InvalidArgument),
    ("Add()", [(None, 3), (None, 4)], IncompatibleShapes),
    ("Add()", [(2, 3), (3, 3)], IncompatibleShapes),
    ("Add()", (None, 3), InvalidArgument),
    ("Multiply()", [(None, 4), (None, 4, 3)], IncompatibleShapes),  # aligned on the last axis: 4 against 3
    ("Subtract()", [(None, 3), (None, 3), (None, 3)], InvalidArgument),
    ("Subtract()", [(None, 3)], InvalidArgument),
    ("Concatenate()", [(None, 3, 4), (None, 2, 5)], IncompatibleShapes),
    ("Concatenate()", [(None, 3, 4), (None, 4)], IncompatibleShapes),
    ("Concatenate()", [(None, 1, 4), (None, 3, 4)], IncompatibleShapes),  # no squeezing of size-1 axes
    ("Concatenate()", [(2, 3), (3, 3)], IncompatibleShapes),
    ("Concatenate(axis=-4)", [(None, 3, 4), (None, 3, 4)], InvalidArgument),
    ("Dot(axes=1)", [(None, 3), (None, 4)], IncompatibleShapes),
    ("Dot(axes=1)", [(None, None), (None, 4)], IncompatibleShapes),  # Keras: None != 4
    ("Dot(axes=(1, 2, 3))", [(None, 3), (None, 3)], InvalidArgument),
    ("Dot(axes='a')", [(None, 3), (None, 3)], InvalidArgument),
    ("Dot(axes=3)", [(None, 3), (None, 3)], InvalidArgument),
    ("Dot(axes=1)", [(None, 3), (None, 3), (None, 3)], InvalidArgument),
    ("Normalization(mean=1.0)", (None, 3), InvalidArgument),
    ("Normalization(mean=[1.0, 2.0], variance=[1.0, 2.0, 3.0])", (None, 3), InvalidArgument),
    ("Normalization(mean=[[1.0, 2.0]], variance=[[1.0, 2.0]])", (None, 2), InvalidArgument),
    ("Normalization(mean=[1.0, 2.0, 3.0], variance=[1.0, 2.0, 3.0])", (None, 3, 4), InvalidArgument),
    ("Normalization(axis=2)", (None, 3), InvalidArgument),
    ("Normalization(axis=1)", (None, None, 4), UnknownDimension),
    ("CenterCrop(4, 4)", (None, 3), WrongRank),
    ("Resizing(4, 4, factor=0.5)", (None, 8, 8, 3), InvalidArgument),
    ("Embedding(0, 3)", (None, 5), InvalidArgument),
    ("Embedding(10.0, 3)", (None, 5), InvalidArgument),
    ("Embedding(10, 3, lora_rank=2, embeddings_constraint='non_neg')", (None, 5), InvalidArgument),
    ("Embedding(10, 3, input_dims=5)", (None, 5), InvalidArgument),
])
def test_errors_where_keras_raises_on_symbolic_inputs(expr, shapes, error):
    keras = keras_or_skip()
    with pytest.raises(KERAS_ERRORS):
        keras_output_shape(keras, expr, shapes)
    with pytest.raises(error):
        archlint_output_shape(expr, shapes)


@pytest.mark.parametrize("expr, shapes, error", [
    ("Dot(axes=0)", [(2, 3), (2, 3)], InvalidArgument),  # the batch axis
    ("Dot(axes=0)", [(2,), (2,)], WrongRank),
    ("Resizing(4, 4)", (2, 3), WrongRank),
    ("Resizing(4, 4, interpolation='area')", (2, 5, 5, 3), InvalidArgument),
    ("Resizing(4, 4, crop_to_aspect_ratio=True, pad_to_aspect_ratio=True)", (2, 5, 5, 3), InvalidArgument),
    ("Resizing(4, 4, pad_to_aspect_ratio=True, fill_mode='reflect')", (2, 5, 5, 3), InvalidArgument),
    ("Rescaling([1.0, 2.0])", (2, 4, 3), IncompatibleShapes),
])
def test_errors_where_keras_raises_only_on_real_data(expr, shapes, error):
    """Keras accepts these symbolically and fails when the model first runs."""
    keras = keras_or_skip()
    layer = eval(expr, {"__builtins__": {}}, {**vars(keras.layers), "keras": keras})
    data = [np.ones(s, np.float32) for s in shapes] if isinstance(shapes, list) else np.ones(shapes, np.float32)
    with pytest.raises(KERAS_ERRORS):
        layer(data)
    with pytest.raises(error):
        archlint_output_shape(expr, shapes)
