"""AL211: a hidden layer whose kernel starts constant, so its units never learn different things."""

from archlint.layers.conv import BaseConv
from archlint.layers.core import Dense
from archlint.models import FunctionalModel
from archlint.rules import Rule, applications, describe, finding, where
from archlint.values import Ref

CONSTANT = {"zeros", "zero", "ones", "one", "constant"}


def constant_initializer(value) -> str | None:
    """The initializer's name when it gives every weight the same value (a name or an initializer class)."""
    name = value if isinstance(value, str) else value.leaf if isinstance(value, Ref) else None
    return name if name is not None and name.lower() in CONSTANT else None


def check(report, settings):
    if report.graph is None:
        return
    graph = report.graph
    model_outputs = {id(tensor.node) for model in report.models if isinstance(model.model, FunctionalModel)
                     for tensor in model.model.outputs}
    flagged: set[int] = set()
    for symbol, node in applications(report):
        layer = node.layer
        if id(layer) in flagged or not isinstance(layer, (Dense, BaseConv)):
            continue
        name = constant_initializer(getattr(layer, "kernel_initializer", None))
        width = layer.units if isinstance(layer, Dense) else layer.filters
        # An output layer's units each get their own error signal: only hidden layers stay symmetric.
        # A width read from data (Dense(num_classes)) may be 1, which is not symmetric: nothing is said.
        if name and isinstance(width, int) and width > 1 and id(node) not in model_outputs and list(graph.successors(node)):
            flagged.add(id(layer))
            yield finding(RULE.code, f"{describe(layer)} starts its kernel with kernel_initializer={name!r}: all its "
                                     f"{width} units compute the same output and get the same gradient, so they stay "
                                     f"identical and the layer works as one unit; use a random initializer (the "
                                     f"default glorot_uniform, or he_normal before relu)", where(node), symbol, layer)


RULE = Rule(
    code="AL211",
    name="constant-kernel-initializer",
    severity="warning",
    summary="a hidden Dense or convolution layer's kernel starts constant (kernel_initializer=\"zeros\", \"ones\", "
            "Constant), so its units never become different",
    what="""
        A Dense or convolution layer with more than one unit or filter, whose output feeds other
        layers, given a constant kernel initializer: `"zeros"`, `"ones"`, `"constant"` or the
        initializer classes `Zeros`, `Ones`, `Constant`.
        """,
    why="""
        Units that start equal compute equal outputs and receive equal gradients, so gradient
        descent keeps them equal: the layer has the capacity of a single unit (the symmetry is
        never broken). With zeros and a relu after, the gradient into the layers before is zero
        as well. An output layer is not affected (each output unit has its own error signal),
        and zero-initializing one is a known technique.
        """,
    fix="""
        Leave `kernel_initializer` at its default (`glorot_uniform`) or use a random one such as
        `he_normal` before relu.
        """,
    fires=("""
        import keras
        from keras import layers

        model = keras.Sequential([
            keras.Input(shape=(20,)),
            layers.Dense(64, activation="relu", kernel_initializer="zeros"),  # AL211
            layers.Dense(1),
        ])
        """,),
    passes=("""
        import keras
        from keras import layers

        model = keras.Sequential([
            keras.Input(shape=(20,)),
            layers.Dense(64, activation="relu", kernel_initializer="he_normal"),
            layers.Dense(1, kernel_initializer="zeros"),
        ])
        """,),
    check=check,
)
