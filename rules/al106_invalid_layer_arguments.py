"""AL106: layer arguments Keras refuses, alone or together."""

from archlint.errors import InvalidArgument
from archlint.rules import Rule

RULE = Rule(
    code=InvalidArgument.code,
    name="invalid-layer-arguments",
    severity="error",
    summary=("a layer's own arguments are invalid together (groups not dividing channels or filters, strides > 1 "
             "with dilation > 1, unknown padding, non-positive units or filters), or a library model's: a Keras "
             "Applications input_shape under its minimum size, a ValueError an installed library raises"),
    what="""
        Arguments a layer rejects whatever its input: `strides` > 1 together with
        `dilation_rate` > 1 on a convolution, `groups` that does not divide the filters or the
        input channels, an unknown `padding`, zero or negative `units` or `filters`, a float size
        (`Dense(n / 2)`, even when 4.0) or a NumPy integer where Keras checks for an int (`Dense(np.prod(shape))`,
        `kernel_size=np.int32(3)`; convolution filters and Reshape take one), a keyword
        the layer does not take. Likewise a `keras.applications` model's `input_shape` that
        Keras refuses: smaller than the model's minimum (32x32 for ResNet50, 75x75 for
        InceptionV3), not three axes, or other than the 224x224x3 of imagenet weights with the
        classifier on top; and a ValueError an installed library's code (a keras_hub backbone
        checking its arguments) raises on what the file gives it, with its message when known.
        """,
    why="""
        Keras raises when the layer is created or first called, so the model never builds.
        """,
    fix="""
        Follow the message: use either strides or dilation, choose `groups` dividing both
        channel counts, spell padding "valid" or "same", give a positive size; resize the images
        to the application's minimum or more.
        """,
    fires=("""
        import keras
        from keras import layers

        model = keras.Sequential([
            keras.Input(shape=(64, 64, 3)),
            layers.Conv2D(32, 3, strides=2, dilation_rate=2),  # AL106
        ])
        """, """
        import keras
        from keras import layers

        model = keras.Sequential([
            keras.Input(shape=(64, 64, 6)),
            layers.Conv2D(32, 3, groups=4),  # AL106
        ])
        """, """
        import keras

        base = keras.applications.ResNet50(weights=None, include_top=False, input_shape=(16, 16, 3))  # AL106
        """),
    passes=("""
        import keras
        from keras import layers

        model = keras.Sequential([
            keras.Input(shape=(64, 64, 3)),
            layers.Conv2D(32, 3, dilation_rate=2),
        ])
        """, """
        import keras
        from keras import layers

        model = keras.Sequential([
            keras.Input(shape=(64, 64, 6)),
            layers.Conv2D(32, 3, groups=2),
        ])
        """, """
        import keras

        base = keras.applications.ResNet50(weights=None, include_top=False, input_shape=(32, 32, 3))
        """),
)
