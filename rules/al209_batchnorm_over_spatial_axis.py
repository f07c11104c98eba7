"""AL209: BatchNormalization normalizing a spatial axis instead of the channels."""

from archlint.layers import ELEMENTWISE
from archlint.layers.conv import WindowedConv
from archlint.layers.normalization import BatchNormalization
from archlint.rules import Rule, applications, describe, finding, input_shape, upstream, where


def check(report, settings):
    """One finding per place in the source: a helper making a BatchNormalization per block is one mistake."""
    found: dict[tuple, list] = {}
    for symbol, node in applications(report):
        layer = node.layer
        shape = input_shape(node)
        if not isinstance(layer, BatchNormalization) or not shape or not isinstance(layer.axis, int):
            continue
        rank = len(shape)
        source = upstream(node, ELEMENTWISE)
        spatial_source = source is not None and isinstance(source.layer, WindowedConv)
        if rank < 3 or (rank == 3 and not spatial_source):
            continue
        channels_first = getattr(source.layer, "data_format", None) == "channels_first" if source else False
        channel_axis = 1 if channels_first else rank - 1
        axis = layer.axis % rank
        position = where(node)
        if axis != channel_axis and axis != 0 and position is not None:
            found.setdefault((position.line, position.column), []).append((symbol, node, shape))
    for places in found.values():
        symbol, node, shape = places[0]
        layer = node.layer
        more = f" (and {len(places) - 1} more BatchNormalization layers made here)" if len(places) > 1 else ""
        yield finding(RULE.code, f"{describe(layer)} normalizes axis {layer.axis} of a {shape} tensor, a spatial "
                                 f"axis{more}: each row (or column) position gets its own statistics, shared by all "
                                 f"{shape[-1]} channels; with channels last the channel axis is -1 (Keras 1's "
                                 f"axis=1 was for Theano's channels-first images)", where(node), symbol, layer)


RULE = Rule(
    code="AL209",
    name="batchnorm-over-spatial-axis",
    severity="warning",
    summary="BatchNormalization normalizes a spatial axis (axis=1 on a channels-last image) instead of the channels",
    what="""
        BatchNormalization on an image or volume (rank 4 or 5, or rank 3 after a 1D
        convolution) whose `axis` is neither the channel axis (-1 for channels_last, 1 for
        channels_first) nor the batch axis.
        """,
    why="""
        `axis` is the axis that keeps its own statistics. `axis=1` came from Keras 1 code for
        Theano's channels-first layout; on channels-last data it normalizes each image row
        separately and mixes all channels together, which is not batch normalization of the
        features and breaks with another input size.
        """,
    fix="""
        Leave `axis` at its default (-1) for channels-last data, or use `axis=1` only with
        `data_format="channels_first"` layers.
        """,
    fires=("""
        import keras
        from keras import layers

        model = keras.Sequential([
            keras.Input(shape=(32, 32, 3)),
            layers.Conv2D(16, 3, activation="relu"),
            layers.BatchNormalization(axis=1),  # AL209
        ])
        """,),
    passes=("""
        import keras
        from keras import layers

        model = keras.Sequential([
            keras.Input(shape=(32, 32, 3)),
            layers.Conv2D(16, 3, activation="relu"),
            layers.BatchNormalization(axis=-1),
        ])
        """, """
        import keras
        from keras import layers

        model = keras.Sequential([
            keras.Input(shape=(3, 32, 32)),
            layers.Conv2D(16, 3, activation="relu", data_format="channels_first"),
            layers.BatchNormalization(axis=1),
        ])
        """),
    check=check,
)
