"""AL112: a layer already built is called again on an input its weights do not fit."""

from archlint.errors import InputUnlikeWeights
from archlint.rules import Rule

RULE = Rule(
    code=InputUnlikeWeights.code,
    name="shared-layer-input-mismatch",
    severity="error",
    summary="a layer already built (a shared layer) is called again on an input its weights do not fit (Dense built on 20 features given 30)",
    what="""
        A layer holds weights from its first call: a Dense built on 20 features has a
        (20, units) kernel, a Conv2D built on 3 channels a kernel over 3 channels. Calling the
        same layer object again, on a tensor that would give it other weights (30 features,
        1 channel), is what this rule finds. Axes the weights do not depend on may differ:
        a Dense shared between a (None, 20) and a (None, 5, 20) tensor is fine.
        """,
    why="""
        Keras checks each call against the input the weights were built for and raises
        ("Input 0 of layer 'dense' is incompatible with the layer: expected axis -1 of input
        shape to have value 20"). Sharing a layer means sharing its weights, so both inputs
        must fit them. (An LSTM or LayerNormalization given such an input is built all the
        same, and fails only when the model runs.)
        """,
    fix="""
        Give each input its own layer when they differ in size, or project them to the same
        size first (a Dense on the narrower one) if the weights are meant to be shared.
        """,
    fires=("""
        import keras
        from keras import layers

        short = keras.Input(shape=(20,))
        long = keras.Input(shape=(30,))
        shared = layers.Dense(10)
        model = keras.Model([short, long], [shared(short), shared(long)])  # AL112
        """, """
        import keras
        from keras import layers

        rgb = keras.Input(shape=(32, 32, 3))
        gray = keras.Input(shape=(32, 32, 1))
        stem = layers.Conv2D(16, 3)
        features = stem(rgb)
        model = keras.Model([rgb, gray], [features, stem(gray)])  # AL112
        """),
    passes=("""
        import keras
        from keras import layers

        left = keras.Input(shape=(20,))
        right = keras.Input(shape=(5, 20))
        shared = layers.Dense(10)
        model = keras.Model([left, right], [shared(left), shared(right)])
        """, """
        import keras
        from keras import layers

        short = keras.Input(shape=(4, 3))
        long = keras.Input(shape=(5, 3))
        act = layers.PReLU()  # its alpha is (4, 3) after the first call, but Keras checks only the rank
        model = keras.Model([short, long], [act(short), act(long)])
        """),
)
