"""Preprocessing layers: Rescaling, Normalization, Resizing, CenterCrop.

Resizing follows `jax.image.resize` (what Keras's JAX backend calls, without antialiasing
by default): half-pixel centres, and each output pixel a normalized kernel-weighted sum of
the input pixels it covers.
"""

import math

from archlint import dims
from archlint.dims import format_shape
from archlint.errors import InvalidArgument, Unresolved, UnknownDimension, WrongRank
from archlint.layers.base import (
    Layer, choice, data_format_arg, float_arg, int_arg, known, normalize_axis, np, one_mac_per_element, register,
)

INTERPOLATIONS = ("bilinear", "nearest", "bicubic", "lanczos3", "lanczos5")
KERAS_EPSILON = 1e-7


def static_shape(value):
    """The shape of a known array-like argument, None if its value is not known statically."""
    try:
        return np.shape(known(value, "value"))
    except Unresolved:
        return None


@register
class Rescaling(Layer):
    weightless = True
    named_sizes = True

    def __init__(self, scale, offset=0.0, **kwargs):
        super().__init__(**kwargs)
        self.scale = scale
        self.offset = offset

    def compute_output_shape(self, input_shape, **kwargs):
        # A per-channel scale or offset must broadcast against the input when Keras calls the layer.
        for value in (self.scale, self.offset):
            shape = static_shape(value)
            if shape and dims.has_sizes(input_shape[-len(shape):]):
                raise Unresolved(f"whether a scale or offset of shape {shape} broadcasts against "
                                 f"{format_shape(input_shape)} depends on its named sizes")
            if shape is not None:
                dims.broadcast(input_shape, shape)
        return input_shape

    def forward(self, x, **kwargs):
        scale = np.asarray(known(self.scale, "scale"), dtype=np.float32)
        offset = np.asarray(known(self.offset, "offset"), dtype=np.float32)
        return (x * scale + offset).astype(np.float32)


@register
class Normalization(Layer):
    named_sizes = True
    count_macs = one_mac_per_element  # (x - mean) / std, given or adapted statistics alike

    def __init__(self, axis=-1, mean=None, variance=None, invert=False, **kwargs):
        super().__init__(**kwargs)
        axis = known(axis, "axis")
        if axis is None:
            self.axis = ()
        elif isinstance(axis, (tuple, list)):
            self.axis = tuple(int_arg(a, "axis") for a in axis)
        else:
            self.axis = (int_arg(axis, "axis"),)
        if (mean is None) != (variance is None):
            raise InvalidArgument("Normalization needs both `mean` and `variance`, or neither")
        self.mean = mean
        self.variance = variance
        self.invert = bool(known(invert, "invert"))
        mean_shape, variance_shape = static_shape(mean), static_shape(variance)
        if mean_shape is not None and variance_shape is not None:
            if mean_shape != variance_shape:
                raise InvalidArgument(f"`mean` and `variance` must have the same shape, got {mean_shape} and {variance_shape}")
            if len(mean_shape) > len(self.axis):
                raise InvalidArgument(f"`mean` of shape {mean_shape} has more axes than `axis`={self.axis}")

    def kept_axes(self, rank: int) -> list[int]:
        return sorted(normalize_axis(a, rank) for a in self.axis)

    def build(self, input_shape, **kwargs):
        kept = self.kept_axes(len(input_shape))
        stats_shape = tuple(input_shape[a] for a in kept)
        if any(dims.unknown(d) for d in stats_shape):
            raise UnknownDimension(f"Normalization needs known sizes on the kept axes {kept}, got {format_shape(input_shape)}")
        if self.mean is None:
            # Without mean and variance Keras creates the state that adapt() fills in.
            self.adapt_mean = self.add_weight("mean", stats_shape, trainable=False)
            self.adapt_variance = self.add_weight("variance", stats_shape, trainable=False)
            self.add_weight("count", (), trainable=False)
            return
        mean_shape = static_shape(self.mean)
        if mean_shape is not None:
            # Keras aligns the given statistics with the last kept axes, then broadcasts them.
            for size, axis in zip(reversed(mean_shape), reversed(kept)):
                if size != 1 and dims.is_size(input_shape[axis]):
                    raise Unresolved(f"whether `mean` of shape {mean_shape} broadcasts to axis {axis} of "
                                     f"{format_shape(input_shape)} depends on its named sizes")
                if size not in (1, input_shape[axis]):
                    raise InvalidArgument(f"`mean` of shape {mean_shape} does not broadcast to axis {axis} "
                                          f"of size {input_shape[axis]} in {format_shape(input_shape)}")

    def statistics(self, shape):
        """Mean and variance as arrays that broadcast against an input of this shape."""
        kept = self.kept_axes(len(shape))
        broadcast = [shape[a] if a in kept else 1 for a in range(len(shape))]
        if self.mean is None:
            return self.adapt_mean.array.reshape(broadcast), self.adapt_variance.array.reshape(broadcast)
        mean = np.asarray(known(self.mean, "mean"), dtype=np.float32)
        variance = np.asarray(known(self.variance, "variance"), dtype=np.float32)
        expanded = [1] * len(shape)
        for size, axis in zip(reversed(mean.shape), reversed(kept)):
            expanded[axis] = size
        return mean.reshape(expanded), variance.reshape(expanded)

    def forward(self, x, **kwargs):
        mean, variance = self.statistics(x.shape)
        std = np.maximum(np.sqrt(variance), np.float32(KERAS_EPSILON))
        y = mean + x * std if self.invert else (x - mean) / std
        return y.astype(np.float32)


class ImageLayer(Layer):
    """Keras's image preprocessing base: images of rank 4 (batched) or 3 (a single image)."""

    weightless = True
    named_sizes = True
    size_arguments = ("height", "width")

    def __init__(self, data_format=None, bounding_box_format=None, factor=None, **kwargs):
        super().__init__(**kwargs)
        if factor is not None:
            raise InvalidArgument(f"{self.type_name} does not take a `factor` argument")
        self.data_format = data_format_arg(data_format)

    def compute_output_shape(self, input_shape, **kwargs):
        if len(input_shape) not in (3, 4):
            raise WrongRank(f"{self.type_name} expects an image batch of rank 4 or a single image of rank 3, "
                            f"got shape {format_shape(input_shape)} (rank {len(input_shape)})")
        # Height and width sit just before the channels (channels_last) or are the last two axes.
        height_axis = len(input_shape) - (3 if self.data_format == "channels_last" else 2)
        out = list(input_shape)
        out[height_axis:height_axis + 2] = [self.height, self.width]
        return tuple(out)

    def channels_last(self, x):
        """A batch of channels_last images: Keras treats a rank-3 input as one image."""
        images = x if x.ndim == 4 else x[None]
        return np.moveaxis(images, 1, -1) if self.data_format == "channels_first" else images

    def restore_layout(self, images, x):
        images = np.moveaxis(images, -1, 1) if self.data_format == "channels_first" else images
        return (images if x.ndim == 4 else images[0]).astype(np.float32)


@register
class Resizing(ImageLayer):
    def __init__(self, height, width, interpolation="bilinear", crop_to_aspect_ratio=False,
                 pad_to_aspect_ratio=False, fill_mode="constant", fill_value=0.0, antialias=False,
                 data_format=None, **kwargs):
        super().__init__(data_format=data_format, **kwargs)
        self.height, self.width = image_size(height, "height"), image_size(width, "width")
        self.interpolation = choice(interpolation, "interpolation", INTERPOLATIONS)
        self.crop_to_aspect_ratio = bool(known(crop_to_aspect_ratio, "crop_to_aspect_ratio"))
        self.pad_to_aspect_ratio = bool(known(pad_to_aspect_ratio, "pad_to_aspect_ratio"))
        if self.crop_to_aspect_ratio and self.pad_to_aspect_ratio:
            raise InvalidArgument("only one of `crop_to_aspect_ratio` and `pad_to_aspect_ratio` can be True")
        choice(fill_mode, "fill_mode", ("constant",))
        self.fill_value = fill_value
        self.antialias = bool(known(antialias, "antialias"))

    def forward(self, x, **kwargs):
        images = self.channels_last(x)
        if self.crop_to_aspect_ratio:
            images = crop_to_aspect_ratio(images, self.height, self.width)
        elif self.pad_to_aspect_ratio:
            images = pad_to_aspect_ratio(images, self.height, self.width, float_arg(self.fill_value, "fill_value"))
        resized = resize(images, self.height, self.width, self.interpolation, self.antialias)
        return self.restore_layout(resized, x)


@register
class CenterCrop(ImageLayer):
    def __init__(self, height, width, data_format=None, **kwargs):
        super().__init__(data_format=data_format, **kwargs)
        self.height, self.width = image_size(height, "height"), image_size(width, "width")

    def forward(self, x, **kwargs):
        images = self.channels_last(x)
        height, width = images.shape[1:3]
        if height >= self.height and width >= self.width:
            top, left = (height - self.height) // 2, (width - self.width) // 2
            cropped = images[:, top:top + self.height, left:left + self.width]
        else:
            # Keras's smart_resize: crop the largest centred window of the target aspect ratio, then resize.
            cropped = resize(crop_to_aspect_ratio(images, self.height, self.width), self.height, self.width, "bilinear")
        return self.restore_layout(cropped, x)


def image_size(value, what: str):
    """Keras takes any non-negative size here, even an empty one; a number read from data is one."""
    return value if dims.from_data(value) else int_arg(value, what, minimum=0)


def crop_to_aspect_ratio(images, target_height: int, target_width: int):
    height, width = images.shape[1:3]
    crop_height = max(min(height, int(width * target_height / target_width)), 1)
    crop_width = max(min(width, int(height * target_width / target_height)), 1)
    top, left = int((height - crop_height) / 2), int((width - crop_width) / 2)
    return images[:, top:top + crop_height, left:left + crop_width]


def pad_to_aspect_ratio(images, target_height: int, target_width: int, fill_value: float):
    height, width = images.shape[1:3]
    pad_top = int((max(height, int(width * target_height / target_width)) - height) / 2)
    pad_left = int((max(width, int(height * target_width / target_height)) - width) / 2)
    # Keras pads the same amount on both sides, along one axis only.
    if pad_top > 0:
        pads = ((0, 0), (pad_top, pad_top), (0, 0), (0, 0))
    elif pad_left > 0:
        pads = ((0, 0), (0, 0), (pad_left, pad_left), (0, 0))
    else:
        return images
    return np.pad(images, pads, constant_values=fill_value)


def resize(images, height: int, width: int, interpolation: str, antialias: bool = False):
    """jax.image.resize of a channels_last batch along its height and width axes."""
    for axis, size in ((1, height), (2, width)):
        if images.shape[axis] == size:
            continue
        if interpolation == "nearest":
            images = np.take(images, nearest_indices(images.shape[axis], size), axis=axis)
        else:
            weights = resize_weights(images.shape[axis], size, interpolation, antialias)
            images = np.moveaxis(np.tensordot(images, weights, axes=([axis], [0])), -1, axis)
    return images.astype(np.float32)


def nearest_indices(in_size: int, out_size: int):
    # jax computes these offsets in float32, which decides the ties.
    centres = (np.arange(out_size, dtype=np.float32) + np.float32(0.5)) * np.float32(in_size) / np.float32(out_size)
    return np.floor(centres).astype(np.int64)


def resize_weights(in_size: int, out_size: int, interpolation: str, antialias: bool):
    """The (in_size, out_size) matrix of jax's compute_weight_mat, without edge padding."""
    inv_scale = in_size / out_size
    kernel_scale = max(inv_scale, 1.0) if antialias else 1.0
    sample = (np.arange(out_size) + 0.5) * inv_scale - 0.5
    distance = np.abs(sample[None, :] - np.arange(in_size)[:, None]) / kernel_scale
    weights = KERNELS[interpolation](distance)
    total = weights.sum(axis=0, keepdims=True)
    weights = np.where(np.abs(total) > 1000 * np.finfo(np.float32).eps, weights / np.where(total != 0, total, 1), 0)
    inside = (sample >= -0.5) & (sample <= in_size - 0.5)
    return np.where(inside[None, :], weights, 0)


def triangle_kernel(x):
    return np.maximum(0.0, 1.0 - x)


def keys_cubic_kernel(x):
    out = ((1.5 * x - 2.5) * x) * x + 1.0
    out = np.where(x >= 1.0, ((-0.5 * x + 2.5) * x - 4.0) * x + 2.0, out)
    return np.where(x >= 2.0, 0.0, out)


def lanczos_kernel(radius: float):
    def kernel(x):
        with np.errstate(divide="ignore", invalid="ignore"):
            y = radius * np.sin(math.pi * x) * np.sin(math.pi * x / radius) / (math.pi ** 2 * x ** 2)
        return np.where(x > radius, 0.0, np.where(x > 1e-3, y, 1.0))
    return kernel


KERNELS = {
    "bilinear": triangle_kernel,
    "bicubic": keys_cubic_kernel,
    "lanczos3": lanczos_kernel(3.0),
    "lanczos5": lanczos_kernel(5.0),
}


@register
class TextVectorization(Layer):
    """Strings to token indices (`output_mode="int"`) or to one count per vocabulary entry. Its vocabulary is a
    lookup table, not a weight. The width of the other modes is `max_tokens` with `pad_to_max_tokens=True`,
    else the size of the vocabulary `adapt()` finds, known only at run time. No NumPy forward: it reads strings."""

    weightless = True
    named_sizes = True
    size_arguments = ("max_tokens", "output_sequence_length")

    def __init__(self, max_tokens=None, standardize="lower_and_strip_punctuation", split="whitespace", ngrams=None,
                 output_mode="int", output_sequence_length=None, pad_to_max_tokens=False, vocabulary=None,
                 idf_weights=None, sparse=False, ragged=False, encoding="utf-8", **kwargs):
        super().__init__(**kwargs)
        self.max_tokens = max_tokens
        self.split = split
        self.output_mode = output_mode
        self.output_sequence_length = output_sequence_length
        self.pad_to_max_tokens = pad_to_max_tokens

    def compute_output_shape(self, input_shape, **kwargs):
        mode = known(self.output_mode, "output_mode")
        if mode == "int":  # Keras: (batch, output_sequence_length), a length of None when not given
            return (input_shape[0], known(self.output_sequence_length, "output_sequence_length"))
        if not (known(self.pad_to_max_tokens, "pad_to_max_tokens")
                and (isinstance(self.max_tokens, int) or dims.from_data(self.max_tokens))):
            raise Unresolved(f"TextVectorization(output_mode={mode!r}) is as wide as the vocabulary adapt() finds")
        if known(self.split, "split") is None:
            shape = tuple(input_shape) + (1,) if len(input_shape) <= 1 else tuple(input_shape)
        else:
            shape = tuple(input_shape) + (None,)
        if mode == "one_hot":
            return (shape[:-1] if len(shape) > 1 and shape[-1] == 1 else shape) + (self.max_tokens,)
        return shape[:-1] + (self.max_tokens,)
