"""AL108: a name the file never defines or imports."""

from archlint.errors import UndefinedName
from archlint.rules import Rule

RULE = Rule(
    code=UndefinedName.code,
    name="undefined-name",
    severity="error",
    summary="a name is used that the file never defines or imports (Python raises NameError); a file using Keras "
            "names it never imports is reported once as a fragment",
    what="""
        A name read in the checked file that is bound nowhere in it (no assignment, `def`,
        `class`, import or loop variable) and is not a Python builtin. A file that uses
        Keras names (`Sequential`, `Dense`, `Conv2D`, ...) without importing Keras at all, as a
        Stack Overflow snippet or a notebook cell does, gets one finding naming them instead
        of one per name.
        """,
    why="""
        Python raises NameError at that line, so nothing after it runs. For a fragment,
        archlint cannot tell which Keras the names belong to and analyses nothing.
        """,
    fix="""
        Import the name (`from keras import layers`, `from keras.layers import Dense`). For a
        fragment, run `archlint check --assume-imports` (or set `assume-imports = true`): it is
        analysed as if `import numpy as np`, `import tensorflow as tf`, `import keras`,
        `from keras import layers, models, optimizers`,
        `from keras.layers import *` and `from keras.models import Sequential, Model` were there.
        """,
    fires=("""
        import keras

        model = keras.Sequential([
            keras.Input(shape=(20,)),
            Dense(10),  # AL108
        ])
        """, """
        model = Sequential()  # AL108
        model.add(Dense(10, input_shape=(20,)))
        """),
    passes=("""
        import keras
        from keras.layers import Dense

        model = keras.Sequential([
            keras.Input(shape=(20,)),
            Dense(10),
        ])
        """, """
        import keras

        def build():
            return keras.Sequential([keras.Input(shape=(20,)), keras.layers.Dense(UNITS)])

        UNITS = 10
        model = build()
        """),
)
