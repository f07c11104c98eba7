"""Convolutions: regular, transposed, depthwise and separable, in 1, 2 and 3 dimensions.

Output sizes follow Keras's compute_conv_output_shape and compute_conv_transpose_output_shape
exactly; the NumPy forwards follow the JAX backend.
"""

from archlint import dims
from archlint.dims import product
from archlint.errors import InvalidArgument, NegativeDimension, UnknownDimension
from archlint.kernels import activations
from archlint.kernels.conv import (
    PATCH_BYTES, channels_last, conv_forward, conv_transpose_forward, depthwise_forward, from_channels_last,
)
from archlint.layers.base import (
    Layer, activation_name, choice, data_format_arg, known, np, positive_int, register, require_rank, int_tuple,
    size_arg,
)


def check_positive(layer, spatial, out) -> None:
    """AL101: Keras refuses an output size of zero or less, naming the arithmetic here."""
    for axis, (n, o) in enumerate(zip(spatial, out)):
        if o is None or dims.concrete(o) and o > 0:
            continue
        if not dims.at_least(o, 1, NegativeDimension.code, lambda: output_size_message(layer, axis, n, o)):
            raise NegativeDimension(output_size_message(layer, axis, n, o))


def output_size_message(layer, axis: int, n, o) -> str:
    kernel = getattr(layer, "kernel_size", None) or getattr(layer, "pool_size", None)
    k = kernel[axis] if kernel else None
    strides = getattr(layer, "strides", None)
    s = strides[axis] if strides else 1
    dilation = getattr(layer, "dilation_rate", None)
    d = dilation[axis] if dilation else 1
    extent = f"{d}*({k} - 1) + 1" if d != 1 else f"{k}"
    needed = d * (k - 1) + 1
    return (f"{layer.type_name} output size would be {o} on spatial axis {axis + 1}: "
            f"floor(({n} - {extent}) / {s}) + 1 = {o} with padding='{getattr(layer, 'padding', 'valid')}'; "
            f"it needs an input of at least {needed} there: use padding='same', fewer downsampling steps "
            f"before it, or a larger input")


class ChannelsLayer(Layer):
    """A layer over `rank` spatial axes and one channel axis, which `data_format` puts last or first."""

    named_sizes = True

    rank = 2
    data_format = "channels_last"

    def channels(self, input_shape):
        return input_shape[-1] if self.data_format == "channels_last" else input_shape[1]

    def spatial(self, input_shape):
        return input_shape[1:-1] if self.data_format == "channels_last" else input_shape[2:]

    def with_spatial(self, input_shape, spatial, channels):
        if self.data_format == "channels_last":
            return (input_shape[0], *spatial, channels)
        return (input_shape[0], channels, *spatial)

    def known_channels(self, input_shape) -> int:
        """The channel count, which sizes the kernels and so must be known."""
        require_rank(input_shape, self.rank + 2, self)
        channels = self.channels(input_shape)
        if dims.unknown(channels):
            raise UnknownDimension(f"{self.type_name} needs a known channel axis, got {dims.format_shape(input_shape)}")
        return channels


class WindowedConv(ChannelsLayer):
    """What every convolution shares: the kernel window's arguments, the bias and the activation."""

    input_checked_on_call = True

    paddings = ("valid", "same")

    def read_window_args(self, kernel_size, strides, padding, data_format, dilation_rate, activation, use_bias):
        self.kernel_size = int_tuple(kernel_size, self.rank, "kernel_size", sizes="kernel_size" in self.size_arguments)
        self.strides = int_tuple(strides, self.rank, "strides")
        self.dilation_rate = int_tuple(dilation_rate, self.rank, "dilation_rate")
        self.padding = choice(padding, "padding", self.paddings)
        self.data_format = data_format_arg(data_format)
        self.activation = activation_name(activation)
        self.use_bias = bool(known(use_bias, "use_bias"))

    def forbid_strided_dilation(self) -> None:
        """Regular and transposed convolutions refuse this pair; depthwise and separable ones accept it."""
        if max(self.strides) > 1 and max(self.dilation_rate) > 1:
            raise InvalidArgument(f"`strides`={self.strides} > 1 is not compatible with `dilation_rate`={self.dilation_rate} > 1")

    def sliding_output_shape(self, input_shape, channels):
        """The output of the kernel window sliding over the input, with `channels` output channels."""
        require_rank(input_shape, self.rank + 2, self)
        spatial = self.spatial(input_shape)
        out = [dims.conv_output_length(n, k, s, self.padding, d)
               for n, k, s, d in zip(spatial, self.kernel_size, self.strides, self.dilation_rate)]
        check_positive(self, spatial, out)
        return self.with_spatial(input_shape, out, channels)

    def positions(self, shape):
        """Batch times spatial positions of a tensor: where a window is applied or scattered from."""
        return dims.product((shape[0], *self.spatial(shape)))

    def finish(self, y):
        """Bias, activation and the caller's layout, applied in place to a channels_last convolution result."""
        if self.bias is not None:
            y += self.bias.array
        return from_channels_last(activations.apply(self.activation, y, in_place=True), self.data_format)

    def scratch_size(self, input_shapes, output_shapes):
        # Padded copies of the input (stride-spread first for a transposed convolution); im2col patches
        # or Winograd's tiles, products and their transforms, in pieces, and its transformed kernel;
        # a depthwise result before its pointwise product.
        inputs, outputs = input_shapes[0], output_shapes[0]
        batch, channels = inputs[0], self.channels(inputs)
        extents = [(k - 1) * d + 1 for k, d in zip(self.kernel_size, self.dilation_rate)]
        padded = batch * channels * product(n * s + e + 1 for n, s, e in zip(self.spatial(inputs), self.strides, extents))
        out_spatial = self.spatial(outputs)
        width = product(self.kernel_size) * channels + 16 * max(channels, outputs[-1], outputs[1])
        pieces = 4 * min(batch * product(out_spatial) * width, max(PATCH_BYTES // 4, 2 * product(out_spatial[1:]) * width))
        kernels = 2 * sum(weight.size for weight in self.weights)
        depthwise = 2 * batch * product(out_spatial) * channels * getattr(self, "depth_multiplier", 1)
        return 3 * padded + pieces + kernels + depthwise + super().scratch_size(input_shapes, output_shapes)


class BaseConv(WindowedConv):
    size_arguments = ("filters", "kernel_size")

    def __init__(self, filters, kernel_size, strides=1, padding="valid", data_format=None, dilation_rate=1,
                 groups=1, activation=None, use_bias=True, kernel_initializer="glorot_uniform",
                 bias_initializer="zeros", kernel_regularizer=None, bias_regularizer=None,
                 activity_regularizer=None, kernel_constraint=None, bias_constraint=None,
                 lora_rank=None, lora_alpha=None, **kwargs):
        super().__init__(activity_regularizer=activity_regularizer, **kwargs)
        self.filters = size_arg(filters, "filters")
        self.read_window_args(kernel_size, strides, padding, data_format, dilation_rate, activation, use_bias)
        self.kernel_initializer = kernel_initializer
        self.groups = positive_int(groups, "groups")
        if self.filters % self.groups:
            raise InvalidArgument(f"`filters`={self.filters} must be divisible by `groups`={self.groups}")
        self.forbid_strided_dilation()
        self.lora_rank = None if lora_rank is None else positive_int(lora_rank, "lora_rank")
        self.lora_alpha = self.lora_rank if lora_alpha is None else positive_int(lora_alpha, "lora_alpha")
        self.kernel_constraint = kernel_constraint

    def build(self, input_shape, **kwargs):
        channels = self.known_channels(input_shape)
        if channels % self.groups:
            raise InvalidArgument(f"the {channels} input channels must be divisible by `groups`={self.groups}")
        self.compute_output_shape(input_shape)
        self.kernel = self.add_weight("kernel", self.kernel_size + (channels // self.groups, self.filters))
        self.bias = self.add_weight("bias", (self.filters,)) if self.use_bias else None
        if self.lora_rank:
            self.add_lora(self.kernel, self.lora_rank, self.lora_alpha, self.kernel_constraint)

    def compute_output_shape(self, input_shape, **kwargs):
        return self.sliding_output_shape(input_shape, self.filters)

    def count_macs(self, input_shapes, output_shapes):
        # Every output value sums its window over the channels of its group.
        window = dims.product(self.kernel_size) * self.channels(input_shapes[0]) // self.groups
        return dims.mul(self.positions(output_shapes[0]), window * self.filters)

    def forward(self, x, **kwargs):
        return self.finish(conv_forward(channels_last(x, self.data_format), self.kernel_value(self.kernel), self.strides,
                                        self.dilation_rate, self.padding, self.groups))


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


class BaseConvTranspose(WindowedConv):
    size_arguments = ("filters",)

    def __init__(self, filters, kernel_size, strides=1, padding="valid", output_padding=None, data_format=None,
                 dilation_rate=1, activation=None, use_bias=True, kernel_initializer="glorot_uniform",
                 bias_initializer="zeros", kernel_regularizer=None, bias_regularizer=None,
                 activity_regularizer=None, kernel_constraint=None, bias_constraint=None, **kwargs):
        super().__init__(activity_regularizer=activity_regularizer, **kwargs)
        self.filters = size_arg(filters, "filters")
        self.read_window_args(kernel_size, strides, padding, data_format, dilation_rate, activation, use_bias)
        self.output_padding = None
        if output_padding is not None:
            self.output_padding = int_tuple(output_padding, self.rank, "output_padding", minimum=0)
            for axis, (extra, stride) in enumerate(zip(self.output_padding, self.strides)):
                if extra >= stride:
                    raise InvalidArgument(f"`output_padding` must be less than `strides` on every axis; on axis {axis} "
                                          f"it is {extra} with a stride of {stride}")
        self.forbid_strided_dilation()

    def build(self, input_shape, **kwargs):
        # Keras builds without checking the output size: a transposed convolution can yield
        # an empty axis ('same', even kernel, output_padding=0, length 1), never a negative one.
        channels = self.known_channels(input_shape)
        self.kernel = self.add_weight("kernel", self.kernel_size + (self.filters, channels))
        self.bias = self.add_weight("bias", (self.filters,)) if self.use_bias else None

    def compute_output_shape(self, input_shape, **kwargs):
        require_rank(input_shape, self.rank + 2, self)
        extra = self.output_padding or (None,) * self.rank
        out = [dims.deconv_output_length(n, k, s, self.padding, op, d)
               for n, k, s, op, d in zip(self.spatial(input_shape), self.kernel_size, self.strides, extra, self.dilation_rate)]
        return self.with_spatial(input_shape, out, self.filters)

    def count_macs(self, input_shapes, output_shapes):
        # Each input value is spread over a kernel's window of every filter: counted at the input,
        # where the products are made, including those 'same' padding then crops away.
        per_input_value = dims.product(self.kernel_size) * self.filters * self.channels(input_shapes[0])
        return dims.mul(self.positions(input_shapes[0]), per_input_value)

    def forward(self, x, **kwargs):
        return self.finish(conv_transpose_forward(channels_last(x, self.data_format), self.kernel.array, self.strides,
                                                  self.dilation_rate, self.padding, self.output_padding))


@register
class Conv1DTranspose(BaseConvTranspose):
    aliases = ("Convolution1DTranspose",)
    rank = 1


@register
class Conv2DTranspose(BaseConvTranspose):
    aliases = ("Convolution2DTranspose",)
    rank = 2


@register
class Conv3DTranspose(BaseConvTranspose):
    aliases = ("Convolution3DTranspose",)
    rank = 3

    def __init__(self, filters, kernel_size, strides=1, padding="valid", data_format=None, output_padding=None,
                 *rest, **kwargs):
        # Keras's Conv3DTranspose alone takes data_format before output_padding.
        super().__init__(filters, kernel_size, strides, padding, output_padding, data_format, *rest, **kwargs)


class BaseDepthwiseConv(WindowedConv):
    size_arguments = ("kernel_size", "depth_multiplier")

    def __init__(self, kernel_size, strides=1, padding="valid", depth_multiplier=1, data_format=None,
                 dilation_rate=1, activation=None, use_bias=True, depthwise_initializer="glorot_uniform",
                 bias_initializer="zeros", depthwise_regularizer=None, bias_regularizer=None,
                 activity_regularizer=None, depthwise_constraint=None, bias_constraint=None, **kwargs):
        super().__init__(activity_regularizer=activity_regularizer, **kwargs)
        self.depth_multiplier = size_arg(depth_multiplier, "depth_multiplier")
        self.read_window_args(kernel_size, strides, padding, data_format, dilation_rate, activation, use_bias)

    def build(self, input_shape, **kwargs):
        channels = self.known_channels(input_shape)
        self.compute_output_shape(input_shape)
        self.kernel = self.add_weight("kernel", self.kernel_size + (channels, self.depth_multiplier))
        self.bias = self.add_weight("bias", (channels * self.depth_multiplier,)) if self.use_bias else None

    def compute_output_shape(self, input_shape, **kwargs):
        require_rank(input_shape, self.rank + 2, self)
        return self.sliding_output_shape(input_shape, dims.mul(self.channels(input_shape), self.depth_multiplier))

    def count_macs(self, input_shapes, output_shapes):
        # Every output channel sums its window over one input channel only.
        return dims.mul(self.positions(output_shapes[0]), dims.product(self.kernel_size) * self.channels(output_shapes[0]))

    def forward(self, x, **kwargs):
        return self.finish(depthwise_forward(channels_last(x, self.data_format), self.kernel.array, self.strides,
                                             self.dilation_rate, self.padding))


@register
class DepthwiseConv1D(BaseDepthwiseConv):
    rank = 1


@register
class DepthwiseConv2D(BaseDepthwiseConv):
    rank = 2


class BaseSeparableConv(WindowedConv):
    """A depthwise convolution followed by a 1x1 (pointwise) convolution to `filters` channels."""

    size_arguments = ("filters", "kernel_size", "depth_multiplier")

    def __init__(self, filters, kernel_size, strides=1, padding="valid", data_format=None, dilation_rate=1,
                 depth_multiplier=1, activation=None, use_bias=True, depthwise_initializer="glorot_uniform",
                 pointwise_initializer="glorot_uniform", bias_initializer="zeros", depthwise_regularizer=None,
                 pointwise_regularizer=None, bias_regularizer=None, activity_regularizer=None,
                 depthwise_constraint=None, pointwise_constraint=None, bias_constraint=None, **kwargs):
        super().__init__(activity_regularizer=activity_regularizer, **kwargs)
        self.depth_multiplier = size_arg(depth_multiplier, "depth_multiplier")
        self.filters = size_arg(filters, "filters")
        self.read_window_args(kernel_size, strides, padding, data_format, dilation_rate, activation, use_bias)

    def build(self, input_shape, **kwargs):
        channels = self.known_channels(input_shape)
        self.compute_output_shape(input_shape)
        self.depthwise_kernel = self.add_weight("depthwise_kernel", self.kernel_size + (channels, self.depth_multiplier))
        self.pointwise_kernel = self.add_weight("pointwise_kernel", (1,) * self.rank + (channels * self.depth_multiplier, self.filters))
        self.bias = self.add_weight("bias", (self.filters,)) if self.use_bias else None

    def compute_output_shape(self, input_shape, **kwargs):
        return self.sliding_output_shape(input_shape, self.filters)

    def count_macs(self, input_shapes, output_shapes):
        # The depthwise step's windows, then a 1x1 convolution of its channels into the filters.
        depthwise_channels = self.channels(input_shapes[0]) * self.depth_multiplier
        per_position = depthwise_channels * (dims.product(self.kernel_size) + self.filters)
        return dims.mul(self.positions(output_shapes[0]), per_position)

    def forward(self, x, **kwargs):
        depthwise = depthwise_forward(channels_last(x, self.data_format), self.depthwise_kernel.array, self.strides,
                                      self.dilation_rate, self.padding)
        return self.finish(np.matmul(depthwise, self.pointwise_kernel.array.reshape(-1, self.filters)))


@register
class SeparableConv1D(BaseSeparableConv):
    aliases = ("SeparableConvolution1D",)
    rank = 1


@register
class SeparableConv2D(BaseSeparableConv):
    aliases = ("SeparableConvolution2D",)
    rank = 2
