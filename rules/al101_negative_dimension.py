"""AL101: a window that no longer fits in what is left of the input."""

from archlint.errors import NegativeDimension
from archlint.rules import Rule

RULE = Rule(
    code=NegativeDimension.code,
    name="negative-dimension",
    severity="error",
    summary="a convolution, pooling or cropping produces a zero or negative dimension",
    what="""
        A convolution or pooling window larger than its input along some axis with
        padding="valid", a stack of poolings that halves a small input below one, or a
        cropping that removes more than the axis holds. The message names the layer, the
        input size and the arithmetic, e.g. `floor((4 - 5) / 1) + 1 = 0`.
        """,
    why="""
        Keras refuses to build the model ("Computed output size would be zero or negative").
        The usual cause is an input smaller than the architecture was designed for, or one
        pooling step too many.
        """,
    fix="""
        Use padding="same", fewer pooling or strided steps, a smaller kernel or crop, or a
        larger input: the arithmetic in the message tells how much larger it has to be.
        """,
    fires=("""
        import keras
        from keras import layers

        model = keras.Sequential([
            keras.Input(shape=(4, 4, 3)),
            layers.Conv2D(8, 5),  # AL101
        ])
        """, """
        import keras
        from keras import layers

        inputs = keras.Input(shape=(16, 16, 3))
        x = inputs
        for _ in range(5):
            x = layers.MaxPooling2D()(x)  # AL101
        model = keras.Model(inputs, x)
        """),
    passes=("""
        import keras
        from keras import layers

        model = keras.Sequential([
            keras.Input(shape=(4, 4, 3)),
            layers.Conv2D(8, 5, padding="same"),
        ])
        """, """
        import keras
        from keras import layers

        inputs = keras.Input(shape=(16, 16, 3))
        x = inputs
        for _ in range(4):
            x = layers.MaxPooling2D()(x)
        model = keras.Model(inputs, x)
        """),
)
