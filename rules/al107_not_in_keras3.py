"""AL107: a Keras name that Keras 3 does not have."""

from archlint.errors import NotInKeras3
from archlint.rules import Rule

RULE = Rule(
    code=NotInKeras3.code,
    name="not-in-keras3",
    severity="error",
    summary=("the code names a module, layer or function that Keras 3 does not have (a Keras 2 path such as "
             "keras.layers.experimental, a removed layer such as CuDNNLSTM, a misspelling)"),
    what="""
        A name under `keras.` or `tf.keras.` that is not part of Keras 3's public API:
        Keras 2 module paths (`keras.layers.experimental.preprocessing`,
        `keras.layers.convolutional`, `keras.engine`), layers Keras 3 removed (`CuDNNLSTM`,
        `ThresholdedReLU`, `LocallyConnected2D`) and misspellings (`layers.Conv2d`). The list of
        names is Keras's own, generated from its public API; `keras.src` internals are not
        checked.
        """,
    why="""
        The import or attribute access raises (ModuleNotFoundError, ImportError, AttributeError)
        before any model is built. TensorFlow's `tf.keras` is Keras 3 since TensorFlow 2.16, so
        code written for Keras 2 meets this on upgrade. archlint goes on analysing with the layer
        the name meant, so that the rest of the model is still checked.
        """,
    fix="""
        Use the Keras 3 name the message gives: every layer is directly in `keras.layers`
        (`keras.layers.Rescaling`), `CuDNNLSTM` is `LSTM`. Code meant for Keras 2 only can
        ignore this rule (`ignore = ["AL107"]`).
        """,
    fires=("""
        import keras
        from keras import layers

        model = keras.Sequential([
            keras.Input(shape=(64, 64, 3)),
            layers.experimental.preprocessing.Rescaling(1.0 / 255),  # AL107
            layers.Conv2D(8, 3),
        ])
        """, """
        import keras
        from keras.layers import CuDNNLSTM  # AL107

        model = keras.Sequential([keras.Input(shape=(20, 8)), CuDNNLSTM(16)])
        """),
    passes=("""
        import keras
        from keras import layers

        model = keras.Sequential([
            keras.Input(shape=(64, 64, 3)),
            layers.Rescaling(1.0 / 255),
            layers.Conv2D(8, 3),
        ])
        """, """
        import keras
        from keras.layers import LSTM

        model = keras.Sequential([keras.Input(shape=(20, 8)), LSTM(16)])
        """),
)
