"""AL111: a built model called on a tensor whose shape its Input does not take."""

from archlint.errors import ModelInputMismatch
from archlint.rules import Rule

RULE = Rule(
    code=ModelInputMismatch.code,
    name="model-input-mismatch",
    severity="error",
    summary="a built model (Functional or Sequential) is called on a tensor whose shape its Input does not take",
    what="""
        A model that has its Input already (a Functional model, a Sequential with a
        `keras.Input` or built by a first call) is called on a tensor differing from that
        Input on an axis both give as a number: a (None, 32) tensor into a model built on
        Input((64,)), a 16x16 image into one built on 8x8. As Keras does, a last axis of 1 is
        set aside on each side before comparing.
        """,
    why="""
        Keras checks a model's inputs against its Input layers and refuses the call. Its
        layers hold weights sized for that Input, so the model cannot be run on other sizes.
        """,
    fix="""
        Build the inner model on the shape it is used with, or give its Input `None` for the
        axes that vary (`keras.Input((None, None, 3))`) when its layers allow it.
        """,
    fires=("""
        import keras
        from keras import layers

        encoder = keras.Sequential([keras.Input(shape=(64,)), layers.Dense(10)])
        inputs = keras.Input(shape=(32,))
        model = keras.Model(inputs, encoder(inputs))  # AL111
        """,),
    passes=("""
        import keras
        from keras import layers

        encoder = keras.Sequential([keras.Input(shape=(64,)), layers.Dense(10)])
        inputs = keras.Input(shape=(64,))
        model = keras.Model(inputs, encoder(inputs))
        """,),
)
