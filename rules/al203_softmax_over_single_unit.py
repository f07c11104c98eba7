"""AL203: a softmax whose axis has one element, so it always outputs 1.0."""

from archlint.dims import format_shape
from archlint.layers.conv import WindowedConv
from archlint.layers.core import Activation, Dense, Softmax
from archlint.rules import Rule, applications, describe, finding, output_shape, where


def check(report, settings):
    for symbol, node in applications(report):
        shape = output_shape(node)
        axes = _softmax_axes(node.layer)
        if not isinstance(shape, tuple) or axes is None or \
                not all(isinstance(a, int) and -len(shape) <= a < len(shape) for a in axes):
            continue
        if all(shape[a] == 1 for a in axes):
            advice = "check its `axis`" if axes != (-1,) else \
                "for a yes/no output use sigmoid, for classes one unit per class"
            yield finding(RULE.code, f"{describe(node.layer)} takes a softmax over an axis of size 1 in its output "
                                     f"{format_shape(shape)}, so it always outputs 1.0: {advice}",
                          where(node), symbol, node.layer)


def _softmax_axes(layer) -> tuple[int, ...] | None:
    """The axes a layer's softmax normalizes over: a Softmax layer's `axis`, or the last axis of a softmax activation.

    Recurrent layers are left out: LSTM and GRU multiply their activation by gates, so a constant there is no
    constant output.
    """
    if isinstance(layer, Softmax):
        return tuple(layer.axis) if isinstance(layer.axis, (tuple, list)) else (layer.axis,)
    if isinstance(layer, (Dense, Activation, WindowedConv)) and layer.activation == "softmax":
        return (-1,)
    return None


RULE = Rule(
    code="AL203",
    name="softmax-over-single-unit",
    severity="warning",
    summary="softmax over an axis of size 1 (always outputs 1.0)",
    what="""
        A softmax over an axis that holds one element: `activation="softmax"` on a layer with
        one unit or channel, a Softmax or Activation("softmax") layer on a tensor whose last
        axis has size 1, or a Softmax layer whose `axis` has size 1.
        """,
    why="""
        Softmax divides each value by the sum over the axis; over one element the result is
        1.0 whatever the input, so the output carries no information and no gradient flows back.
        It is the usual slip when a binary classifier gets the multi-class head.
        """,
    fix="""
        For a binary output keep one unit and use `activation="sigmoid"` with binary
        cross-entropy; for n classes use n units with softmax. For a Softmax layer, check
        its `axis`.
        """,
    fires=("""
        import keras
        from keras import layers

        model = keras.Sequential([
            keras.Input(shape=(20,)),
            layers.Dense(16, activation="relu"),
            layers.Dense(1, activation="softmax"),  # AL203
        ])
        """, """
        import keras
        from keras import layers

        inputs = keras.Input(shape=(1, 10))
        outputs = layers.Softmax(axis=1)(inputs)  # AL203
        model = keras.Model(inputs, outputs)
        """),
    passes=("""
        import keras
        from keras import layers

        model = keras.Sequential([
            keras.Input(shape=(20,)),
            layers.Dense(16, activation="relu"),
            layers.Dense(1, activation="sigmoid"),
        ])
        """, """
        import keras
        from keras import layers

        inputs = keras.Input(shape=(1, 10))
        outputs = layers.Softmax()(inputs)
        model = keras.Model(inputs, outputs)
        """),
    check=check,
)
