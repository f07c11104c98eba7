"""Convolutions: Conv1D/2D/3D. Output sizes follow Keras's compute_conv_output_shape exactly."""

import itertools

from archlint import dims
from archlint.errors import InvalidArgument, NegativeDimension, UnknownDimension
from archlint.layers import activations
from archlint.layers.base import (
    Layer, activation_name, choice, data_format_arg, known, np, positive_int, register, require_rank, int_tuple,
)


def channels_last(x, data_format):
    return np.moveaxis(x, 1, -1) if data_format == "channels_first" else x


def from_channels_last(x, data_format):
    return np.moveaxis(x, -1, 1) if data_format == "channels_first" else x


def same_padding(length: int, kernel: int, stride: int, dilation: int = 1) -> tuple[int, int]:
    """TensorFlow-style 'same' padding, the extra pixel going after: what every Keras backend does."""
    extent = (kernel - 1) * dilation + 1
    out = (length - 1) // stride + 1
    total = max((out - 1) * stride + extent - length, 0)
    return total // 2, total - total // 2


def pad_input(x, kernel, strides, dilation, padding):
    """Pad the spatial axes of a channels_last array for 'same' or 'causal' windows."""
    if padding == "valid":
        return x
    pads = [(0, 0)]
    for axis, (k, s, d) in enumerate(zip(kernel, strides, dilation), start=1):
        if padding == "causal":
            pads.append(((k - 1) * d, 0))
        else:
            pads.append(same_padding(x.shape[axis], k, s, d))
    pads.append((0, 0))
    return np.pad(x, pads)


def windows(x, kernel, strides, dilation, out_sizes):
    """Yield (kernel offset, strided view of x) for each kernel position: one matmul each."""
    for offset in itertools.product(*(range(k) for k in kernel)):
        index = [slice(None)]
        for o, d, s, n in zip(offset, dilation, strides, out_sizes):
            start = o * d
            index.append(slice(start, start + s * (n - 1) + 1, s))
        yield offset, x[tuple(index)]


def conv_forward(x, kernel, strides, dilation, padding, groups=1):
    """N-d convolution of a channels_last array with a kernel of shape (*k, C/groups, F)."""
    k_spatial = kernel.shape[:-2]
    x = pad_input(x, k_spatial, strides, dilation, padding)
    out_sizes = [dims.conv_output_length(n, k, s, "valid", d) for n, k, s, d in zip(x.shape[1:-1], k_spatial, strides, dilation)]
    filters = kernel.shape[-1]
    out = np.zeros((x.shape[0], *out_sizes, filters), dtype=np.float32)
    per_group_in = kernel.shape[-2]
    per_group_out = filters // groups
    for offset, window in windows(x, k_spatial, strides, dilation, out_sizes):
        w = kernel[offset]
        if groups == 1:
            out += np.matmul(window, w)
        else:
            for g in range(groups):
                out[..., g * per_group_out:(g + 1) * per_group_out] += np.matmul(
                    window[..., g * per_group_in:(g + 1) * per_group_in],
                    w[:, g * per_group_out:(g + 1) * per_group_out])
    return out


class BaseConv(Layer):
    rank = 2
    paddings = ("valid", "same")

    def __init__(self, filters, kernel_size, strides=1, padding="valid", data_format=None, dilation_rate=1,
                 groups=1, activation=None, use_bias=True, kernel_initializer="glorot_uniform",
                 bias_initializer="zeros", kernel_regularizer=None, bias_regularizer=None,
                 activity_regularizer=None, kernel_constraint=None, bias_constraint=None,
                 lora_rank=None, lora_alpha=None, **kwargs):
        super().__init__(activity_regularizer=activity_regularizer, **kwargs)
        self.filters = positive_int(filters, "filters")
        self.kernel_size = int_tuple(kernel_size, self.rank, "kernel_size")
        self.strides = int_tuple(strides, self.rank, "strides")
        self.dilation_rate = int_tuple(dilation_rate, self.rank, "dilation_rate")
        self.padding = choice(padding, "padding", self.paddings)
        self.data_format = data_format_arg(data_format)
        self.groups = positive_int(groups, "groups")
        self.activation = activation_name(activation)
        self.use_bias = bool(known(use_bias, "use_bias"))
        if self.filters % self.groups:
            raise InvalidArgument(f"`filters`={self.filters} must be divisible by `groups`={self.groups}")
        if max(self.strides) > 1 and max(self.dilation_rate) > 1:
            raise InvalidArgument(f"`strides`={self.strides} > 1 is not compatible with `dilation_rate`={self.dilation_rate} > 1")

    def channels(self, input_shape):
        return input_shape[-1] if self.data_format == "channels_last" else input_shape[1]

    def spatial(self, input_shape):
        return input_shape[1:-1] if self.data_format == "channels_last" else input_shape[2:]

    def with_spatial(self, input_shape, spatial, channels):
        if self.data_format == "channels_last":
            return (input_shape[0], *spatial, channels)
        return (input_shape[0], channels, *spatial)

    def build(self, input_shape, **kwargs):
        require_rank(input_shape, self.rank + 2, self)
        channels = self.channels(input_shape)
        if channels is None:
            raise UnknownDimension(f"{self.type_name} needs a known channel axis, got {dims.format_shape(input_shape)}")
        if channels % self.groups:
            raise InvalidArgument(f"the {channels} input channels must be divisible by `groups`={self.groups}")
        self.compute_output_shape(input_shape)
        self.kernel = self.add_weight("kernel", self.kernel_size + (channels // self.groups, self.filters))
        self.bias = self.add_weight("bias", (self.filters,)) if self.use_bias else None

    def compute_output_shape(self, input_shape, **kwargs):
        require_rank(input_shape, self.rank + 2, self)
        spatial = self.spatial(input_shape)
        out = [dims.conv_output_length(n, k, s, self.padding, d)
               for n, k, s, d in zip(spatial, self.kernel_size, self.strides, self.dilation_rate)]
        check_positive(self, spatial, out)
        return self.with_spatial(input_shape, out, self.filters)

    def forward(self, x, **kwargs):
        y = conv_forward(channels_last(x, self.data_format), self.kernel.value, self.strides,
                         self.dilation_rate, self.padding, self.groups)
        if self.bias is not None:
            y = y + self.bias.value
        return from_channels_last(activations.apply(self.activation, y), self.data_format)


def check_positive(layer, spatial, out) -> None:
    """AL101: Keras refuses an output size of zero or less, naming the arithmetic here."""
    for axis, (n, o) in enumerate(zip(spatial, out)):
        if o is not None and o <= 0:
            kernel = getattr(layer, "kernel_size", None) or getattr(layer, "pool_size", None)
            k = kernel[axis] if kernel else None
            strides = getattr(layer, "strides", None)
            s = strides[axis] if strides else 1
            dilation = getattr(layer, "dilation_rate", None)
            d = dilation[axis] if dilation else 1
            extent = f"{d}*({k} - 1) + 1" if d != 1 else f"{k}"
            raise NegativeDimension(
                f"{layer.type_name} output size would be {o} on spatial axis {axis + 1}: "
                f"floor(({n} - {extent}) / {s}) + 1 = {o} with padding='{getattr(layer, 'padding', 'valid')}'")


@register
class Conv1D(BaseConv):
    aliases = ("Convolution1D",)
    rank = 1
    paddings = ("valid", "same", "causal")


@register
class Conv2D(BaseConv):
    aliases = ("Convolution2D",)
    rank = 2


@register
class Conv3D(BaseConv):
    aliases = ("Convolution3D",)
    rank = 3
