"""Spatial resizing: ZeroPadding, Cropping and UpSampling in 1, 2 and 3 dimensions."""

from archlint import dims
from archlint.errors import InvalidArgument, NegativeDimension
from archlint.kernels.conv import channels_last, from_channels_last
from archlint.layers.base import data_format_arg, int_tuple, known, np, positive_int, register, require_rank
from archlint.layers.conv import ChannelsLayer


def edge_pairs(value, rank: int, what: str) -> tuple[tuple[int, int], ...]:
    """Keras's padding or cropping argument as one (before, after) pair per spatial axis.

    The 1D layers take an int or one pair; the others an int for every edge, or one entry
    per axis that is an int or a pair.
    """
    if rank == 1:
        return (int_tuple(value, 2, what, minimum=0, sizes=True),)
    value = known(value, what)
    if isinstance(value, int) and not isinstance(value, bool) or dims.from_data(value):
        value = (value,) * rank
    if not isinstance(value, (tuple, list)) or len(value) != rank:
        raise InvalidArgument(f"`{what}` must be an integer or a tuple of {rank} integers or pairs, got {value!r}")
    return tuple(int_tuple(entry, 2, what, minimum=0, sizes=True) for entry in value)


class BaseZeroPadding(ChannelsLayer):
    weightless = True
    size_arguments = ("padding",)

    def __init__(self, padding, data_format=None, **kwargs):
        super().__init__(**kwargs)
        self.data_format = data_format_arg(data_format)
        # A negative int passes Keras's ZeroPadding2D/3D constructor, and even a symbolic
        # call, but fails on real data: it is reported here.
        self.padding = edge_pairs(padding, self.rank, "padding")

    def compute_output_shape(self, input_shape, **kwargs):
        require_rank(input_shape, self.rank + 2, self)
        out = [dims.add(n, before + after) for n, (before, after) in zip(self.spatial(input_shape), self.padding)]
        return self.with_spatial(input_shape, out, self.channels(input_shape))

    def forward(self, x, **kwargs):
        padded = np.pad(channels_last(x, self.data_format), [(0, 0), *self.padding, (0, 0)])
        return from_channels_last(padded, self.data_format)


@register
class ZeroPadding1D(BaseZeroPadding):
    rank = 1

    def __init__(self, padding=1, data_format=None, **kwargs):
        super().__init__(padding, data_format, **kwargs)


@register
class ZeroPadding2D(BaseZeroPadding):
    rank = 2

    def __init__(self, padding=(1, 1), data_format=None, **kwargs):
        super().__init__(padding, data_format, **kwargs)


@register
class ZeroPadding3D(BaseZeroPadding):
    rank = 3

    def __init__(self, padding=((1, 1), (1, 1), (1, 1)), data_format=None, **kwargs):
        super().__init__(padding, data_format, **kwargs)


class BaseCropping(ChannelsLayer):
    """Cropping1D has no data_format (always channels_last): the 2D and 3D layers read it themselves."""

    weightless = True
    size_arguments = ("cropping",)

    def __init__(self, cropping, **kwargs):
        super().__init__(**kwargs)
        self.cropping = edge_pairs(cropping, self.rank, "cropping")

    def compute_output_shape(self, input_shape, **kwargs):
        require_rank(input_shape, self.rank + 2, self)
        out = []
        for axis, (n, (before, after)) in enumerate(zip(self.spatial(input_shape), self.cropping), start=1):
            if n is not None:
                def message(axis=axis, n=n, before=before, after=after):
                    return (f"{self.type_name} crops {before} + {after} from spatial axis {axis} of size {n}, "
                            f"leaving {n - before - after}")

                if not dims.at_least(n - before - after, 1, NegativeDimension.code, message):
                    raise NegativeDimension(message())
            out.append(dims.add(n, -before - after))
        return self.with_spatial(input_shape, out, self.channels(input_shape))

    def forward(self, x, **kwargs):
        x = channels_last(x, self.data_format)
        kept = tuple(slice(before, n - after) for n, (before, after) in zip(x.shape[1:-1], self.cropping))
        return from_channels_last(x[(slice(None), *kept)], self.data_format)


@register
class Cropping1D(BaseCropping):
    rank = 1

    def __init__(self, cropping=(1, 1), **kwargs):
        super().__init__(cropping, **kwargs)


@register
class Cropping2D(BaseCropping):
    rank = 2

    def __init__(self, cropping=((0, 0), (0, 0)), data_format=None, **kwargs):
        super().__init__(cropping, **kwargs)
        self.data_format = data_format_arg(data_format)


@register
class Cropping3D(BaseCropping):
    rank = 3

    def __init__(self, cropping=((1, 1), (1, 1), (1, 1)), data_format=None, **kwargs):
        super().__init__(cropping, **kwargs)
        self.data_format = data_format_arg(data_format)


def bilinear_upsample(x, factors):
    """jax.image.resize's 'bilinear' for whole-number upscaling of a channels_last array.

    Half-pixel centres: output cell i samples input coordinate (i + 0.5) / factor - 0.5,
    and a sample beyond the outer centres takes the edge value. Done one axis at a time.
    """
    for axis, factor in enumerate(factors, start=1):
        n = x.shape[axis]
        source = (np.arange(n * factor) + 0.5) / factor - 0.5
        below = np.floor(source)
        shape = [1] * x.ndim
        shape[axis] = -1
        weight = (source - below).astype(np.float32).reshape(shape)
        below = below.astype(int)
        lower = np.take(x, np.clip(below, 0, n - 1), axis=axis)
        upper = np.take(x, np.clip(below + 1, 0, n - 1), axis=axis)
        x = lower * (1 - weight) + upper * weight
    return x


class BaseUpSampling(ChannelsLayer):
    """Each cell repeated `size` times along each spatial axis, or in 2D optionally interpolated.

    UpSampling1D has no data_format: its steps are always axis 1.
    """

    weightless = True
    size_arguments = ("size",)

    interpolation = "nearest"

    def compute_output_shape(self, input_shape, **kwargs):
        require_rank(input_shape, self.rank + 2, self)
        out = [dims.mul(n, factor) for n, factor in zip(self.spatial(input_shape), self.size)]
        return self.with_spatial(input_shape, out, self.channels(input_shape))

    def forward(self, x, **kwargs):
        x = channels_last(x, self.data_format)
        if self.interpolation == "nearest":
            for axis, factor in enumerate(self.size, start=1):
                x = np.repeat(x, factor, axis=axis)
        elif self.interpolation == "bilinear":
            x = bilinear_upsample(x, self.size)
        else:
            raise NotImplementedError(f"UpSampling2D has no NumPy forward for interpolation={self.interpolation!r}")
        return from_channels_last(x, self.data_format)


@register
class UpSampling1D(BaseUpSampling):
    rank = 1

    def __init__(self, size=2, **kwargs):
        super().__init__(**kwargs)
        size = known(size, "size")
        if dims.from_data(size):
            self.size = (size,)
            return
        if isinstance(size, bool) or not isinstance(size, int):
            raise InvalidArgument(f"UpSampling1D's `size` must be an integer, got {size!r}")
        self.size = (positive_int(size, "size"),)


# Every backend's resize accepts these but 'area', which only TensorFlow's does.
RESIZE_INTERPOLATIONS = ("nearest", "bilinear", "bicubic", "lanczos3", "lanczos5", "area")


@register
class UpSampling2D(BaseUpSampling):
    rank = 2

    def __init__(self, size=(2, 2), data_format=None, interpolation="nearest", **kwargs):
        super().__init__(**kwargs)
        self.data_format = data_format_arg(data_format)
        self.size = int_tuple(size, 2, "size", sizes=True)
        interpolation = known(interpolation, "interpolation")
        # Keras lower-cases it here but checks it only when called.
        if not isinstance(interpolation, str) or interpolation.lower() not in RESIZE_INTERPOLATIONS:
            raise InvalidArgument(f"`interpolation` must be one of {', '.join(RESIZE_INTERPOLATIONS)}, got {interpolation!r}")
        self.interpolation = interpolation.lower()


@register
class UpSampling3D(BaseUpSampling):
    rank = 3

    def __init__(self, size=(2, 2, 2), data_format=None, **kwargs):
        super().__init__(**kwargs)
        self.data_format = data_format_arg(data_format)
        self.size = int_tuple(size, 3, "size", sizes=True)
