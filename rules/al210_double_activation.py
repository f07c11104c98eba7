"""AL210: an activation applied to the output of another activation."""

from archlint.layers import DROPOUT
from archlint.layers.conv import WindowedConv
from archlint.layers.core import ELU, Activation, Dense, LeakyReLU, PReLU, ReLU, Softmax
from archlint.rules import Rule, applications, describe, finding, upstream, where

ACTIVATION_LAYERS = (Activation, ReLU, LeakyReLU, ELU, PReLU, Softmax)
LAYER_ACTIVATIONS = {ReLU: "relu", LeakyReLU: "leaky_relu", ELU: "elu", PReLU: "prelu", Softmax: "softmax"}


def activation_of(layer) -> str | None:
    """The non-linearity a layer ends with, None for none (linear) or one not known."""
    if isinstance(layer, (Dense, WindowedConv, Activation)):
        name = layer.activation
    elif type(layer) in LAYER_ACTIVATIONS:
        name = LAYER_ACTIVATIONS[type(layer)]
    else:
        return None
    return None if name in (None, "linear") else name


def check(report, settings):
    for symbol, node in applications(report):
        second = activation_of(node.layer) if isinstance(node.layer, ACTIVATION_LAYERS) else None
        if second is None:
            continue
        source = upstream(node, DROPOUT)
        first = activation_of(source.layer) if source is not None else None
        if first is not None:
            yield finding(RULE.code, f"{describe(node.layer)} applies {second} to the output of "
                                     f"{describe(source.layer)}, which already applied {first}: "
                                     f"{_consequence(first, second)}", where(node), symbol, node.layer)


def _consequence(first: str, second: str) -> str:
    if first == second and first in ("relu", "relu6"):
        return "the second changes nothing; remove one"
    if second in ("softmax", "sigmoid") and first == "relu":
        return f"{second} sees only non-negative values, so negative evidence is lost; drop the relu on the output layer"
    return "two non-linearities in a row is almost always one too many; keep the one meant"


RULE = Rule(
    code="AL210",
    name="double-activation",
    severity="warning",
    summary="an activation layer applied right after a layer that already has an activation (Dense(activation=\"relu\") "
            "then Activation(\"softmax\"), ReLU after relu)",
    what="""
        An Activation, ReLU, LeakyReLU, ELU, PReLU or Softmax layer whose input comes, directly
        or through dropout, from a layer that already ends in a non-linear activation (a Dense
        or convolution with `activation=`, or another activation layer).
        """,
    why="""
        Usually the layer was given an activation and the separate Activation layer of Keras 1
        style code was kept too. relu twice is harmless but wasteful; relu before softmax or
        sigmoid discards every negative logit, so the output cannot express low scores and
        training stalls.
        """,
    fix="""
        Keep one activation: either `activation=` on the layer or the separate activation layer.
        """,
    fires=("""
        import keras
        from keras import layers

        model = keras.Sequential([
            keras.Input(shape=(20,)),
            layers.Dense(64, activation="relu"),
            layers.Dense(10, activation="relu"),
            layers.Activation("softmax"),  # AL210
        ])
        """,),
    passes=("""
        import keras
        from keras import layers

        model = keras.Sequential([
            keras.Input(shape=(20,)),
            layers.Dense(64, activation="relu"),
            layers.Dense(10),
            layers.Activation("softmax"),
        ])
        """,),
    check=check,
)
