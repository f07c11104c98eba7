"""Real Keras as a test oracle: build the same layer in Keras and in archlint and compare.

Keras is never a dependency of archlint; tests that need it skip when it is absent.
"""

import os

import numpy as np
import pytest

from archlint.layers import REGISTRY


def keras_or_skip():
    os.environ.setdefault("KERAS_BACKEND", "jax")
    return pytest.importorskip("keras")


def _shapes_with_batch(shapes, batch):
    if isinstance(shapes, list):
        return [_shapes_with_batch(s, batch) for s in shapes]
    return (batch,) + tuple(shapes)


def _random(shapes, rng):
    if isinstance(shapes, list):
        return [_random(s, rng) for s in shapes]
    return rng.standard_normal(shapes).astype(np.float32)


def _flat(value):
    return [x for v in value for x in _flat(v)] if isinstance(value, (list, tuple)) and not hasattr(value, "shape") else [value]


def archlint_layer(expr: str):
    """Build archlint's model of a layer from a Keras constructor expression."""
    return eval(expr, {"__builtins__": {}}, dict(REGISTRY))


def compare_with_keras(expr: str, input_shape, *, batch: int = 2, call_kwargs=None, positional=False,
                       rtol=1e-4, atol=1e-5, seed=0):
    """Assert archlint matches Keras on one layer: output shape, param counts, weight shapes, forward.

    `expr` is a constructor call such as "Conv2D(8, 3, padding='same')"; `input_shape`
    leaves out the batch axis (a list of such shapes for a layer taking a list). With
    `positional=True` the list is passed as separate positional arguments instead, as in
    `MultiHeadAttention()(query, value)`.
    """
    keras = keras_or_skip()
    call_kwargs = call_kwargs or {}
    ours = archlint_layer(expr)
    theirs = eval(expr, {"__builtins__": {}}, {**vars(keras.layers), "keras": keras})

    full = _shapes_with_batch(input_shape, batch)
    rng = np.random.default_rng(seed)
    inputs = _random(full, rng)
    args, shape_args = (inputs, full) if positional else ([inputs], [full])
    expected = theirs(*args, **call_kwargs)

    ours.build(*shape_args, **call_kwargs)
    ours.built = True
    got_shape = ours.compute_output_shape(*shape_args, **call_kwargs)
    want_shapes = [tuple(t.shape) for t in _flat(expected)]
    got_shapes = [tuple(s) for s in (got_shape if isinstance(got_shape, list) else [got_shape])]
    assert got_shapes == want_shapes, f"output shape: archlint {got_shapes}, keras {want_shapes}"

    theirs_weights = theirs.weights
    ours_weights = [w for _, w in ours.all_weights()]
    assert [tuple(w.shape) for w in ours_weights] == [tuple(w.shape) for w in theirs_weights], "weight shapes"
    assert ours.count_params() == theirs.count_params()
    assert not (ours.weightless and theirs.weights), "declared weightless, and Keras's layer has weights"
    trainable = sum(int(np.prod(w.shape)) for w in theirs.trainable_weights)
    assert ours.count_trainable() == trainable

    for mine, real in zip(ours_weights, theirs_weights):
        mine.value = np.asarray(real.numpy(), dtype=np.float32)
    got = ours.forward(*args, **call_kwargs)
    assert len(_flat(got)) == len(_flat(expected)), "number of outputs"
    for g, e in zip(_flat(got), _flat(expected)):
        e = np.asarray(e)
        assert g.shape == e.shape
        np.testing.assert_allclose(g, e, rtol=rtol, atol=atol)
    return ours
