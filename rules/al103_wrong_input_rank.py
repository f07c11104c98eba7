"""AL103: a layer given a tensor with the wrong number of axes."""

from archlint.errors import WrongRank
from archlint.rules import Rule

RULE = Rule(
    code=WrongRank.code,
    name="wrong-input-rank",
    severity="error",
    summary="a layer gets a tensor of the wrong rank (Conv2D on a rank-3 tensor, LSTM on rank 2, ...)",
    what="""
        A layer receives a tensor whose rank it cannot take: Conv2D or MaxPooling2D on
        anything but (batch, height, width, channels), an LSTM on (batch, features) without a
        time axis, Dense on a rank-1 tensor.
        """,
    why="""
        Keras refuses to build the model. The usual causes are a grayscale image shape given
        without its channel axis, or a sequence layer after a Flatten or a Dense.
        """,
    fix="""
        Give the input its missing axis (`shape=(28, 28, 1)`, not `(28, 28)`), add a Reshape,
        or keep the time axis (`return_sequences=True` on the previous recurrent layer).
        """,
    fires=("""
        import keras
        from keras import layers

        model = keras.Sequential([
            keras.Input(shape=(28, 28)),
            layers.Conv2D(32, 3),  # AL103
        ])
        """, """
        import keras
        from keras import layers

        model = keras.Sequential([
            keras.Input(shape=(100, 8)),
            layers.LSTM(32),
            layers.LSTM(32),  # AL103
        ])
        """),
    passes=("""
        import keras
        from keras import layers

        model = keras.Sequential([
            keras.Input(shape=(28, 28, 1)),
            layers.Conv2D(32, 3),
        ])
        """, """
        import keras
        from keras import layers

        model = keras.Sequential([
            keras.Input(shape=(100, 8)),
            layers.LSTM(32, return_sequences=True),
            layers.LSTM(32),
        ])
        """),
)
