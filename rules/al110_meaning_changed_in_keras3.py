"""AL110: Keras 1/2 code that Keras 3 runs without error, but to a different effect."""

from archlint.errors import MeaningChangedInKeras3
from archlint.rules import Rule

RULE = Rule(
    code=MeaningChangedInKeras3.code,
    name="meaning-changed-in-keras3",
    severity="warning",
    summary="Keras 3 accepts Keras 1/2 code but reads it differently (`Conv2D(32, 3, 3)` strides 3, not a 3x3 "
            "kernel; an optimizer's `decay=` ignored; Embedding's `input_length` ignored)",
    what="""
        Code written for Keras 1 or 2 that Keras 3 still runs, with another meaning: the
        Keras 1 convolution `Conv2D(32, 3, 3)` (32 filters of 3x3) is, in Keras 3, 32 filters of
        3x3 with strides 3; `decay=` on an optimizer is ignored with a warning; a first
        Embedding layer's `input_length` no longer gives the model an input shape.
        """,
    why="""
        Nothing fails, so the change goes unnoticed: strides 3 shrink the feature map ninefold
        and the accuracy with it, the learning rate never decays, the model has no summary
        until it is fit.
        """,
    fix="""
        Spell it as Keras 3 does: `Conv2D(32, (3, 3))` (or `Conv2D(32, 3, strides=3)` if the
        stride was meant); a `keras.optimizers.schedules.InverseTimeDecay` learning rate for
        `decay=`; `keras.Input(shape=(length,))` before the Embedding.
        """,
    fires=("""
        import keras
        from keras import layers

        model = keras.Sequential([
            keras.Input(shape=(28, 28, 1)),
            layers.Conv2D(32, 3, 3, activation="relu"),  # AL110
            layers.Flatten(),
            layers.Dense(10, activation="softmax"),
        ])
        """, """
        import keras
        from keras import layers

        model = keras.Sequential([keras.Input(shape=(20,)), layers.Dense(1)])
        model.compile(optimizer=keras.optimizers.SGD(learning_rate=0.01, decay=1e-6), loss="mse")  # AL110
        """),
    passes=("""
        import keras
        from keras import layers

        model = keras.Sequential([
            keras.Input(shape=(28, 28, 1)),
            layers.Conv2D(32, (3, 3), activation="relu"),
            layers.Conv2D(32, 3, strides=3, activation="relu"),
            layers.Flatten(),
            layers.Dense(10, activation="softmax"),
        ])
        """, """
        import keras
        from keras import layers

        model = keras.Sequential([keras.Input(shape=(20,)), layers.Dense(1)])
        model.compile(optimizer=keras.optimizers.SGD(learning_rate=0.01, weight_decay=1e-6), loss="mse")
        """),
)
