"""AL201: Dense applied position by position to a feature map."""

from archlint.dims import format_shape
from archlint.evaluate.tensor_ops import TensorFunction
from archlint.layers import ELEMENTWISE
from archlint.layers.attention import MultiHeadAttention
from archlint.layers.conv import WindowedConv
from archlint.layers.core import Dense, Softmax
from archlint.layers.merge import Concatenate, ElementwiseMerge
from archlint.layers.normalization import LayerNormalization
from archlint.layers.pooling import BasePooling
from archlint.layers.reshaping import Permute, Reshape
from archlint.rules import Rule, applications, describe, finding, input_shape, upstream, where


def check(report, settings):
    for symbol, node in applications(report):
        shape = input_shape(node)
        if not isinstance(node.layer, Dense) or shape is None or not _spatial(node, shape):
            continue
        positions = "x".join("?" if d is None else str(d) for d in shape[1:-1])
        pooling = f"GlobalAveragePooling{min(len(shape) - 2, 3)}D"
        yield finding(RULE.code, f"{describe(node.layer)} is applied to {format_shape(shape)}, a tensor with spatial "
                                 f"axes: Dense mixes only the last axis, with the same weights at each of the "
                                 f"{positions} positions; add Flatten or {pooling} before it for one output per sample",
                      where(node), symbol, node.layer)


# Layers that make token axes, not image axes: a tensor reshaped or transposed into groups of tokens
# (MobileViT's (patch, token, channel) blocks, external attention's heads) and the attention and
# LayerNormalization of a transformer run on it.
TOKEN_SOURCES = (Reshape, Permute, MultiHeadAttention, LayerNormalization)
TOKEN_FUNCTIONS = ("reshape", "transpose")
# What keeps its input's axes as they are: followed back, through its first input, to what made them.
AXIS_KEEPING = (*ELEMENTWISE, Softmax, ElementwiseMerge, Concatenate)


def _spatial(node, shape) -> bool:
    """Rank 4 or more (unless its axes were made as tokens), or rank 3 made by a 1D convolution or
    pooling, whose middle axis is space."""
    if len(shape) >= 4:
        source = _axes_maker(node)
        if source is None:
            return True
        if isinstance(source.layer, Dense):  # a second Dense of the same head or MLP
            before = input_shape(source)
            return before is not None and _spatial(source, before)
        if isinstance(source.layer, TensorFunction):
            return source.layer.op.name not in TOKEN_FUNCTIONS
        return not isinstance(source.layer, TOKEN_SOURCES)
    source = upstream(node, ELEMENTWISE)
    return len(shape) == 3 and source is not None and isinstance(source.layer, (WindowedConv, BasePooling))


def _axes_maker(node):
    """The node that gave this node's first input its axes, looking through layers and tensor functions
    that keep them (activations, merges, `x / y`)."""
    source = node.inputs[0].node if node.inputs else None
    while source is not None and source.inputs and (
            isinstance(source.layer, AXIS_KEEPING)
            or isinstance(source.layer, TensorFunction) and source.layer.op.name not in TOKEN_FUNCTIONS):
        source = source.inputs[0].node
    return source


RULE = Rule(
    code="AL201",
    name="dense-on-spatial-tensor",
    severity="warning",
    summary="Dense is applied to a tensor with spatial axes (rank 4 or more, or rank 3 straight after a convolution "
            "or pooling): it mixes only the channel axis",
    what="""
        A Dense layer whose input still has spatial axes: rank 4 or more (an image feature
        map), or rank 3 coming straight from a 1D convolution or pooling (activation,
        normalization and dropout layers in between do not count). Dense on a
        (batch, time, features) sequence from an Input, an Embedding or a recurrent layer is
        normal and is not flagged, nor is Dense on a rank-4 tensor of tokens: one made by
        Reshape or Permute (or reshape and transpose functions), or coming from a transformer's
        MultiHeadAttention or LayerNormalization (MobileViT's (patch, token, channel) blocks,
        external attention's heads), or from a Dense that was itself applied to such tokens.
        """,
    why="""
        Dense multiplies only the last axis. On a feature map it acts as a 1x1 convolution:
        the same weights at every position, nothing combined across positions, and the output
        keeps its spatial axes. The model still trains, silently learning something other than
        the classifier head that was meant.
        """,
    fix="""
        Add Flatten or GlobalAveragePooling2D (1D, 3D) before the Dense to get one vector per
        sample. If a per-position projection is really meant, write it as Conv2D(units, 1).
        """,
    fires=("""
        import keras
        from keras import layers

        model = keras.Sequential([
            keras.Input(shape=(32, 32, 3)),
            layers.Conv2D(16, 3, activation="relu"),
            layers.Dense(10, activation="softmax"),  # AL201
        ])
        """, """
        import keras
        from keras import layers

        inputs = keras.Input(shape=(100, 8))
        x = layers.Conv1D(16, 5, activation="relu")(inputs)
        x = layers.MaxPooling1D()(x)
        outputs = layers.Dense(1, activation="sigmoid")(x)  # AL201
        model = keras.Model(inputs, outputs)
        """),
    passes=("""
        import keras
        from keras import layers

        model = keras.Sequential([
            keras.Input(shape=(32, 32, 3)),
            layers.Conv2D(16, 3, activation="relu"),
            layers.GlobalAveragePooling2D(),
            layers.Dense(10, activation="softmax"),
        ])
        """, """
        import keras
        from keras import layers

        model = keras.Sequential([
            keras.Input(shape=(50,)),
            layers.Embedding(1000, 32),
            layers.LSTM(32, return_sequences=True),
            layers.Dense(8),
        ])
        """, """
        import keras
        from keras import layers

        inputs = keras.Input(shape=(8, 8, 32))
        tokens = layers.Reshape((4, 16, 32))(inputs)  # (patch, token, channel) blocks
        x = layers.MultiHeadAttention(num_heads=2, key_dim=16)(tokens, tokens)
        x = layers.LayerNormalization()(layers.Add()([x, tokens]))
        x = layers.Dense(64, activation="gelu")(x)
        model = keras.Model(inputs, layers.Dense(32)(x))
        """, """
        import keras
        from keras import layers, ops

        tokens = keras.Input(shape=(64, 32))
        heads = ops.transpose(ops.reshape(layers.Dense(128)(tokens), (-1, 64, 8, 16)), (0, 2, 1, 3))
        attention = layers.Softmax(axis=2)(layers.Dense(8)(heads))  # external attention per head
        memory = layers.Dense(16)(attention / ops.sum(attention, axis=-1, keepdims=True))
        model = keras.Model(tokens, memory)
        """, """
        import tensorflow as tf

        inputs = tf.zeros((64, 10, 20))
        outputs = tf.keras.layers.Dense(30)(inputs)
        """),
    check=check,
)
