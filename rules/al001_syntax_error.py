"""AL001: the file is not Python that archlint can parse."""

from archlint.errors import InvalidSyntax
from archlint.rules import Rule

RULE = Rule(
    code=InvalidSyntax.code,
    name="syntax-error",
    severity="error",
    summary="the file cannot be parsed as Python",
    what="""
        The file has a syntax error, or its bytes are not text in the encoding it declares.
        Nothing else in the file is analysed.
        """,
    why="""
        Python refuses the file before Keras sees a single layer, and archlint cannot find the
        models in it either.
        """,
    fix="""
        Correct the syntax at the reported position (a missing comma between list elements is
        the usual one in a Sequential model), then run archlint again.
        """,
    fires=("""
        import keras

        model = keras.Sequential([
            keras.Input(shape=(28, 28, 1)),
            keras.layers.Flatten()  # AL001
            keras.layers.Dense(10),
        ])
        """,),
    passes=("""
        import keras

        model = keras.Sequential([
            keras.Input(shape=(28, 28, 1)),
            keras.layers.Flatten(),
            keras.layers.Dense(10),
        ])
        """,),
)
