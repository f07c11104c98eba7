"""The static evaluator on real model-building code: budgets, control flow, exceptions, modules, classes."""

import textwrap
import time

import pytest

from archlint import dims
from archlint.analysis import analyze_source, analyze_file


def analyse(source: str, path: str = "model.py"):
    return analyze_source(textwrap.dedent(source), path)


def models(report):
    return {m.symbol: m for m in report.models}


def codes(report):
    return [(d.code, d.line) for d in report.diagnostics]


@pytest.mark.parametrize("loop", ["for i in range(10**9):\n    x += 1", "while True:\n    x += 1"])
def test_endless_loops_end_with_a_budget_finding(loop):
    start = time.process_time()  # the budget is CPU time: a busy machine stretches the wall time
    report = analyse("import keras\nx = 0\n" + loop + "\nmodel = keras.Sequential()\n")
    assert time.process_time() - start < 30
    [stop] = report.diagnostics
    # The loop's condition or its body, whichever was running when the clock ran out.
    assert stop.code == "AL301" and stop.line in (3, 4) and f"budget exceeded at line {stop.line}" in stop.message
    assert "loop at line 3 in the file" in stop.message


def test_pow_with_a_modulus_is_computed_however_large_the_exponent():
    report = analyse("""
        import keras
        width = pow(3, 10**9, 7)  # Python: 3 ** 10**9 % 7 by modular exponentiation, 4
        model = keras.Sequential([keras.Input(shape=(3,)), keras.layers.Dense(width)])
    """)
    assert codes(report) == []
    assert models(report)["model"].total_params == 3 * 4 + 4


def test_sum_of_lists_and_tuples_joins_them_as_python_does():
    report = analyse("""
        import keras
        widths = sum([[4], [8, 16]], [2])  # [2, 4, 8, 16]
        depth = len(sum([(1,), (2, 3)], ()))  # 3
        model = keras.Sequential([keras.Input(shape=(3,))] + [keras.layers.Dense(w) for w in widths[:depth]])
    """)
    assert codes(report) == []
    assert models(report)["model"].total_params == (3 * 2 + 2) + (2 * 4 + 4) + (4 * 8 + 8)


def test_infinite_recursion_is_cut_off():
    report = analyse("""
        import keras
        def f(n):
            return f(n + 1)
        y = f(0)
        model = keras.Sequential([keras.Input(shape=(3,)), keras.layers.Dense(2)])
    """)
    assert models(report)["model"].total_params == 3 * 2 + 2


def test_undecidable_condition_is_reported_not_guessed():
    report = analyse("""
        import os
        import keras
        inputs = keras.Input(shape=(8,))
        x = inputs
        if os.environ.get("WIDE"):
            x = keras.layers.Dense(64)(x)
        model = keras.Model(inputs, keras.layers.Dense(1)(x))
    """)
    assert ("AL301", 6) in codes(report)
    # Dense(1) sees 8 or 64 features depending on the branch: its parameters are unknown, not 8 + 1.
    model = models(report)["model"]
    assert not model.complete
    assert model.total_params == 0


def test_names_changed_in_a_loop_not_analysed_become_unknown():
    # The loop may run any number of times: `width` is 8 or more, `texts` is not known to be empty. The Dense
    # is sized by that unknown number: its parameters are an expression of it, never a guessed number.
    report = analyse("""
        import keras
        import numpy as np
        texts = []
        width = 8
        for row in np.loadtxt("data.tsv"):
            texts.append(row)
            width += 8
        longest = max([len(t) for t in texts])
        model = keras.Sequential([keras.Input(shape=(4,)), keras.layers.Dense(width)])
    """)
    assert not any("raises" in d.message for d in report.diagnostics)
    model = models(report)["model"]
    (dense,) = [row for row in model.layers if row.type == "Dense"]
    assert str(dense.params) == "5 * width" and tuple(dense.output_shape) == (None, dims.Size.named("width", True))
    assert "`width` may be changed in the loop at line 6" in model.data_sizes["width"]["reason"]


def test_continue_in_an_undecided_branch_makes_the_loop_unknown_and_analysis_goes_on():
    report = analyse("""
        import keras
        import numpy as np
        seen = set()
        samples = []
        while len(samples) < 50000:
            key = tuple(sorted((np.random.randint(9), np.random.randint(9))))
            if key in seen:
                continue
            seen.add(key)
            samples.append(key)
        model = keras.Sequential([keras.Input(shape=(4,)), keras.layers.Dense(3)])
    """)
    assert models(report)["model"].total_params == 4 * 3 + 3
    assert not any("budget" in d.message or "raises" in d.message for d in report.diagnostics)


def test_return_in_an_undecided_branch_makes_the_result_unknown():
    report = analyse("""
        import os
        import keras

        def width():
            if os.environ.get("WIDE"):
                return 64
            return 8

        model = keras.Sequential([keras.Input(shape=(4,)), keras.layers.Dense(width())])
    """)
    (dense,) = [row for row in models(report)["model"].layers if row.type == "Dense"]
    assert dims.is_size(dense.params) and dense.params.names() == {"width()"}  # 64 or 8: never one of them


def test_a_layer_called_with_keyword_tensors_is_built_from_their_shapes():
    # Keras builds `mha(query=q, value=v, key=k)` with query_shape, value_shape and key_shape.
    report = analyse("""
        import keras
        x = keras.Input(shape=(10, 16))
        y = keras.layers.MultiHeadAttention(num_heads=2, key_dim=8)(query=x, value=x, key=x)
        model = keras.Model(x, y)
    """)
    assert not [d for d in report.diagnostics if d.severity == "error"]
    heads, key_dim, features = 2, 8, 16
    projections = 3 * (features * heads * key_dim + heads * key_dim) + heads * key_dim * features + features
    assert models(report)["model"].total_params == projections


def test_a_finding_reached_in_every_iteration_is_reported_once():
    report = analyse("""
        import keras
        import numpy as np
        for epoch in range(40):
            for row in np.loadtxt("data.tsv"):
                print(row)
        model = keras.Sequential([keras.Input(shape=(4,)), keras.layers.Dense(2)])
    """)
    assert codes(report) == [("AL301", 5)]


def test_tf_matmul_transpose_flags_swap_the_last_two_axes():
    # q @ k^T of (None, 5, 8) queries is (None, 5, 5); without the flag Keras would reject 8 vs 5.
    report = analyse("""
        import keras
        import tensorflow as tf

        class Scores(keras.layers.Layer):
            def call(self, q):
                return tf.matmul(q, q, transpose_b=True) / tf.math.sqrt(tf.cast(tf.shape(q)[-1], tf.float32))

        x = keras.Input(shape=(5, 8))
        model = keras.Model(x, Scores()(x))
    """)
    assert not [d for d in report.diagnostics if d.severity == "error"]
    (row,) = [r for r in models(report)["model"].layers if r.type == "Scores"]
    assert tuple(row.output_shape) == (None, 5, 5)


def test_training_results_are_unknown_not_none():
    report = analyse("""
        import keras
        model = keras.Sequential([keras.Input(shape=(4,)), keras.layers.Dense(2)])
        history = model.fit([], [])
        if history is None:
            retrained = keras.Sequential([keras.Input(shape=(4,)), keras.layers.Dense(5)])
    """)
    assert "retrained" not in models(report)
    assert ("AL301", 5) in codes(report)


def test_an_unknown_passed_down_a_chain_of_layers_is_reported_at_the_first():
    report = analyse("""
        import keras
        import numpy as np
        features = np.loadtxt("features.tsv")
        x = keras.layers.Dense(8)(features)
        x = keras.layers.Dense(4)(x)
        outputs = keras.layers.Dense(1)(x)
    """)
    assert [line for code, line in codes(report) if code == "AL301"] == [5]


def test_a_model_on_an_input_shaped_by_the_data_is_found_unresolved():
    report = analyse("""
        import keras
        import numpy as np
        x_train = np.loadtxt("train.tsv")
        inputs = keras.Input(shape=x_train.shape[1:])
        x = keras.layers.Dense(8)(inputs)
        model = keras.Model(inputs, keras.layers.Dense(1)(x))
    """)
    model = models(report)["model"]
    assert [row.type for row in model.layers] == ["InputLayer", "Dense", "Dense"]
    assert not model.complete and model.total_params == 0
    assert [line for code, line in codes(report) if code == "AL301"] == [5]


def test_an_embedding_of_a_vocabulary_read_from_data_has_a_known_output_shape():
    # Embedding(len(vocab), 32): the table's size is an expression of the vocabulary's, its (None, 10, 32) output
    # is known.
    report = analyse("""
        import keras
        import numpy as np

        class Encoder(keras.layers.Layer):
            def __init__(self, vocabulary_size):
                super().__init__()
                self.embedding = keras.layers.Embedding(vocabulary_size, 16)

            def call(self, x):
                return self.embedding(x)

        vocab = list(np.loadtxt("vocab.txt"))
        tokens = keras.Input(shape=(10,), dtype="int32")
        x = keras.layers.Embedding(input_dim=len(vocab), output_dim=32)(tokens)
        x = keras.layers.GlobalAveragePooling1D()(x)
        pooled = keras.layers.Dense(4)(x)
        encoded = Encoder(len(vocab))(tokens)
        model = keras.Model(tokens, [pooled, encoded])
    """)
    rows = {row.name: row for row in models(report)["model"].layers}
    assert tuple(rows["embedding"].output_shape) == (None, 10, 32)
    for size in (2, 3, 1000):  # a table of input_dim rows of output_dim numbers
        assert rows["embedding"].params.value({"len(vocab)": size}) == size * 32
        assert rows["encoder"].params.value({"vocabulary_size": size}) == size * 16  # its parameter's name
    assert rows["dense"].params == 32 * 4 + 4
    assert tuple(rows["encoder"].output_shape) == (None, 10, 16)
    assert models(report)["model"].complete  # every count is exact, as an expression
    assert not any(d.code == "AL301" for d in report.diagnostics)


def test_exceptions_unwind_to_the_matching_handler():
    report = analyse("""
        import keras
        CONFIG = {"width": "wide"}
        try:
            width = int(CONFIG["width"])
        except KeyError:
            width = 1
        except ValueError:
            width = 16
        try:
            depth = CONFIG["depth"]
        except LookupError:
            depth = 2
        assert width == 16
        layers = [keras.layers.Dense(width) for _ in range(depth)]
        model = keras.Sequential([keras.Input(shape=(4,)), *layers])
    """)
    # Dense(16) on 4 features, then Dense(16) on 16.
    assert models(report)["model"].total_params == (4 * 16 + 16) + (16 * 16 + 16)


def test_closures_partial_kwargs_and_stack_fn():
    report = analyse("""
        import functools
        import keras
        from keras import layers

        def block(filters, **conv_args):
            def apply(x):
                return layers.Conv2D(filters, 3, **conv_args)(x)
            return apply

        def stack(x, stack_fn, widths):
            for width in widths:
                x = stack_fn(width)(x)
            return x

        same = functools.partial(block, padding="same", use_bias=False)
        inputs = keras.Input(shape=(8, 8, 2))
        model = keras.Model(inputs, stack(inputs, same, [4, 6]))
    """)
    model = models(report)["model"]
    # No bias: 3*3*2*4 then 3*3*4*6.
    assert model.total_params == 3 * 3 * 2 * 4 + 3 * 3 * 4 * 6
    assert model.layers[-1].output_shape == (None, 8, 8, 6)


def test_project_modules_are_followed(tmp_path):
    package = tmp_path / "nets"
    package.mkdir()
    (package / "__init__.py").write_text("")
    (package / "blocks.py").write_text(textwrap.dedent("""
        from keras import layers

        def conv_block(x, filters):
            return layers.Conv2D(filters, 3, padding="same")(x)
    """))
    (package / "model.py").write_text(textwrap.dedent("""
        import keras
        from .blocks import conv_block
        from nets import blocks

        inputs = keras.Input(shape=(16, 16, 3))
        x = conv_block(inputs, 8)
        model = keras.Model(inputs, blocks.conv_block(x, 4))
    """))
    report = analyze_file(str(package / "model.py"))
    assert models(report)["model"].total_params == (27 * 8 + 8) + (72 * 4 + 4)


def test_findings_and_layers_made_in_an_imported_module_are_located_where_the_checked_file_calls_it(tmp_path):
    """A line of another file would point an editor at the wrong code: the call in the checked file is the place,
    and the way in (with the other file's lines) is the chain."""
    (tmp_path / "blocks.py").write_text(textwrap.dedent("""\
        from keras import layers


        def down(x, filters):
            x = layers.Conv2D(filters, 5)(x)
            return layers.MaxPooling2D()(x)
    """))
    (tmp_path / "model.py").write_text(textwrap.dedent("""\
        import keras
        from blocks import down

        inputs = keras.Input(shape=(12, 12, 3))
        x = down(inputs, 8)
        model = keras.Model(inputs, down(x, 16))
    """))
    report = analyze_file(str(tmp_path / "model.py"))
    rows = {row.name: row.line for row in models(report)["model"].layers}
    assert rows == {"input_layer": 4, "conv2d": 5, "max_pooling2d": 5, "conv2d_1": 6, "max_pooling2d_1": 6}
    (error,) = [d for d in report.diagnostics if d.severity == "error"]
    assert (error.code, error.line, error.column, error.end_line) == ("AL101", 6, 29, 6)
    assert error.chain == ("down() called at line 6",)


def test_custom_layer_weights_and_traced_call():
    report = analyse("""
        import keras
        from keras import layers, ops

        class Scale(layers.Layer):
            def __init__(self, **kwargs):
                super().__init__(**kwargs)
                self.proj = layers.Dense(4)

            def build(self, input_shape):
                self.gamma = self.add_weight(shape=(input_shape[-1],), name="gamma")

            def call(self, x):
                return self.proj(ops.mean(x, axis=1) * 2.0) + self.gamma[:4]

        inputs = keras.Input(shape=(5, 6))
        model = keras.Model(inputs, Scale()(inputs))
    """)
    row = models(report)["model"].layers[-1]
    # gamma (6) plus the held Dense(4) on 6 features.
    assert (row.type, row.output_shape, row.params) == ("Scale", (None, 4), 6 + 6 * 4 + 4)


def test_checked_code_with_hostile_decorators_and_classes_never_runs(tmp_path):
    marker = tmp_path / "ran"
    report = analyse(f"""
        import os, subprocess
        def evil(fn):
            os.system("touch {marker}")
            subprocess.run(["touch", "{marker}"])
            return fn

        @evil
        def build():
            return None

        class Boom:
            os.system("touch {marker}")
        __import__("os").system("touch {marker}")
        eval("open('{marker}', 'w')")
        exec("open('{marker}', 'w')")
    """)
    assert not marker.exists()
    assert report.models == []


def test_a_library_backbone_stays_in_the_graph_as_one_unknown_layer():
    """keras_hub presets are downloaded at run time: the backbone's size is unknowable statically, but the model
    around it is still the user's, and is reported layer by layer, incomplete, with the reason."""
    report = analyse("""
        import keras
        import keras_hub

        backbone = keras_hub.models.BertBackbone.from_preset("bert_base_en_uncased")
        backbone.trainable = False
        token_ids = keras.Input(shape=(128,), dtype="int32", name="token_ids")
        padding_mask = keras.Input(shape=(128,), dtype="int32", name="padding_mask")
        outputs = backbone({"token_ids": token_ids, "padding_mask": padding_mask})
        x = keras.layers.Dropout(0.1)(outputs["pooled_output"])
        model = keras.Model([token_ids, padding_mask], keras.layers.Dense(2)(x))
    """)
    model = models(report)["model"]
    rows = [(row.name, row.type, row.params, row.inbound) for row in model.layers if row.type != "InputLayer"]
    assert rows == [("bert_backbone", "BertBackbone", None, ["padding_mask", "token_ids"]),
                    ("dropout", "Dropout", 0, ["bert_backbone"]),
                    ("dense", "Dense", None, ["dropout"])]
    assert not model.complete
    assert [(d.code, d.line) for d in report.diagnostics] == [("AL301", 5)]
    assert "BertBackbone" in report.diagnostics[0].message


def test_a_tf_hub_layer_keeps_its_input_shape():
    report = analyse("""
        import tensorflow as tf
        import tensorflow_hub as hub

        model = tf.keras.Sequential([
            hub.KerasLayer("https://tfhub.dev/some/feature_vector/5", trainable=False, input_shape=(224, 224, 3)),
            tf.keras.layers.Dense(5),
        ])
    """)
    model = models(report)["model"]
    assert model.inputs == [("input_layer", (None, 224, 224, 3))]
    assert [(row.type, row.params) for row in model.layers if row.type != "InputLayer"] == \
        [("KerasLayer", None), ("Dense", None)]
    assert codes(report) == [("AL301", 6)]


def test_an_unmodelled_layer_has_unknown_parameters_and_a_lambda_none():
    report = analyse("""
        import keras

        inputs = keras.Input(shape=(8,))
        x = keras.layers.Lambda(lambda t: t * 2)(inputs)
        model = keras.Model(inputs, keras.layers.SomeFutureLayer(4)(x))
    """)
    assert [(row.type, row.params) for row in models(report)["model"].layers if row.type != "InputLayer"] == \
        [("Lambda", 0), ("SomeFutureLayer", None)]


def test_a_loop_whose_exit_cannot_be_decided_is_not_analysed_past_it():
    """Going round again would assume the `break` is not taken; for `while True` it would never end."""
    report = analyse("""
        import keras
        from keras import layers

        def width(seed):
            return seed.unknowable()

        x = inputs = keras.Input(shape=(8,))
        while True:
            x = layers.Dense(4)(x)
            if width(x) > 3:
                break
        model = keras.Model(inputs, x)
    """)
    model = models(report)["model"]
    # After the loop, x is the output of an unknown number of Dense layers: one unresolved step stands for them.
    assert [(row.type, row.params) for row in model.layers] == [("InputLayer", 0), ("Dense", 8 * 4 + 4), ("Unknown", None)]
    assert not model.complete
    assert [(d.code, d.line) for d in report.diagnostics] == [("AL301", 9), ("AL301", 11)]
    assert "it may end the loop, which is not analysed past it" in report.diagnostics[1].message


def test_a_finding_repeated_by_a_loop_is_reported_once():
    report = analyse("""
        import helpers

        for step in range(10_000):
            if helpers.unknowable(step):
                pass
    """)
    assert codes(report) == [("AL301", 5)]


def test_tf_matmul_transposes_and_unmodelled_arguments_stay_unknown():
    report = analyse("""
        import tensorflow as tf
        from tensorflow import keras
        from tensorflow.keras import layers

        inputs = keras.Input((6, 8))
        weights = tf.nn.softmax(layers.Dense(1)(inputs), axis=1)
        pooled = tf.squeeze(tf.matmul(weights, inputs, transpose_a=True), -2)
        gram = tf.matmul(inputs, inputs, transpose_b=True)
        model = keras.Model(inputs, layers.Dense(2)(pooled))
        sparse = keras.Model(inputs, layers.Dense(2)(tf.matmul(inputs, inputs, a_is_sparse=True)))
        grams = keras.Model(inputs, layers.Dense(3)(gram))
    """)
    found = models(report)
    # (None, 6, 1) transposed is (None, 1, 6); times (None, 6, 8) gives (None, 1, 8), squeezed to (None, 8).
    assert found["model"].layers[-1].output_shape == (None, 2) and found["model"].complete
    # (None, 6, 8) times its transpose (None, 8, 6): (None, 6, 6), then Dense(3) on 6 features.
    assert (found["grams"].layers[-1].output_shape, found["grams"].layers[-1].params) == ((None, 6, 3), 6 * 3 + 3)
    assert "sparse" not in found
    # Keras 3's KerasTensor refuses to become a tf.Tensor (keras/src/backend/common/keras_tensor.py, __tf_tensor__).
    assert {d.code for d in report.diagnostics if d.severity == "error"} == {"AL109"}


def test_a_starred_unknown_says_what_it_leaves_unknown():
    report = analyse("""
        import os
        import keras

        sizes = [*os.listdir("widths")]
        model = keras.Sequential(*os.listdir("layers"))
    """)
    messages = [(d.line, d.message.split(" (")[0]) for d in report.diagnostics if d.code == "AL301"]
    assert (5, "starred value not known statically; the sequence it extends is unknown") in messages
    assert (6, "*args from a value not known statically; the call's arguments are unknown") in messages


def test_iterators_are_unknowns_that_say_so():
    report = analyse("""
        import keras

        widths = iter([8, 16])
        first = next(widths)
        inputs = keras.Input(shape=(4,))
        model = keras.Model(inputs, keras.layers.Dense(first)(inputs))
    """)
    model = models(report)["model"]
    assert "iter(): iterators are not modelled" in model.data_sizes["first"]["reason"]
    assert str(model.layers[-1].params) == "5 * first"


def test_tf_depth_to_space_rearranges_channels_into_pixels():
    from archlint.evaluate.tensor_ops import OPS
    import numpy as np

    op = OPS["tf.nn.depth_to_space"]
    # TensorFlow's documented example: one pixel of 4 channels becomes a 2x2 block of 1 channel.
    x = np.arange(4, dtype=np.float32).reshape(1, 1, 1, 4)
    assert op.forward(x, block_size=2).tolist() == [[[[0.0], [1.0]], [[2.0], [3.0]]]]
    # Each of a 2x1 image's pixels of 8 channels becomes its own 2x2 block of 2 channels.
    x = np.arange(16, dtype=np.float32).reshape(1, 2, 1, 8)
    assert op.forward(x, block_size=2)[0, :, :, 1].tolist() == [[1, 3], [5, 7], [9, 11], [13, 15]]

    report = analyse("""
        import tensorflow as tf
        from tensorflow import keras
        from tensorflow.keras import layers

        inputs = keras.Input(shape=(None, None, 3))
        x = layers.Conv2D(3 * 9, 3, padding="same")(inputs)
        x = tf.nn.depth_to_space(x, 3)
        model = keras.Model(inputs, layers.Conv2D(4, 1)(x))
        odd = keras.Model(inputs, tf.nn.depth_to_space(layers.Conv2D(6, 1)(inputs), block_size=2))
    """)
    found = models(report)
    assert found["model"].layers[-1].output_shape == (None, None, None, 4) and found["model"].complete
    # 6 channels do not make blocks of 2x2: TensorFlow would refuse, which only TensorFlow can confirm.
    assert any("6 channels do not split into blocks of 4" in d.message for d in report.diagnostics if d.code == "AL301")
    # Keras 3's KerasTensor refuses to become a tf.Tensor (keras/src/backend/common/keras_tensor.py, __tf_tensor__).
    assert {d.code for d in report.diagnostics if d.severity == "error"} == {"AL109"}


def test_tensorflow_shape_reads_and_activation_functions_on_tensors():
    report = analyse("""
        import tensorflow as tf
        from tensorflow import keras
        from tensorflow.keras import layers

        class Heads(layers.Layer):
            def call(self, x):
                _, tokens, channels = x.get_shape().as_list()
                heads = tf.reshape(x, (-1, tokens, 4, channels // 4))
                return keras.activations.softmax(heads, axis=-1)

        inputs = keras.Input((10, 16))
        width = inputs.shape.as_list()[-1]
        model = keras.Model(inputs, layers.Dense(width)(Heads()(inputs)))
    """)
    row = models(report)["model"].layers[-1]
    assert (row.output_shape, row.params) == ((None, 10, 4, 16), 4 * 16 + 16)


def test_a_subclassed_model_never_called_is_not_reported_complete():
    report = analyse("""
        import keras
        from keras import layers

        class Lazy(keras.Model):
            def build(self, input_shape):
                self.head = layers.Dense(3)

            def call(self, x):
                return self.head(x)

        lazy = Lazy()
        used = Lazy()
        used(keras.Input((4,)))
    """)
    found = models(report)
    # Keras's count_params() refuses a model that is not built: its weights do not exist yet.
    assert not found["lazy"].complete and found["used"].complete and found["used"].total_params == 4 * 3 + 3
    assert [(d.code, d.line) for d in report.diagnostics] == [("AL301", 12)]


def test_l2_normalized_embeddings_and_a_model_subclass_with_an_unknown_graph():
    from archlint.evaluate.tensor_ops import OPS
    import numpy as np

    # A (3, 4) vector has norm 5; a zero vector stays zero.
    x = np.array([[3.0, 4.0], [0.0, 0.0]], dtype=np.float32)
    np.testing.assert_allclose(OPS["tf.nn.l2_normalize"].forward(x, axis=-1), [[0.6, 0.8], [0.0, 0.0]])
    np.testing.assert_allclose(OPS["normalize"].forward(x), [[0.6, 0.8], [0.0, 0.0]])
    report = analyse("""
        import tensorflow as tf
        from tensorflow import keras
        from tensorflow.keras import layers

        class Embedder(keras.Model):
            def __init__(self, inputs, outputs):
                super().__init__(inputs, outputs)
                self.temperature = 0.2

        inputs = layers.Input(shape=(8,))
        embeddings = tf.nn.l2_normalize(layers.Dense(4)(inputs), axis=-1)
        model = Embedder(inputs, embeddings)
        unknown = Embedder(inputs, tf.some_future_op(embeddings))
    """)
    found = models(report)
    assert found["model"].complete and found["model"].total_params == 8 * 4 + 4
    # Keras builds it; archlint cannot know its outputs: incomplete, not an internal error.
    assert not found["unknown"].complete and ("AL301", 14) in codes(report)


def test_al107_wherever_the_missing_name_is_reached():
    """`correct_pad` is Keras-internal: Keras 3 exports imagenet_utils without it (keras_truth: ImportError)."""
    report = analyse("""
        import keras
        from keras.applications import imagenet_utils
        from keras.applications.imagenet_utils import correct_pad
        x = keras.Input((32, 32, 3))
        p = imagenet_utils.correct_pad(x, 3)
        q = keras.applications.imagenet_utils.correct_pad(x, 3)
    """)
    assert [(d.code, d.line) for d in report.diagnostics if d.code == "AL107"] == [("AL107", 4), ("AL107", 6), ("AL107", 7)]


def test_a_subclass_of_a_keras_layer_that_overrides_its_call_is_one_unknown_layer():
    """Keras would run the overriding call(); archlint does not guess what it does to shapes. Its weights are
    Dense's, whose build it keeps: 16 * 32 + 32."""
    report = analyse("""
        import keras
        from keras import layers

        class ScaledDense(layers.Dense):
            def call(self, inputs):
                return super().call(inputs) * 2.0

        inputs = keras.Input(shape=(10, 16))
        model = keras.Model(inputs, layers.Dense(3)(ScaledDense(32)(inputs)))
    """)
    model = models(report)["model"]
    assert [(row.name, row.type, row.params) for row in model.layers] == \
        [("input_layer", "InputLayer", 0), ("scaled_dense", "ScaledDense", 16 * 32 + 32), ("dense", "Dense", None)]
    assert not model.complete
    (finding,) = report.diagnostics
    assert finding.code == "AL301" and "ScaledDense subclasses keras.layers.Dense and overrides its call" in finding.message


def test_keras_datasets_arrays_have_the_documented_shapes():
    # Keras documents mnist as 60,000 + 10,000 images of 28x28 with one label each, cifar10 as
    # 50,000 + 10,000 images of 32x32x3 with labels of shape (n, 1), boston_housing as 404 + 102
    # rows of 13 features (test_split=0.2 of 506). The loaders download, so this is arithmetic
    # from those documented shapes rather than a recorded Keras run.
    report = analyse("""
        import numpy as np
        import keras
        from keras import layers
        (x_train, y_train), (x_test, y_test) = keras.datasets.mnist.load_data()
        flat = x_train.reshape((60000, 28 * 28)).astype("float32") / 255
        images = np.expand_dims(x_train, -1).astype("float32") / 255.0
        labels = keras.utils.to_categorical(y_train, 10)
        mlp = keras.Sequential([keras.Input(shape=(flat.shape[1],)), layers.Dense(len(x_test) // 1000)])
        cnn = keras.Sequential([keras.Input(shape=images.shape[1:]), layers.Conv2D(4, 3), layers.Flatten(),
                                layers.Dense(labels.shape[1])])
        (c_train, c_labels), _ = keras.datasets.cifar10.load_data()
        cifar = keras.Sequential([keras.Input(shape=c_train.shape[1:]), layers.Flatten(),
                                  layers.Dense(keras.utils.to_categorical(c_labels, 100).shape[-1])])
        (h_train, _), (h_test, _) = keras.datasets.boston_housing.load_data()
        h_train -= h_train.mean(axis=0)
        h_train /= h_train.std(axis=0)
        houses = keras.Sequential([keras.Input(shape=(h_train.shape[1],)), layers.Dense(len(h_test))])
    """)
    found = models(report)
    assert found["mlp"].total_params == 784 * 10 + 10
    assert found["cnn"].layers[0].output_shape == (None, 26, 26, 4)
    assert found["cnn"].total_params == (3 * 3 * 1 * 4 + 4) + (26 * 26 * 4 * 10 + 10)
    assert found["cifar"].total_params == 32 * 32 * 3 * 100 + 100
    assert found["houses"].total_params == 13 * 102 + 102
    assert all(m.complete for m in found.values())


def test_an_item_of_the_imdb_and_reuters_arrays_is_a_list_not_a_tensor():
    # keras.datasets.imdb and reuters give arrays of Python lists (a review's word indices, of its own length), as
    # Keras documents: x_train[0][:10] slices a list, which Python does; x_train[:200] is 200 of those lists.
    report = analyse("""
        import keras
        (x_train, y_train), (x_test, y_test) = keras.datasets.imdb.load_data()
        first_words = x_train[0][:10]
        (news, topics), _ = keras.datasets.reuters.load_data()
        some = news[:200]
        model = keras.Sequential([keras.Input(shape=(len(some),)), keras.layers.Dense(len(topics) // 1000)])
    """)
    assert [d for d in report.diagnostics if d.severity == "error"] == []
    found = models(report)
    assert found["model"].total_params == 200 * 8 + 8  # int(11228 * 0.8) = 8982 topics // 1000 = 8 units
    assert found["model"].complete


def test_every_model_bound_or_summarized_is_reported_in_order_as_each_summary_showed_it():
    # fixtures/models/script_main_rebinding.py; the trainable counts are those Keras's own
    # model.summary() prints at the two calls (1,570 then 1,578 of 1,698), and the first two
    # models are Dense(4) on 8 features (36) and Dense(16) + Dense(1) (8*16+16 + 16+1 = 161).
    report = analyze_file("fixtures/models/script_main_rebinding.py")
    assert [(m.symbol, m.total_params, m.trainable_params) for m in report.models] == [
        ("model", 36, 36), ("model", 161, 161), ("base", 128, 8), ("model", 1698, 1570), ("model", 1698, 1578),
        ("classifier", 18, 18)]


def test_a_function_that_trains_a_model_without_returning_it_still_yields_it():
    report = analyse("""
        import keras
        def train(units=4):
            model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(units)])
            model.compile(loss="mse")
            model.fit([[1.0, 2.0, 3.0]], [[0.0] * units])
        train()
        def tune():
            candidate = keras.Sequential([keras.Input((2,)), keras.layers.Dense(5)])
            candidate.summary()
    """)
    assert [(m.symbol, m.total_params) for m in report.models] == [("train.model", 3 * 4 + 4), ("tune.candidate", 2 * 5 + 5)]


def test_tf_keras_backend_tensor_functions_in_lambdas():
    # tf.keras.backend (Keras 2's K) spells keras.ops' functions, but concatenate and expand_dims
    # default to the last axis: (10, 4) -> mean over the last axis (10,) -> (10, 1) -> with t (10, 5).
    report = analyse("""
        import keras
        from tensorflow.keras import backend as K
        from tensorflow.keras import layers
        inputs = keras.Input((10, 4))
        a = layers.Lambda(lambda t: K.sqrt(K.maximum(K.sum(K.square(t), axis=-1, keepdims=True), K.epsilon())))(inputs)
        b = layers.Lambda(lambda t: K.concatenate([t, K.expand_dims(K.mean(t, axis=-1))]))(inputs)
        c = layers.Lambda(lambda t: t / (K.max(t, axis=1, keepdims=True) + 1.0) * 2)(inputs)
        model = keras.Model(inputs, [a, b, c])
    """)
    model = models(report)["model"]
    assert [row.output_shape for row in model.layers[1:]] == [(None, 10, 1), (None, 10, 5), (None, 10, 4)]
    assert model.complete


def test_a_nested_model_on_any_image_size_called_on_416x416_shows_that_calls_shapes():
    # Keras's model.summary() of `model` (recorded from Keras 3.15) lists backbone's row as
    # [(None, 208, 208, 8), (None, 208, 208, 12)] and the head as (None, 208, 208, 2); total 318, 302 trainable.
    report = analyse("""
        import keras
        from keras import layers
        inp = keras.Input((None, None, 3))
        x = layers.Conv2D(8, 3, strides=2, padding="same")(inp)
        x = layers.BatchNormalization()(x)
        y = layers.Conv2D(4, 1)(x)
        z = layers.Concatenate()([x, layers.UpSampling2D(1)(y)])
        backbone = keras.Model(inp, [x, z], name="backbone")
        big = keras.Input((416, 416, 3))
        a, b = backbone(big)
        model = keras.Model(big, layers.Conv2D(2, 1)(b))
    """)
    model = models(report)["model"]
    assert [row.output_shape for row in model.layers] == [
        (None, 416, 416, 3), [(None, 208, 208, 8), (None, 208, 208, 12)], (None, 208, 208, 2)]
    assert (model.total_params, model.trainable_params, model.complete) == (318, 302, True)


def test_numpy_constants_and_functions_of_numbers():
    report = analyse("""
        import numpy as np
        import keras
        units = int(np.sqrt(np.e ** 2 * 100) // 1) + int(np.floor(np.pi))
        model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(units)])
    """)
    assert models(report)["model"].total_params == 4 * 30 + 30  # sqrt(e^2 * 100) = 27.18..., floor(pi) = 3


def test_a_sequential_summarized_before_and_after_an_add_shows_each_state_once():
    report = analyse("""
        import keras
        model = keras.Sequential()
        model.add(keras.Input(shape=(3,)))
        model.add(keras.layers.Dense(64))
        model.summary()
        model.summary()
        model.add(keras.layers.Dense(10))
        model.summary()
    """)
    assert [(m.symbol, m.total_params) for m in report.models] == [("model", 3 * 64 + 64), ("model", 256 + 64 * 10 + 10)]


def test_text_vectorization_with_max_tokens_and_output_sequence_length():
    # Keras's TextVectorization.compute_output_shape: int mode gives (batch, output_sequence_length);
    # multi_hot with pad_to_max_tokens gives max_tokens per sample. Embedding 20000 * 256, a Bidirectional
    # LSTM(32) on 256 features 2 * 4 * 32 * (256 + 32 + 1), Dense(1) 64 + 1.
    report = analyse("""
        import keras
        from keras import layers
        vectorize = layers.TextVectorization(max_tokens=20000, output_mode="int", output_sequence_length=600)
        text_input = keras.Input(shape=(1,), dtype="string")
        x = layers.Embedding(20000, 256)(vectorize(text_input))
        x = layers.Bidirectional(layers.LSTM(32))(x)
        model = keras.Model(text_input, layers.Dense(1)(x))
        bag = layers.TextVectorization(max_tokens=100, output_mode="multi_hot", pad_to_max_tokens=True)
        words = keras.Input(shape=(), dtype="string")
        bag_model = keras.Model(words, layers.Dense(2)(bag(words)))
        adapted = layers.TextVectorization(output_mode="multi_hot")
        adapted_model = keras.Model(words, layers.Dense(2)(adapted(words)))
    """)
    found = models(report)
    assert found["model"].layers[1].output_shape == (None, 600)
    assert found["model"].total_params == 20000 * 256 + 2 * 4 * 32 * (256 + 32 + 1) + 65
    assert found["bag_model"].layers[1].output_shape == (None, 100) and found["bag_model"].total_params == 202
    assert not found["adapted_model"].complete


@pytest.mark.parametrize("sublayer", ["keras.layers.Dense(4)", "Pair()"])
def test_a_sublayer_built_on_a_shape_not_known_statically_leaves_its_weights_unknown(sublayer):
    # Keras builds `second` on whatever read_shape() gives (here 6 features: 6 * 4 + 4 more parameters);
    # archlint cannot know it, and says so rather than counting `second` as holding nothing.
    report = analyse(f"""
        import json
        import keras

        class Pair(keras.layers.Layer):
            def build(self, input_shape):
                self.w = self.add_weight(shape=(input_shape[-1], 4))

            def call(self, x):
                return x[..., :4] @ keras.ops.ones((4, 4))

        def read_shape():
            return tuple(json.load(open("shape.json")))

        class Block(keras.layers.Layer):
            def __init__(self, **kwargs):
                super().__init__(**kwargs)
                self.first = keras.layers.Dense(8)
                self.second = {sublayer}

            def build(self, input_shape):
                self.first.build(input_shape)
                self.second.build(read_shape())

            def compute_output_shape(self, input_shape):
                return input_shape[:-1] + (8,)

            def call(self, x):
                return self.first(x)

        inputs = keras.Input((5,))
        model = keras.Model(inputs, Block()(inputs))
    """)
    model = models(report)["model"]
    assert not model.complete
    assert [row.params for row in model.layers] == [0, None]
    assert [code for code, _ in codes(report)] == ["AL301"]


def test_a_layer_keras_builds_by_tracing_a_call_archlint_cannot_follow_has_unknown_weights():
    # No build(): Keras traces call() to build `project`; archlint's trace stops at the unknown helper first.
    report = analyse("""
        import keras
        from mystery import scramble

        class Head(keras.layers.Layer):
            def __init__(self, **kwargs):
                super().__init__(**kwargs)
                self.project = keras.layers.Dense(4)

            def call(self, x):
                return self.project(scramble(x))

            def compute_output_shape(self, input_shape):
                return input_shape[:-1] + (4,)

        inputs = keras.Input((5,))
        model = keras.Model(inputs, Head()(inputs))
    """)
    model = models(report)["model"]
    assert not model.complete
    assert [row.params for row in model.layers] == [0, None]


def test_a_numpy_integer_of_a_number_read_from_data_names_no_size():
    # Keras's Dense refuses a NumPy integer for units whatever its value (fixtures/errors/
    # al106_dense_numpy_prod_units.keras.json: "expected a positive integer. Received: units=784"); a convolution
    # takes one, but which number np.int32(n) is archlint does not know.
    source = """
        import os
        import numpy as np
        import keras

        n = len(os.listdir("classes"))
        model = keras.Sequential([keras.Input((8, 2)), keras.layers.LAYER])
    """
    dense = analyse(source.replace("LAYER", "Dense(np.int32(n))"))
    assert [code for code, _ in codes(dense)] == ["AL106"]
    conv = analyse(source.replace("LAYER", "Conv1D(np.int64(n), 3)"))
    assert [code for code, _ in codes(conv)] == ["AL301"] and not models(conv)["model"].complete
