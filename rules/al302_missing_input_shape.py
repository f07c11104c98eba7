"""AL302: a Sequential model that never learns its input shape."""

from archlint.errors import MissingInputShape
from archlint.rules import Rule

RULE = Rule(
    code=MissingInputShape.code,
    name="missing-input-shape",
    severity="warning",
    summary="a model has no input shape anywhere (Sequential without Input or `input_shape`) and none was supplied",
    what="""
        A Sequential model with no `keras.Input` as its first element, no `input_shape` on its
        first layer, no `build(...)` call and no call on a tensor.
        """,
    why="""
        Keras builds such a model only when it first sees data, so neither Keras's summary nor
        archlint can give its shapes and parameter counts, and faults in it stay hidden until
        training starts.
        """,
    fix="""
        Start the model with `keras.Input(shape=...)`, or pass the shape on the command line
        with --input-shape.
        """,
    fires=("""
        import keras
        from keras import layers

        model = keras.Sequential([  # AL302
            layers.Dense(64, activation="relu"),
            layers.Dense(10),
        ])
        """,),
    passes=("""
        import keras
        from keras import layers

        model = keras.Sequential([
            keras.Input(shape=(20,)),
            layers.Dense(64, activation="relu"),
            layers.Dense(10),
        ])
        """,),
)
