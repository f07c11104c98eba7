"""AL206: a window that jumps over input positions."""

from archlint.dims import format_shape, is_size
from archlint.layers.conv import BaseConvTranspose, WindowedConv
from archlint.layers.pooling import BasePooling
from archlint.rules import Rule, applications, describe, finding, output_shape


def check(report, settings):
    flagged: set[int] = set()
    for symbol, node in applications(report):
        layer = node.layer
        if id(layer) in flagged or not isinstance(layer, (WindowedConv, BasePooling)) \
                or isinstance(layer, BaseConvTranspose):
            continue
        shape = output_shape(node)
        if not isinstance(shape, tuple):
            continue
        for axis, (stride, extent, size) in enumerate(zip(layer.strides, _extents(layer), layer.spatial(shape))):
            # With one window on the axis nothing lies between windows. A stride or window read from data decides
            # nothing unless their difference is a number (a stride of n + 2 over a window of n skips 2).
            gap = stride - extent
            # An output size unknown may be 2 or more.
            if isinstance(gap, int) and gap > 0 and (size is None or is_size(size) or size >= 2):
                flagged.add(id(layer))
                window = "pool_size" if isinstance(layer, BasePooling) else "kernel"
                yield finding(RULE.code,
                              f"{describe(layer)} has stride {stride} but a {window} spanning {extent} on "
                              f"spatial axis {axis + 1} (output {format_shape(shape)}): it never reads "
                              f"{stride - extent} of every {stride} input positions along it; use a {window} "
                              f"of at least {stride}, or downsample with pooling and a stride of 1",
                              layer.origin or node.position, symbol, layer)
                break


def _extents(layer) -> tuple[int, ...]:
    """The span of the window on each spatial axis: a dilated kernel covers d * (k - 1) + 1 positions."""
    if isinstance(layer, BasePooling):
        return layer.pool_size
    return tuple(d * (k - 1) + 1 for k, d in zip(layer.kernel_size, layer.dilation_rate))


RULE = Rule(
    code="AL206",
    name="stride-larger-than-kernel",
    severity="warning",
    summary="a stride larger than its kernel skips input positions",
    what="""
        A convolution or pooling layer whose stride along some spatial axis is larger than
        its window (the kernel, spanning d * (k - 1) + 1 positions with dilation d, or the
        pool size), on an axis where it makes at least two steps. Transposed convolutions
        are not checked.
        """,
    why="""
        The windows do not touch: the input positions between them are never read, so their
        information is thrown away before any weight sees it. A 1x1 convolution with
        stride 2 discards three quarters of its input.
        """,
    fix="""
        Make the window at least as large as the stride (a 3x3 kernel with stride 2), or
        downsample with pooling and keep the convolution's stride at 1.
        """,
    fires=("""
        import keras
        from keras import layers

        model = keras.Sequential([
            keras.Input(shape=(32, 32, 16)),
            layers.Conv2D(32, 1, strides=2),  # AL206
        ])
        """, """
        import keras
        from keras import layers

        model = keras.Sequential([
            keras.Input(shape=(32, 32, 16)),
            layers.MaxPooling2D(pool_size=2, strides=3),  # AL206
        ])
        """),
    passes=("""
        import keras
        from keras import layers

        model = keras.Sequential([
            keras.Input(shape=(32, 32, 16)),
            layers.Conv2D(32, 3, strides=2),
        ])
        """, """
        import keras
        from keras import layers

        model = keras.Sequential([
            keras.Input(shape=(32, 32, 16)),
            layers.MaxPooling2D(pool_size=3, strides=2),
        ])
        """, """
        import keras
        from keras import layers

        model = keras.Sequential([
            keras.Input(shape=(1, 1, 16)),
            layers.Conv2D(32, 1, strides=2),
        ])
        """),
    check=check,
)
