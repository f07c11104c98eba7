import pytest

from archlint.errors import IncompatibleShapes, InvalidArgument, UnknownDimension
from tests.keras_oracle import archlint_layer, compare_with_keras, keras_or_skip


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


@pytest.mark.parametrize("expr, shape", [
    ("EinsumDense('ab,bc->ac', output_shape=6, bias_axes='c')", (5,)),
    ("EinsumDense('abc,cd->abd', output_shape=(4, 6), bias_axes='d', activation='relu')", (4, 5)),
    ("EinsumDense('abc,dce->abde', output_shape=(3, 2, 4), bias_axes='de')", (3, 5)),
    ("EinsumDense('abcd,cde->abe', output_shape=(3, 7), bias_axes='e')", (3, 2, 4)),
    ("EinsumDense('...b,bc->...c', output_shape=6, bias_axes='c')", (4, 5)),
    ("EinsumDense('...bc,cd->...bd', output_shape=(4, 6))", (2, 4, 5)),
    ("EinsumDense('abc...,cd->abd...', output_shape=(4, 6), bias_axes='d')", (4, 5, 3)),
    ("EinsumDense('abc,cd->abd', output_shape=(4, 6), lora_rank=2)", (4, 5)),
    ("EinsumDense('abc,cd->abd', output_shape=(4, 6), lora_rank=2, lora_alpha=4.0, bias_axes='bd')", (4, 5)),
])
def test_einsum_dense_matches_keras(expr, shape):
    compare_with_keras(expr, shape)


@pytest.mark.parametrize("equation, output_shape, bias_axes, shape", [
    ("abc,cd->abd", (None, 64), "d", (10, 32)),  # Keras's output keeps the None it was given
    ("btd,ndh->btnh", (None, 4, 16), None, (None, 32)),
    ("btnh,nhd->btd", (None, 32), "d", (7, 4, 16)),
    ("...b,bc->...c", 8, "c", (None, 3, 5)),
    # Keras's output shape inserts the elided axes after the batch one by one, each before the last: (None, 4, 3,
    # 8), while the einsum run gives (batch, 3, 4, 8). Its model is built on the shape it says.
    ("...b,bc->...c", 8, "c", (3, 4, 5)),
    ("abc...,cd->abd...", (None, 6), "d", (4, 5, 3)),
])
def test_einsum_dense_symbolic_shapes_match_keras(equation, output_shape, bias_axes, shape):
    keras = keras_or_skip()
    theirs = keras.layers.EinsumDense(equation, output_shape=output_shape, bias_axes=bias_axes)
    output = theirs(keras.Input(shape))
    ours = archlint_layer(f"EinsumDense({equation!r}, output_shape={output_shape!r}, bias_axes={bias_axes!r})")
    ours.build((None, *shape))
    assert ours.compute_output_shape((None, *shape)) == tuple(output.shape)
    assert [w.shape for w in ours.weights] == [tuple(w.shape) for w in theirs.weights]
    assert ours.count_params() == theirs.count_params()


@pytest.mark.parametrize("expr, shape, error", [
    ("EinsumDense('ab,bc', output_shape=4)", (5,), InvalidArgument),  # no output spec
    ("EinsumDense('abc,cd->abd', output_shape=(3, 4))", (5, 6), IncompatibleShapes),  # b is 5, not 3
    ("EinsumDense('ab,bc->ad', output_shape=4)", (5,), InvalidArgument),  # d is in neither input nor kernel
    ("EinsumDense('ab,bc->ac', output_shape=4, bias_axes='x')", (5,), InvalidArgument),
    ("EinsumDense('abc,cd->abd', output_shape=(None, 4))", (None, 6), None),  # fine: the kernel is (6, 4)
    ("EinsumDense('abc,bd->abd', output_shape=(None, 4))", (None, 6), UnknownDimension),  # kernel (None, 4)
])
def test_einsum_dense_refuses_what_keras_refuses(expr, shape, error):
    keras = keras_or_skip()
    theirs = eval(expr, {"__builtins__": {}}, vars(keras.layers))
    ours = archlint_layer(expr)
    if error is None:
        theirs(keras.Input(shape))
        ours.build((None, *shape))
        return
    with pytest.raises(Exception):
        theirs(keras.Input(shape))
    with pytest.raises(error):
        ours.build((None, *shape))
        ours.compute_output_shape((None, *shape))


def test_einsum_dense_macs_are_one_per_combination_of_the_letters():
    # abc,cd->abd on (batch 1, 5, 8) to 6: 1 * 5 * 8 * 6 products; left-elided ...b,bc->...c on (1, 3, 4, 5) to 6:
    # the elided (1, 3, 4) positions times 5 * 6.
    layer = archlint_layer("EinsumDense('abc,cd->abd', output_shape=(None, 6))")
    layer.build((1, 5, 8))
    assert layer.count_macs([(1, 5, 8)], [(1, None, 6)]) == 5 * 8 * 6
    layer = archlint_layer("EinsumDense('...b,bc->...c', output_shape=6)")
    layer.build((1, 3, 4, 5))
    assert layer.count_macs([(1, 3, 4, 5)], [(1, 3, 4, 6)]) == 3 * 4 * 5 * 6


@pytest.mark.parametrize("expr, shape", [
    ("Dense(3, lora_rank=2, kernel_constraint='non_neg')", (5,)),
    ("Conv2D(4, 3, lora_rank=2, kernel_constraint='non_neg')", (6, 6, 3)),
    ("EinsumDense('abc,cd->abd', output_shape=(None, 4), lora_rank=2, kernel_constraint='non_neg')", (5, 6)),
])
def test_lora_with_a_kernel_constraint_is_refused_when_built_as_keras_refuses_it(expr, shape):
    keras = keras_or_skip()
    theirs = eval(expr, {"__builtins__": {}}, vars(keras.layers))
    ours = archlint_layer(expr)
    with pytest.raises(ValueError, match="Lora is incompatible with kernel constraints"):
        theirs(keras.Input(shape))
    with pytest.raises(InvalidArgument, match="Lora is incompatible with kernel constraints"):
        ours.build((None, *shape))
