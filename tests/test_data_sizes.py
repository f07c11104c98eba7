"""Numbers read from data as named sizes: archlint's expressions against what real Keras built.

Each model of fixtures/data_sizes/ reads the numbers that size its layers from data (a folder's
entries, a file's lines). fixtures/make_data_sizes.py ran each file under real Keras with data of
n items for several n, so that every such number was n, and recorded what Keras built. archlint
analyses each file once, without the data: every number read from data is a named size, and each
row's output shape and parameter count, evaluated with every one of those sizes at n, must be
what Keras built at n.
"""

import json
import os

import pytest

from archlint import dims
from archlint.analysis import analyze_file, analyze_source

DATA_SIZES = os.path.join(os.path.dirname(__file__), "..", "fixtures", "data_sizes")
with open(os.path.join(DATA_SIZES, "data_sizes.json")) as _handle:
    RECORDING = json.load(_handle)


def _at(value, numbers: dict):
    """A dimension or count with every number read from data at its value; an input's named axis is None, as in
    Keras's symbolic build."""
    if dims.from_data(value):
        return value.value(numbers)
    return None if dims.is_size(value) else value


@pytest.mark.parametrize("stem", sorted(RECORDING["runs"]))
def test_expressions_of_numbers_read_from_data_give_what_keras_built(stem):
    report = analyze_file(os.path.join(DATA_SIZES, stem + ".py"))
    assert not any(d.severity == "error" for d in report.diagnostics)
    ours = {m.symbol: m for m in report.models}
    for n, run in RECORDING["runs"][stem].items():
        assert run["error"] is None
        for symbol, keras_model in run["models"].items():
            model = ours[symbol]
            assert model.complete and model.data_sizes  # exact, as expressions of the numbers read
            numbers = dict.fromkeys(model.data_sizes, int(n))
            rows = [row for row in model.layers if row.type != "InputLayer"]
            expected = [row for row in keras_model["layers"] if row["type"] != "InputLayer"]
            assert [(row.name, row.type) for row in rows] == [(row["name"], row["type"]) for row in expected]
            for row, keras_row in zip(rows, expected):
                assert _at(row.params, numbers) == keras_row["params"], (n, row.name, str(row.params))
                assert [_at(d, numbers) for d in row.output_shape] == keras_row["output_shape"], (n, row.name)
            assert _at(model.total_params, numbers) == keras_model["total"], (n, str(model.total_params))
            assert _at(model.trainable_params, numbers) == keras_model["trainable"]


def test_the_numbers_are_named_after_where_they_came_from():
    names = {stem: sorted(analyze_file(os.path.join(DATA_SIZES, stem + ".py")).models[0].data_sizes)
             for stem in RECORDING["runs"]}
    assert names == {
        "image_folder_classes": ["num_classes"],
        "vocabulary_embedding": ["len(vocab)", "maxlen", "vocab_size"],  # len(vocab) // 2 is never bound
        "unknown_image_size_head": ["num_classes"],
        "helper_and_reshape": ["rows", "units"],  # len(labels) is the helper's parameter `units`
        "sequence_tagger": ["num_tags"],
        "application_classes": ["num_classes"],  # MobileNetV2's `classes` is the number passed to it
        "attention_over_tags": ["num_tags"],
        "separable_channels": ["channels"],
        "reshape_by_count": ["windows"],
        "attention_and_preprocessing": ["features"],
        "text_cnn_by_length": ["num_classes", "sequence_length"],
        "time_distributed_tags": ["num_tags"],
        "einsum_by_count": ["heads"],
        "elementwise_function_channels": ["channels"],
        "tensor_ops_by_count": ["channels"],
        "broadcast_input_axis_with_count": ["num_classes"],
        "build_and_output_shape_by_count": ["num_classes"],
    }


def _sized_layers():
    """Layers built with a number read from data n, on inputs some of whose axes are n: (name, make(n), shapes(n))."""
    from archlint.layers import (
        attention, augmentation, conv, core, merge, normalization, pooling, preprocessing, reshaping, spatial,
    )

    return [
        ("MultiHeadAttention", lambda n: attention.MultiHeadAttention(n, 2 * n, value_dim=n + 1, output_shape=(n,)),
         lambda n: [(None, 12, 16), (None, n, 8)]),
        ("MultiHeadAttention on 2 attention axes", lambda n: attention.MultiHeadAttention(2, n, attention_axes=(1, 2)),
         lambda n: [(None, 3, n, 2 * n), (None, 4, n + 1, 5)]),
        ("SeparableConv2D", lambda n: conv.SeparableConv2D(n, 3, depth_multiplier=n, padding="same"),
         lambda n: [(None, 9, 9, n + 2)]),
        ("SeparableConv1D", lambda n: conv.SeparableConv1D(2 * n, 3, depth_multiplier=3, strides=2),
         lambda n: [(None, 4 * n + 5, n)]),
        ("DepthwiseConv2D", lambda n: conv.DepthwiseConv2D(3, depth_multiplier=n), lambda n: [(None, 7, 7, 4)]),
        ("DepthwiseConv1D", lambda n: conv.DepthwiseConv1D(2, depth_multiplier=n + 1), lambda n: [(None, 2 * n, n)]),
        ("Conv2DTranspose", lambda n: conv.Conv2DTranspose(n, 3, strides=2), lambda n: [(None, 5, 5, n)]),
        ("RepeatVector", lambda n: reshaping.RepeatVector(n), lambda n: [(None, 3 * n)]),
        ("Reshape", lambda n: reshaping.Reshape((n, -1)), lambda n: [(None, n * (n + 1), 2)]),
        ("Attention", lambda n: attention.Attention(score_mode="concat"), lambda n: [[(None, 3, n), (None, n + 1, n)]]),
        ("AdditiveAttention", lambda n: attention.AdditiveAttention(), lambda n: [[(None, n, 2 * n), (None, 4, 2 * n)]]),
        ("Dot", lambda n: merge.Dot(axes=(1, 2)), lambda n: [[(None, n, 3), (None, 5, n)]]),
        ("GroupNormalization", lambda n: normalization.GroupNormalization(groups=n), lambda n: [(None, 6, 3 * n)]),
        ("RandomCrop", lambda n: augmentation.RandomCrop(n, 2 * n), lambda n: [(None, 40, 40, n)]),
        ("Resizing", lambda n: preprocessing.Resizing(n + 1, n), lambda n: [(None, 8, 8, 3)]),
        ("Conv2D kernel", lambda n: conv.Conv2D(3, (n, 2)), lambda n: [(None, 2 * n, 5, 2)]),
        ("MaxPooling1D", lambda n: pooling.MaxPooling1D(n), lambda n: [(None, 3 * n, 4)]),
        ("AveragePooling2D strides", lambda n: pooling.AveragePooling2D((n, 2), strides=(n, 1), padding="same"),
         lambda n: [(None, 4 * n, 6, 3)]),
        ("UpSampling2D", lambda n: spatial.UpSampling2D((n, 2)), lambda n: [(None, 3, 4, 2)]),
        ("ZeroPadding2D", lambda n: spatial.ZeroPadding2D(((n, 1), (2, n))), lambda n: [(None, 3, 4, 2)]),
        ("Cropping1D", lambda n: spatial.Cropping1D((n, 1)), lambda n: [(None, 2 * n + 3, 2)]),
        ("EinsumDense", lambda n: core.EinsumDense("abc,cd->abd", (n, 2 * n), bias_axes="d"),
         lambda n: [(None, n, n + 3)]),
        ("TextVectorization", lambda n: preprocessing.TextVectorization(max_tokens=n + 2, output_sequence_length=n),
         lambda n: [(None,)]),
    ]


@pytest.mark.parametrize("name, make, shapes", _sized_layers(), ids=[case[0] for case in _sized_layers()])
def test_a_layer_computes_with_a_named_size_what_it_computes_with_the_number(name, make, shapes):
    # The layer built with the named size n, its output shape, parameters and MACs evaluated at n, against the same
    # layer built with the number (whose shapes and parameters the Keras fixtures check).
    def built(n):
        layer, inputs = make(n), shapes(n)
        layer.build(*inputs)
        output = layer.compute_output_shape(*inputs)
        tensors = inputs[0] if isinstance(inputs[0], list) else inputs  # a list of inputs is one argument
        macs = layer.count_macs([(1, *s[1:]) for s in tensors], [(1, *output[1:])])
        return output, layer.count_params(), macs

    size = dims.Size.named("n", from_data=True)
    output, params, macs = built(size)
    for n in (1, 2, 5, 12):
        at = {"n": n}
        expected = built(n)
        assert [_at(d, at) for d in output] == list(expected[0]) and _at(params, at) == expected[1]
        assert _at(macs, at) == expected[2]


def analyse(source: str):
    import textwrap

    return analyze_source(textwrap.dedent(source), "model.py")


def test_a_branch_on_a_number_read_from_data_is_unknown_and_says_why():
    report = analyse("""
        import os
        import keras
        num_classes = len(os.listdir("train"))
        units = 1 if num_classes == 2 else num_classes
        model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(units)])
    """)
    (finding,) = [d for d in report.diagnostics if d.code == "AL301"]
    assert "it compares num_classes, known only at run time" in finding.message and finding.line == 5
    # 1 or num_classes: a number of its own, never taken to be either.
    (model,) = report.models
    assert sorted(model.data_sizes) == ["units"] and str(model.layers[-1].params) == "5 * units"


def test_two_numbers_bound_to_one_name_are_two_sizes():
    report = analyse("""
        import os
        import keras
        from keras import layers

        def head(x, n):
            return layers.Dense(n)(x)

        inputs = keras.Input((4,))
        first = head(inputs, len(os.listdir("a")))
        second = head(inputs, len(os.listdir("b")))
        model = keras.Model(inputs, layers.Concatenate()([first, second]))
    """)
    (model,) = report.models
    assert model.layers[-1].output_shape == (None, dims.Size.named("n", True) + dims.Size.named("n_2", True))


def test_a_number_read_from_data_never_reaches_the_checked_code_as_a_value():
    # layer.units and x.shape[-1] are the unknown number: a comparison of them is undecided, not False.
    report = analyse("""
        import os
        import keras
        dense = keras.layers.Dense(len(os.listdir("train")))
        inputs = keras.Input((4,))
        x = dense(inputs)
        if dense.units == 3 or x.shape[-1] == 3:
            x = keras.layers.Dense(7)(x)
        model = keras.Model(inputs, x)
    """)
    assert {d.code for d in report.diagnostics} == {"AL301"}
    assert any("condition cannot be decided statically" in d.message for d in report.diagnostics)
    assert not report.models[0].complete  # the branch may have added a layer


# Python compares a number read from data with others by its stand-in, equal to none of them: each of these took
# one value. Python's own run of each line gives u a different value at 2 and at 3 classes, so that no single number
# is the model's: Dense(u) on 16 features must be an expression of u, or unknown.
USES_AS_KEY = {
    "dict lookup": "u = {2: 5}.get(num_classes, 7)",
    "dict pop": "u = {2: 5}.pop(num_classes, 7)",
    "dict key": "u = {num_classes: 3}.get(2, 5)",
    "set size": "u = len({num_classes, 2})",
    "list count": "u = [1, 2, 2].count(num_classes) + 1",
    "list equality": "u = 5 if [num_classes] == [2] else 7",
    "tuple equality": "u = 5 if (num_classes, 1) == (2, 1) else 7",
    "dict setdefault": "d = {2: 5}\nd.setdefault(num_classes, 7)\nu = d[2] + len(d)",
    "dict item set": "d = {2: 5}\nd[num_classes] = 7\nu = d[2] + len(d)",
    # The container changed is reached by another name, an attribute, an item, a parameter or a call.
    "item set through an alias": "d = {2: 5}\ne = d\ne[num_classes] = 7\nu = d[2] + len(d)",
    "item set through an attribute": "class Table:\n    def __init__(self):\n        self.d = {2: 5}\n"
                                     "        self.d[num_classes] = 7\nt = Table()\nu = t.d[2] + len(t.d)",
    "item set through a class attribute": "class C:\n    d = {2: 5}\nC.d[num_classes] = 7\nu = len(C.d) + 4",
    "item set through an item": "ds = [{2: 5}]\nds[0][num_classes] = 7\nu = len(ds[0]) + 4",
    "item set through a parameter": "def put(t):\n    t[num_classes] = 7\nd = {2: 5}\nput(d)\nu = len(d) + 4",
    "item set through a call": "d = {2: 5}\ndef table():\n    return d\ntable()[num_classes] = 7\nu = len(d) + 4",
    "item set in a tuple": "d = {2: 5}\npair = (d, 1)\nd[num_classes] = 7\nu = len(pair[0]) + 4",
    "item deleted": "d = {2: 5, 3: 6}\ndel d[num_classes]\nu = d.get(2, 7)",
    "list item set": "l = [5, 6, 7]\nl[num_classes - 2] = 9\nu = l[0]",
    "set add": "s = {2}\ns.add(num_classes)\nu = len(s) + 4",
    "in after set add": "s = set()\ns.add(num_classes)\nu = 5 if 2 in s else 7",
    "set update": "s = {2}\ns.update([num_classes])\nu = len(s) + 4",
    "set discard": "s = {2}\ns.discard(num_classes)\nu = len(s) + 4",
    "set remove": "s = {2, 3}\ns.remove(num_classes)\nu = 5 if 2 in s else 7",
    "set union": "u = len({2}.union([num_classes])) + 4",
    "list insert": "l = [5, 6]\nl.insert(num_classes - 2, 7)\nu = l[0]",
    "list pop": "l = [5, 6, 7]\nl.pop(num_classes - 2)\nu = l[0]",
    "list sort": "l = [num_classes + 1, 4]\nl.sort()\nu = l[0]",
    "list remove": "l = [2, 3]\nl.remove(num_classes)\nu = l[0]",
    "setattr of a name": "class C:\n    pass\nc = C()\nc.x2 = 5\nsetattr(c, f'x{num_classes}', 7)\nu = c.x2",
    "*args": "def f(*a):\n    return len(a) + 4\nu = f(*range(num_classes))",
    "**kwargs": "def f(a=5, **kw):\n    return a\nu = f(**({'a': 7} if num_classes == 2 else {}))",
    "parameters after *args": "def f(a, b=5):\n    return b\nu = f(*range(2, num_classes + 1))",
    # A block not analysed (a branch or loop on the number) changes a container other names hold.
    "branch changing an alias": "d = {2: 5}\ne = d\nif num_classes == 2:\n    e[3] = 1\nu = len(d) + 4",
    "branch changing an attribute": "class T:\n    pass\nt = T()\nt.d = {2: 5}\ne = t.d\nif num_classes == 2:\n"
                                    "    t.d[3] = 1\nu = len(e) + 4",
    "loop appending to an alias": "l = [1]\nm = l\nfor i in range(num_classes):\n    l.append(i)\nu = len(m) + 4",
}
PREAMBLE = "import os\nimport keras\nnum_classes = len(os.listdir('train'))\n"
MODEL = "\ninputs = keras.Input((16,))\nmodel = keras.Model(inputs, keras.layers.Dense(u)(inputs))\n"


def _python_value(lines: str, **names):
    """What Python's own run of the lines gives u (the code of these tests, never the checked code)."""
    scope = dict(names)
    exec(lines, scope)  # noqa: S102
    return scope["u"]


@pytest.mark.parametrize("line", USES_AS_KEY.values(), ids=USES_AS_KEY.keys())
def test_a_number_read_from_data_is_compared_with_no_value(line):
    assert _python_value(line, num_classes=2) != _python_value(line, num_classes=3)
    (model,) = analyze_source(PREAMBLE + line + MODEL, "model.py").models
    assert not isinstance(model.total_params, int), model.total_params  # an expression, or unknown


# A list, dict or set changed in place is changed under every name that holds it: Python's run gives u.
CHANGED_IN_PLACE = {
    "list += through an alias": "l = [1]\nm = l\nl += [2]\nu = len(m) + 4",
    "list *= through an alias": "l = [1]\nm = l\nl *= 3\nu = len(m) + 4",
    "set |= through an alias": "s = {1}\nt = s\ns |= {2}\nu = len(t) + 4",
    "dict |= through an alias": "d = {1: 2}\ne = d\nd |= {3: 4}\nu = len(e) + 4",
    "item += through an alias": "d = {'a': [1]}\ne = d['a']\nd['a'] += [2]\nu = len(e) + 4",
    "del of a key": "d = {1: 2, 3: 4}\ndel d[1]\nu = len(d) + 4",
    "del of items": "l = [1, 2, 3]\nd = {1: 1}\ndel l[0], d[1]\nu = len(l) + len(d) + 4",
    "del of a slice": "l = [1, 2, 3]\ndel l[1:]\nu = len(l) + 4",
    "del of a missing key": "d = {1: 2}\ntry:\n    del d[3]\n    u = 9\nexcept KeyError:\n    u = 4",
    "slice set": "l = [1, 2, 3]\nl[1:] = []\nu = len(l) + 4",
    "tuple key set": "d = {}\nd[1, 2] = 5\nu = len(d) + d[1, 2]",
    "list sort": "l = [1, 3, 2]\nl.sort(reverse=True)\nu = l[0] + 4",
    "set methods": "s = {1, 2}\ns.discard(1)\ns.update([5, 6])\nu = len(s | {9}) + len(s.union({1}))",
    "dict clear": "d = {1: 2}\nd.clear()\nu = len(d) + 4",
    "setattr": "class C:\n    pass\nc = C()\nc.x = 5\nsetattr(c, 'x', 7)\nu = c.x",
}


@pytest.mark.parametrize("lines", CHANGED_IN_PLACE.values(), ids=CHANGED_IN_PLACE.keys())
def test_a_container_changed_in_place_is_changed_under_every_name(lines):
    (model,) = analyze_source("import keras\n" + lines + MODEL, "model.py").models
    assert model.total_params == 17 * _python_value(lines)


def test_a_size_not_an_integer_expression_of_the_numbers_is_unknown_and_says_why():
    # 36 values into (n, -1) rows, windows of n over 3 * n + 1 steps: whole numbers for some n only, as floor(36 / n)
    # and floor((2 * n + 1) / n) + 1 are, which archlint does not write.
    report = analyse("""
        import os
        import keras
        from keras import layers
        n = len(os.listdir("train"))
        inputs = keras.Input((36,))
        rows = layers.Reshape((n, -1))(inputs)
        pooled = layers.MaxPooling1D(n)(layers.Reshape((3 * n + 1, 1))(layers.Dense(3 * n + 1)(inputs)))
        model = keras.Model(inputs, [rows, pooled])
    """)
    (model,) = report.models
    assert not model.complete
    found = sorted((d.line, d.message) for d in report.diagnostics if d.code == "AL301")
    assert [line for line, _ in found] == [7, 8]
    assert "the -1 of (n, -1) would be 36 / (n) elements, which is not an integer expression" in found[0][1]
    assert "floor((2 * n + 1) / (n)) is not an integer expression of the sizes" in found[1][1]


def test_a_layer_given_arguments_not_known_statically_is_unknown_not_refused():
    # Dense(**config) read from a file may well give Dense its units: no AL106, the layer is unknown (AL301).
    report = analyse("""
        import json
        import keras
        config = json.load(open("head.json"))
        inputs = keras.Input((16,))
        model = keras.Model(inputs, keras.layers.Dense(**config)(inputs))
    """)
    assert [(d.code, d.line) for d in report.diagnostics if d.severity != "info"] == []
    assert any(d.code == "AL301" and d.line == 6 and "**kwargs" in d.message for d in report.diagnostics)


def test_a_loop_filling_a_dict_is_not_slowed_by_the_keys_check():
    """Looking a key up compares it alone, not the dict's keys each time (which would make the loop quadratic)."""
    report = analyze_source("counts = {}\nfor i in range(10000):\n    if i not in counts:\n"
                            "        counts[i % 2500] = counts.get(i % 2500, 0) + 1\n", "counts.py")
    assert not report.diagnostics


def test_a_layer_that_does_not_compute_with_sizes_says_so():
    # A custom layer's build() reads the shape Keras gives it: archlint does not trace it with a named size.
    report = analyse("""
        import numpy as np
        import keras
        features = len(np.loadtxt("columns.txt"))

        class Scale(keras.layers.Layer):
            def build(self, input_shape):
                self.w = self.add_weight(shape=(input_shape[-1],))

            def call(self, x):
                return x * self.w

        inputs = keras.Input((10, features))
        x = keras.layers.LSTM(8)(inputs)  # 4 gates of 8 units over features + 8 inputs, and their biases
        model = keras.Model(inputs, [x, Scale()(inputs)])
    """)
    (model,) = report.models
    assert [model.layers[1].params.value({"features": n}) for n in (1, 5)] == [4 * (8 * (n + 8) + 8) for n in (1, 5)]
    assert not model.complete
    (finding,) = [d for d in report.diagnostics if d.code == "AL301"]
    assert "depends on features, a number read from data" in finding.message


def test_a_factory_whose_parameters_are_sizes_is_analysed_with_them_named():
    report = analyse("""
        import keras
        from keras import layers

        def build_model(num_classes, width=64):
            return keras.Sequential([keras.Input((8,)), layers.Dense(width, activation="relu"),
                                     layers.Dense(num_classes)])

        def build_other(input_shape, num_classes):
            inputs = keras.Input(shape=input_shape)
            return keras.Model(inputs, layers.Dense(num_classes)(inputs))
    """)
    # build_other's input shape is no size: the model it would return is not known, so it is not reported.
    (model,) = report.models
    assert model.symbol == "build_model" and model.complete
    for n in (1, 10):  # 8 * 64 + 64, then 64 * n + n
        assert model.total_params.value({"num_classes": n}) == 8 * 64 + 64 + 64 * n + n
    assert model.data_sizes["num_classes"]["reason"] == "argument `num_classes` of build_model() not given"


def test_the_reports_give_the_expressions_and_where_the_numbers_came_from():
    from click.testing import CliRunner

    from archlint.cli import main

    path = os.path.join(DATA_SIZES, "image_folder_classes.py")
    out = json.loads(CliRunner().invoke(main, ["check", "--no-cache", "--output-format", "json", path]).output)
    (model,) = out["files"][0]["models"]
    last = model["layers"][-1]
    assert (last["output_shape"], last["params"], last["macs"]) == ([None, "num_classes"], "17 * num_classes",
                                                                       "16 * num_classes")
    assert model["total_params"] == "17 * num_classes + 29040" and model["non_trainable_params"] == 0
    assert model["data_sizes"] == {"num_classes": {"line": 9, "reason": "len() of a value not known statically"}}
    text = CliRunner().invoke(main, ["check", "--no-cache", "--color", "never", path]).output
    assert " Total params: 17 * num_classes + 29040 (68 * num_classes + 116160 B)" in text
    assert " Not known statically: num_classes (line 9: len() of a value not known statically)" in text
    markdown = CliRunner().invoke(main, ["check", "--no-cache", "--output-format", "markdown", path]).output
    assert "**Not known statically:** `num_classes` (line 9: len() of a value not known statically)" in markdown


def test_verify_says_a_model_sized_by_a_number_not_known_statically_is_not_verified():
    from click.testing import CliRunner

    from archlint.cli import main

    path = os.path.join(DATA_SIZES, "image_folder_classes.py")
    text = CliRunner().invoke(main, ["check", "--no-cache", "--verify", "--color", "never", path]).output
    assert "AL303 `model` not verified: dense_1 (Dense) is sized by num_classes, a number not known statically" in text


def test_a_check_on_a_number_read_from_data_gives_the_numbers_keras_accepts():
    report = analyse("""
        import os
        import keras
        from keras import layers

        num_classes = len(os.listdir("train"))
        inputs = keras.Input((8,))
        x = layers.Add()([layers.Dense(num_classes)(inputs), layers.Dense(10)(inputs)])
        model = keras.Model(inputs, x)
    """)
    (model,) = report.models
    # Add needs equal shapes, or a 1 that broadcasts: (None, num_classes) and (None, 10) for num_classes 1 or 10.
    assert [n for n in range(1, 50) if n in model.accepted_sizes["num_classes"]] == [1, 10]
    report = analyse("""
        import os
        import keras
        from keras import layers

        num_classes = len(os.listdir("train"))
        inputs = keras.Input((8,))
        a = layers.Add()([layers.Dense(num_classes)(inputs), layers.Dense(10)(inputs)])
        b = layers.Reshape((num_classes, 4))(layers.Dense(36)(inputs))
        model = keras.Model(inputs, [a, b])
    """)
    # Reshape of 36 numbers into (num_classes, 4) needs num_classes = 9: neither 1 nor 10.
    (error,) = [d for d in report.diagnostics if d.severity == "error"]
    assert error.code == "AL105" and "4 * num_classes never holds together with the checks before it" in error.message



def test_the_rules_decide_nothing_by_a_number_read_from_data():
    # Strides over a length read from data, a zero-initialised Dense(n), Dense(n) between linear layers: each rule
    # either holds whatever n is (a stride of 3 over a kernel of 2 skips inputs) or says nothing.
    import textwrap

    from archlint.api import check_source

    report = check_source(textwrap.dedent("""
        import os
        import keras
        from keras import layers

        n = len(os.listdir("train"))
        steps = len(os.listdir("steps"))
        inputs = keras.Input((steps, 8))
        x = layers.Conv1D(16, 2, strides=3)(inputs)
        x = layers.GlobalAveragePooling1D()(x)
        x = layers.Dense(n, kernel_initializer="zeros")(x)
        x = layers.Dense(n)(x)
        x = layers.Dense(4, activation="relu")(x)
        outputs = layers.Dense(n, activation="softmax")(x)
        model = keras.Model(inputs, outputs)
        model.compile(loss="binary_crossentropy")
    """), "model.py", config=False)
    (file,) = report.files
    assert [(d.code, d.line) for d in file.diagnostics] == [("AL206", 9)]


def test_the_corpus_comparison_finds_the_numbers_keras_had_and_checks_every_expression():
    # score_corpus.py compares a model sized by numbers read from data with Keras's run on the real data: the
    # numbers Keras had are found from the expressions, and every row checked at them.
    import copy

    from tests.fixture_compare import mismatches

    report = analyze_file(os.path.join(DATA_SIZES, "vocabulary_embedding.py"))
    truth = RECORDING["runs"]["vocabulary_embedding"]["10"]
    assert mismatches(report, truth) == []
    wrong = copy.deepcopy(truth)
    wrong["models"]["model"]["layers"][-1]["params"] += 1  # Dense(1) on floor(len(vocab) / 2) units: 5 + 1
    assert mismatches(report, wrong) == ["model/dense_1: floor(len(vocab) / 2) + 1 params, Keras 7"]
