"""Pooling: max and average pooling over windows, and global pooling, in 1, 2 and 3 dimensions."""

from archlint import dims
from archlint.errors import InvalidArgument
from archlint.kernels.conv import channels_last, from_channels_last, pool_windows
from archlint.layers.base import data_format_arg, int_tuple, known, np, register, require_rank
from archlint.layers.conv import ChannelsLayer, check_positive


class BasePooling(ChannelsLayer):
    weightless = True
    size_arguments = ("pool_size", "strides")

    def __init__(self, pool_size, strides=None, padding="valid", data_format=None, name=None, **kwargs):
        super().__init__(name=name, **kwargs)
        self.pool_size = int_tuple(pool_size, self.rank, "pool_size", sizes=True)
        # Keras's constructor accepts strides=0 and any `padding` string (it later compares it
        # case-sensitively), but a model using the layer then fails: report it where it is written.
        self.strides = int_tuple(pool_size if strides is None else strides, self.rank, "strides", sizes=True)
        self.padding = known(padding, "padding")
        if self.padding not in ("valid", "same"):
            raise InvalidArgument(f"pooling `padding` must be exactly 'valid' or 'same', got {self.padding!r}")
        self.data_format = data_format_arg(data_format)

    def compute_output_shape(self, input_shape, **kwargs):
        require_rank(input_shape, self.rank + 2, self)
        spatial = self.spatial(input_shape)
        out = [dims.conv_output_length(n, k, s, self.padding) for n, k, s in zip(spatial, self.pool_size, self.strides)]
        check_positive(self, spatial, out)
        return self.with_spatial(input_shape, out, self.channels(input_shape))


class BaseMaxPooling(BasePooling):
    def __init__(self, pool_size=2, strides=None, padding="valid", data_format=None, name=None, **kwargs):
        super().__init__(pool_size, strides, padding, data_format, name, **kwargs)

    def forward(self, x, **kwargs):
        y = pool_windows(channels_last(x, self.data_format), self.pool_size, self.strides, self.padding, -np.inf, np.maximum)
        return from_channels_last(y, self.data_format)


class BaseAveragePooling(BasePooling):
    def forward(self, x, **kwargs):
        x = channels_last(x, self.data_format)
        total = pool_windows(x, self.pool_size, self.strides, self.padding, 0.0, np.add)
        # Keras divides by the number of input cells in each window, so 'same' padding
        # cells at the borders do not count.
        cells = pool_windows(np.ones((1, *x.shape[1:-1], 1), dtype=np.float32), self.pool_size, self.strides,
                             self.padding, 0.0, np.add)
        return from_channels_last(total / cells, self.data_format)


@register
class MaxPooling1D(BaseMaxPooling):
    aliases = ("MaxPool1D",)
    rank = 1


@register
class MaxPooling2D(BaseMaxPooling):
    aliases = ("MaxPool2D",)
    rank = 2


@register
class MaxPooling3D(BaseMaxPooling):
    aliases = ("MaxPool3D",)
    rank = 3


@register
class AveragePooling1D(BaseAveragePooling):
    aliases = ("AvgPool1D",)
    rank = 1


@register
class AveragePooling2D(BaseAveragePooling):
    aliases = ("AvgPool2D",)
    rank = 2


@register
class AveragePooling3D(BaseAveragePooling):
    aliases = ("AvgPool3D",)
    rank = 3


class BaseGlobalPooling(ChannelsLayer):
    weightless = True

    def __init__(self, data_format=None, keepdims=False, **kwargs):
        super().__init__(**kwargs)
        self.data_format = data_format_arg(data_format)
        self.keepdims = bool(known(keepdims, "keepdims"))

    def compute_output_shape(self, input_shape, **kwargs):
        require_rank(input_shape, self.rank + 2, self)
        spatial = (1,) * self.rank if self.keepdims else ()
        return self.with_spatial(input_shape, spatial, self.channels(input_shape))

    def spatial_axes(self) -> tuple[int, ...]:
        first = 1 if self.data_format == "channels_last" else 2
        return tuple(range(first, first + self.rank))


class BaseGlobalMaxPooling(BaseGlobalPooling):
    def forward(self, x, **kwargs):
        return np.max(x, axis=self.spatial_axes(), keepdims=self.keepdims)


class BaseGlobalAveragePooling(BaseGlobalPooling):
    def forward(self, x, **kwargs):
        return np.mean(x, axis=self.spatial_axes(), keepdims=self.keepdims)


@register
class GlobalMaxPooling1D(BaseGlobalMaxPooling):
    aliases = ("GlobalMaxPool1D",)
    rank = 1


@register
class GlobalMaxPooling2D(BaseGlobalMaxPooling):
    aliases = ("GlobalMaxPool2D",)
    rank = 2


@register
class GlobalMaxPooling3D(BaseGlobalMaxPooling):
    aliases = ("GlobalMaxPool3D",)
    rank = 3


@register
class GlobalAveragePooling1D(BaseGlobalAveragePooling):
    aliases = ("GlobalAvgPool1D",)
    rank = 1

    def forward(self, x, mask=None, **kwargs):
        if mask is None:
            return super().forward(x)
        # Only the steps the mask keeps are averaged (the only global pooling that reads a mask).
        keep = np.expand_dims(np.asarray(mask).astype(bool), 2 if self.data_format == "channels_last" else 1)
        steps = self.spatial_axes()
        total = np.sum(np.where(keep, x, 0.0), axis=steps, keepdims=self.keepdims)
        return (total / np.sum(keep.astype(np.float32), axis=steps, keepdims=self.keepdims)).astype(np.float32)


@register
class GlobalAveragePooling2D(BaseGlobalAveragePooling):
    aliases = ("GlobalAvgPool2D",)
    rank = 2


@register
class GlobalAveragePooling3D(BaseGlobalAveragePooling):
    aliases = ("GlobalAvgPool3D",)
    rank = 3
