"""AL109: a call Keras 3 rejects outside a layer's own arguments, most often Keras 2 code."""

from archlint.errors import RejectedByKeras3
from archlint.rules import Rule

RULE = Rule(
    code=RejectedByKeras3.code,
    name="rejected-by-keras3",
    severity="error",
    summary="Keras 3 raises on a call the source makes (optimizer `lr=`, `compile(metrics=\"accuracy\")`, "
            "`Model(input=, output=)`, `KerasTensor.get_shape()`, `x._keras_shape`, `layer.output_shape`, "
            "a TensorFlow op on a symbolic tensor, a non-tensor positional argument to a layer, `load_model` of an "
            "unsupported path)",
    what="""
        Calls and attribute reads that worked in Keras 2 and that Keras 3 refuses: an
        optimizer given `lr=`; `compile(metrics="accuracy")` with a string (or one metric or function) for the list;
        `Model(input=..., output=...)`; `get_shape()` on a symbolic tensor, or the private
        `_keras_shape` (`_shape_val`) where Keras 2 (TensorFlow) kept its shape; the `input_shape` or
        `output_shape` attribute of a layer; a TensorFlow function (`tf.reduce_sum`,
        `tf.concat`...) called on a symbolic tensor outside a layer; a value that is not a
        tensor passed positionally to a layer call (`layer(x, True)`), or `None` for the `mask` of a custom
        layer's call() on one tensor (Keras passes mask= itself); `load_model` of a path
        that is neither `.keras` nor `.h5`/`.hdf5`; the model methods Keras 3 removed
        (`fit_generator`, `predict_classes`, ...) and Keras 1's `fit(nb_epoch=...)`. The message
        gives the Keras 3 spelling, and
        archlint goes on with it.
        """,
    why="""
        Keras 3 (and tf.keras since TensorFlow 2.16) raises at that line, so the program stops
        before it trains.
        """,
    fix="""
        `learning_rate=` for `lr=`; `metrics=["accuracy"]`; `Model(inputs=..., outputs=...)`;
        `x.shape` for `x.get_shape()` and `x._keras_shape`; `layer.output.shape` (after the layer is called) for
        `layer.output_shape`; `keras.ops` functions or a layer around TensorFlow code; pass
        options by keyword (`layer(x, training=True)`); save and load `.keras` files;
        `model.fit` for `fit_generator`, `epochs=` for `nb_epoch=`.
        """,
    fires=("""
        import keras
        from keras import layers

        model = keras.Sequential([keras.Input(shape=(20,)), layers.Dense(1)])
        model.compile(optimizer=keras.optimizers.SGD(lr=0.01), loss="mse")  # AL109
        """, """
        import keras
        from keras import layers

        model = keras.Sequential([keras.Input(shape=(20,)), layers.Dense(3, activation="softmax")])
        model.compile(optimizer="adam", loss="categorical_crossentropy", metrics="accuracy")  # AL109
        """, """
        import keras
        from keras import layers

        inputs = keras.Input(shape=(20,))
        outputs = layers.Dense(1)(inputs)
        model = keras.Model(input=inputs, output=outputs)  # AL109
        """, """
        import keras
        from keras import layers

        inputs = keras.Input(shape=(20,))
        units = inputs.get_shape()[-1]  # AL109
        model = keras.Model(inputs, layers.Dense(units)(inputs))
        """),
    passes=("""
        import keras
        from keras import layers

        model = keras.Sequential([keras.Input(shape=(20,)), layers.Dense(1)])
        model.compile(optimizer=keras.optimizers.SGD(learning_rate=0.01), loss="mse", metrics=["mae"])
        """, """
        import keras
        from keras import layers

        inputs = keras.Input(shape=(20,))
        units = inputs.shape[-1]
        model = keras.Model(inputs=inputs, outputs=layers.Dense(units)(inputs))
        """),
)
