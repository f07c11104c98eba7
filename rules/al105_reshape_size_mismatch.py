"""AL105: a Reshape whose target does not hold the same number of elements."""

from archlint.errors import ReshapeMismatch
from archlint.rules import Rule

RULE = Rule(
    code=ReshapeMismatch.code,
    name="reshape-size-mismatch",
    severity="error",
    summary="Reshape target does not match the element count",
    what="""
        The product of a Reshape's `target_shape` differs from the number of elements per
        sample of its input, or, with a -1 in the target, does not divide it.
        """,
    why="""
        Keras refuses to build the model: a reshape can only rearrange elements, never add or
        drop them.
        """,
    fix="""
        Choose a target whose product equals the input's element count (the message gives
        both), or let Keras compute one axis with -1.
        """,
    fires=("""
        import keras
        from keras import layers

        model = keras.Sequential([
            keras.Input(shape=(28, 28)),
            layers.Reshape((28, 14)),  # AL105
        ])
        """,),
    passes=("""
        import keras
        from keras import layers

        model = keras.Sequential([
            keras.Input(shape=(28, 28)),
            layers.Reshape((14, 56)),
            layers.Reshape((-1, 4)),
        ])
        """,),
)
