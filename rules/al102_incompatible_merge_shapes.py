"""AL102: tensors merged whose shapes do not fit together."""

from archlint.errors import IncompatibleShapes
from archlint.rules import Rule

RULE = Rule(
    code=IncompatibleShapes.code,
    name="incompatible-merge-shapes",
    severity="error",
    summary=("merge inputs (Add, Subtract, Multiply, Average, Maximum, Minimum, Concatenate, Dot, `+`) have "
             "incompatible shapes"),
    what="""
        The inputs of an elementwise merge (Add, Subtract, Multiply, Average, Maximum, Minimum,
        or an operator such as `x + y`) that neither match nor broadcast; a Concatenate whose
        inputs differ on an axis other than the concatenation axis; a Dot whose contracted axes
        differ in size.
        """,
    why="""
        Keras refuses to build the model. In residual blocks it usually means the shortcut
        was not downsampled or projected like the main branch.
        """,
    fix="""
        Make both branches agree: the same padding and strides on each, a 1x1 convolution on
        the shortcut to match the channel count, or the right `axis` for Concatenate.
        """,
    fires=("""
        import keras
        from keras import layers

        inputs = keras.Input(shape=(32, 32, 16))
        a = layers.Conv2D(16, 3)(inputs)
        b = layers.Conv2D(16, 3, padding="same")(inputs)
        outputs = layers.Add()([a, b])  # AL102
        model = keras.Model(inputs, outputs)
        """, """
        import keras
        from keras import layers

        inputs = keras.Input(shape=(32, 32, 16))
        shortcut = inputs
        x = layers.Conv2D(32, 3, padding="same")(inputs)
        outputs = x + shortcut  # AL102
        model = keras.Model(inputs, outputs)
        """),
    passes=("""
        import keras
        from keras import layers

        inputs = keras.Input(shape=(32, 32, 16))
        a = layers.Conv2D(16, 3, padding="same")(inputs)
        b = layers.Conv2D(16, 3, padding="same")(inputs)
        outputs = layers.Add()([a, b])
        model = keras.Model(inputs, outputs)
        """, """
        import keras
        from keras import layers

        inputs = keras.Input(shape=(32, 32, 16))
        a = layers.Conv2D(8, 3, padding="same")(inputs)
        outputs = layers.Concatenate()([a, inputs])
        model = keras.Model(inputs, outputs)
        """),
)
