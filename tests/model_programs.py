"""Hypothesis strategies for fuzzing: random Keras model programs, and mutations of real model files.

`programs(huge=False)` draws small model programs from a grammar of Keras layer calls, in Sequential or
functional style, with random and often invalid arguments and input shapes; their arguments stay small
enough for real Keras to build them. `huge=True` also draws arguments such as 10**12 and -2**63, for
checks that never run Keras. `mutants(sources)` rewrites real model files the ways edits break them.
"""

import re

from hypothesis import strategies as st

SMALL = st.one_of(st.integers(1, 8), st.integers(1, 8), st.integers(-1, 0))  # two in three valid
HUGE = st.sampled_from([0, -1, 2**31, 2**63, 10**12, -(2**63), 10**100])
PADDING = st.sampled_from(['"valid"', '"same"', '"causal"', '"full"'])
DATA_FORMAT = st.sampled_from(['"channels_last"', '"channels_first"'])
ACTIVATION = st.sampled_from(["None", '"relu"', '"softmax"', '"sigmoid"', '"tanh"'])
LAYERS_FROM = ("keras.layers.", "layers.")


def _int(huge: bool):
    return st.one_of(SMALL, HUGE) if huge else SMALL


def _size(huge: bool):
    """A kernel, pool or stride size: an int or a tuple of ints."""
    value = _int(huge)
    return st.one_of(value.map(str), st.lists(value, min_size=1, max_size=3).map(lambda v: f"({', '.join(map(str, v))},)"))


def _call(name: str, *arguments):
    """A strategy for `name(arg, key=value, ...)` from (keyword or None, strategy) pairs; keywords may be left out."""
    def render(values):
        parts = []
        for (keyword, _), value in zip(arguments, values):
            if value is None:
                continue
            parts.append(str(value) if keyword is None else f"{keyword}={value}")
        return f"{name}({', '.join(parts)})"

    drawn = [strategy if keyword is None else st.none() | strategy for keyword, strategy in arguments]
    return st.tuples(*drawn).map(render)


def layer_calls(huge: bool = False):
    """One layer constructor call, as source: `Conv2D(4, (3,), strides=2, padding="same")`."""
    n, size = _int(huge).map(str), _size(huge)
    conv = [(None, n), (None, size), ("strides", size), ("padding", PADDING), ("activation", ACTIVATION),
            ("data_format", DATA_FORMAT)]
    pool = [(None, size), ("strides", size), ("padding", PADDING)]
    return st.one_of(
        _call("Dense", (None, n), ("activation", ACTIVATION), ("use_bias", st.sampled_from(["True", "False"]))),
        *[_call(f"Conv{d}D", *conv, ("dilation_rate", size), ("groups", n)) for d in (1, 2, 3)],
        _call("Conv2DTranspose", *conv),
        _call("SeparableConv2D", *conv),
        _call("DepthwiseConv2D", (None, size), ("depth_multiplier", n), ("strides", size), ("padding", PADDING)),
        *[_call(f"{kind}Pooling{d}D", *pool) for kind in ("Max", "Average") for d in (1, 2, 3)],
        *[_call(f"Global{kind}Pooling{d}D") for kind in ("Max", "Average") for d in (1, 2)],
        _call("Flatten"),
        _call("Reshape", (None, st.lists(_int(huge), min_size=1, max_size=3).map(lambda v: f"({', '.join(map(str, v))},)"))),
        _call("Dropout", (None, st.sampled_from(["0.0", "0.5", "0.9"]))),
        _call("BatchNormalization", ("axis", st.sampled_from(["-1", "1", "3"]))),
        _call("LayerNormalization"),
        _call("GroupNormalization", ("groups", n)),
        _call("ZeroPadding1D", ("padding", size)),
        _call("Cropping1D", ("cropping", size)),
        _call("UpSampling1D", ("size", n)),
        _call("Activation", (None, ACTIVATION.filter(lambda a: a != "None"))),
        _call("ZeroPadding2D", ("padding", size)),
        _call("Cropping2D", ("cropping", size)),
        _call("UpSampling2D", ("size", size)),
        _call("RepeatVector", (None, n)),
        _call("Permute", (None, st.permutations([1, 2]).map(lambda v: f"({v[0]}, {v[1]})"))),
        *[_call(kind, (None, n), ("return_sequences", st.sampled_from(["True", "False"]))) for kind in ("SimpleRNN", "LSTM", "GRU")],
    )


def input_shapes(huge: bool = False):
    sizes = st.integers(min_value=1, max_value=16)
    dims = sizes if not huge else st.one_of(sizes, HUGE, st.just("None"))
    return st.lists(dims, min_size=1, max_size=4).map(lambda v: f"({', '.join(map(str, v))},)")


@st.composite
def sequential_programs(draw, huge: bool = False):
    prefix = draw(st.sampled_from(LAYERS_FROM))
    shape = draw(input_shapes(huge))
    layers = draw(st.lists(layer_calls(huge), min_size=1, max_size=6))
    body = "".join(f"    {prefix}{layer},\n" for layer in layers)
    return f"import keras\nfrom keras import layers\n\nmodel = keras.Sequential([\n    keras.Input(shape={shape}),\n{body}])\n"


MERGES = st.sampled_from(["Add()", "Concatenate()", "Concatenate(axis=1)", "Multiply()", "Subtract()", "Average()",
                          "Maximum()"])


@st.composite
def functional_programs(draw, huge: bool = False):
    """A chain of layer applications on `keras.Input`s, where merges join two earlier tensors."""
    prefix = draw(st.sampled_from(LAYERS_FROM))
    lines = ["import keras", "from keras import layers", ""]
    inputs = draw(st.integers(min_value=1, max_value=2))
    for i in range(inputs):
        lines.append(f"x{i} = keras.Input(shape={draw(input_shapes(huge))})")
    count = inputs
    for _ in range(draw(st.integers(min_value=1, max_value=6))):
        if count > 1 and draw(st.booleans()):
            a, b = draw(st.lists(st.integers(0, count - 1), min_size=2, max_size=2))
            lines.append(f"x{count} = {prefix}{draw(MERGES)}([x{a}, x{b}])")
        else:
            source = draw(st.integers(0, count - 1))
            lines.append(f"x{count} = {prefix}{draw(layer_calls(huge))}(x{source})")
        count += 1
    ins = ", ".join(f"x{i}" for i in range(inputs))
    lines.append(f"model = keras.Model([{ins}], x{count - 1})")
    return "\n".join(lines) + "\n"


def programs(huge: bool = False):
    return st.one_of(sequential_programs(huge), functional_programs(huge))


# -- mutations of real files ------------------------------------------------------------------------------

NUMBERS = re.compile(r"(?<![\w.])\d+(?![\w.])")
LAYER_NAMES = ["Dense", "Conv2D", "Conv1D", "Flatten", "MaxPooling2D", "LSTM", "Reshape", "Add", "Concatenate",
               "BatchNormalization", "Embedding", "GlobalAveragePooling2D", "DepthwiseConv2D", "Dropout"]
LAYER_NAME = re.compile(r"\b(" + "|".join(LAYER_NAMES) + r")\b")
REPLACEMENT_NUMBERS = st.one_of(st.integers(-3, 300), st.sampled_from([0, -1, 2**63, 10**12, 10**100]))


@st.composite
def mutants(draw, sources: dict):
    """A real model file after one to three random edits: (file name, mutated bytes)."""
    name = draw(st.sampled_from(sorted(sources)))
    text = sources[name]
    for _ in range(draw(st.integers(min_value=1, max_value=3))):
        text = draw(st.sampled_from([_shuffle, _delete_line, _duplicate_line, _renumber, _rename_layers,
                                     _truncate]))(draw, text)
    return name, text.encode("utf-8", "surrogateescape")


def _lines(text):
    return text.splitlines(keepends=True) or [""]


def _shuffle(draw, text):
    return "".join(draw(st.permutations(_lines(text))))


def _delete_line(draw, text):
    lines = _lines(text)
    del lines[draw(st.integers(0, len(lines) - 1))]
    return "".join(lines)


def _duplicate_line(draw, text):
    lines = _lines(text)
    index = draw(st.integers(0, len(lines) - 1))
    return "".join(lines[:index + 1] + lines[index:])


def _renumber(draw, text):
    return NUMBERS.sub(lambda m: str(draw(REPLACEMENT_NUMBERS)) if draw(st.booleans()) else m.group(), text)


def _rename_layers(draw, text):
    return LAYER_NAME.sub(lambda m: draw(st.sampled_from(LAYER_NAMES)), text)


def _truncate(draw, text):
    """Cut at any byte, even inside a character; the text keeps the bytes as they are."""
    data = text.encode("utf-8", "surrogateescape")
    return data[:draw(st.integers(0, len(data)))].decode("utf-8", "surrogateescape")
