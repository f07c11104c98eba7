"""AL104: a dimension left unknown where a layer must size its weights."""

from archlint.errors import UnknownDimension
from archlint.rules import Rule

RULE = Rule(
    code=UnknownDimension.code,
    name="unknown-required-dimension",
    severity="error",
    summary=("a dimension that must be known is unknown (Dense/Flatten-then-Dense on a `None` axis, Embedding "
             "without input length where needed)"),
    what="""
        A layer needs the size of an axis to create its weights, and the size is `None`: Dense
        on a last axis of unknown size, typically after Flatten of an input with variable
        height and width; a convolution whose channel axis is unknown.
        """,
    why="""
        Keras refuses to build the model: the kernel's shape depends on that size.
        """,
    fix="""
        Give the input a fixed size on that axis, or replace Flatten with a global pooling
        layer (GlobalAveragePooling2D), which gives a known size whatever the input's height
        and width.
        """,
    fires=("""
        import keras
        from keras import layers

        inputs = keras.Input(shape=(None, None, 3))
        x = layers.Conv2D(8, 3)(inputs)
        x = layers.Flatten()(x)
        outputs = layers.Dense(10)(x)  # AL104
        model = keras.Model(inputs, outputs)
        """,),
    passes=("""
        import keras
        from keras import layers

        inputs = keras.Input(shape=(None, None, 3))
        x = layers.Conv2D(8, 3)(inputs)
        x = layers.GlobalAveragePooling2D()(x)
        outputs = layers.Dense(10)(x)
        model = keras.Model(inputs, outputs)
        """,),
)
