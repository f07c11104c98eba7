"""AL301: something archlint cannot know without running the code."""

from archlint.errors import Unresolved
from archlint.rules import Rule

RULE = Rule(
    code=Unresolved.code,
    name="unresolved",
    severity="info",
    summary=("something could not be resolved statically (opaque `Lambda`, unknown callable, value known only at "
             "run time); analysis goes on around it"),
    what="""
        A value archlint cannot compute without running the code: a Lambda or custom layer
        whose call uses an operation archlint does not model, a function from a library
        archlint does not model, a condition or loop over values known only at run time.
        The message says what and why.
        """,
    why="""
        The shapes and parameter counts after that point are unknown, so the model's report
        is incomplete and rules cannot check what depends on them. archlint never guesses.
        """,
    fix="""
        Often nothing is wrong. Where a Lambda only reshapes or computes elementwise, a
        built-in layer (Reshape, Activation, Rescaling, a merge layer) lets archlint follow the
        shapes; a value written as a literal instead of read at run time does the same.
        """,
    fires=("""
        import keras
        from keras import layers

        inputs = keras.Input(shape=(28, 28, 1))
        x = layers.Lambda(lambda t: keras.ops.sort(t, axis=1))(inputs)  # AL301
        outputs = layers.Conv2D(8, 3)(x)
        model = keras.Model(inputs, outputs)
        """,),
    passes=("""
        import keras
        from keras import layers

        inputs = keras.Input(shape=(28, 28, 1))
        x = layers.Rescaling(1 / 255.0)(inputs)
        outputs = layers.Conv2D(8, 3)(x)
        model = keras.Model(inputs, outputs)
        """,),
)
