"""Normalization layers: BatchNormalization, LayerNormalization, GroupNormalization, UnitNormalization.

Forwards are inference-mode and follow Keras's arithmetic: x * inv + (beta - mean * inv)
with inv = gamma / sqrt(variance + epsilon).
"""

from archlint import dims
from archlint.dims import format_shape
from archlint.errors import InvalidArgument, UnknownDimension, Unresolved
from archlint.layers.base import (
    Layer, axis_arg, float_arg, int_arg, known, normalize_axis, np, one_mac_per_element, register,
)


def normalized(x, mean, variance, gamma, beta, epsilon):
    inv = 1.0 / np.sqrt(variance + np.float32(epsilon))
    if gamma is not None:
        inv = inv * gamma
    shift = -mean * inv
    if beta is not None:
        shift = shift + beta
    y = np.multiply(x, inv, dtype=np.float32)
    y += shift
    return y


def check_axes_in_range(axes, shape) -> None:
    for axis in axes:
        normalize_axis(axis, len(shape))


def known_dims(layer: Layer, shape, axes) -> tuple[int, ...]:
    """The sizes of `axes`, which must be known to size the layer's weights."""
    sizes = tuple(shape[a] for a in axes)
    if any(dims.unknown(d) for d in sizes):
        raise UnknownDimension(f"{layer.type_name} needs known sizes on axis {list(axes)} "
                               f"to size its weights, got {format_shape(shape)}")
    return sizes


@register
class BatchNormalization(Layer):
    input_checked_on_call = True
    named_sizes = True
    count_macs = one_mac_per_element  # the moving statistics and gamma, beta fold into one x * a + b

    def __init__(self, axis=-1, momentum=0.99, epsilon=1e-3, center=True, scale=True,
                 beta_initializer="zeros", gamma_initializer="ones", moving_mean_initializer="zeros",
                 moving_variance_initializer="ones", beta_regularizer=None, gamma_regularizer=None,
                 beta_constraint=None, gamma_constraint=None, renorm=False, renorm_clipping=None,
                 renorm_momentum=0.99, synchronized=False, **kwargs):
        super().__init__(**kwargs)
        self.axis = int_arg(axis, "axis")
        self.epsilon = epsilon
        self.center = bool(known(center, "center"))
        self.scale = bool(known(scale, "scale"))
        self.renorm = bool(known(renorm, "renorm"))
        if self.renorm:
            check_renorm_clipping(renorm_clipping)

    def build(self, input_shape, **kwargs):
        axis = normalize_axis(self.axis, len(input_shape))
        shape = known_dims(self, input_shape, [axis])
        self.gamma = self.add_weight("gamma", shape) if self.scale else None
        self.beta = self.add_weight("beta", shape) if self.center else None
        self.moving_mean = self.add_weight("moving_mean", shape, trainable=False)
        self.moving_variance = self.add_weight("moving_variance", shape, trainable=False)
        if self.renorm:
            # Batch renormalization tracks its own statistics; inference still uses the moving ones.
            for name in ("moving_stddev", "renorm_mean", "renorm_stddev"):
                self.add_weight(name, shape, trainable=False)

    def compute_output_shape(self, input_shape, **kwargs):
        check_axes_in_range([self.axis], input_shape)
        return input_shape

    def forward(self, x, **kwargs):
        shape = [1] * x.ndim
        shape[self.axis] = -1

        def along_axis(weight):
            return None if weight is None else weight.array.reshape(shape)

        return normalized(x, along_axis(self.moving_mean), along_axis(self.moving_variance),
                          along_axis(self.gamma), along_axis(self.beta), float_arg(self.epsilon, "epsilon"))


def check_renorm_clipping(clipping) -> None:
    clipping = known(clipping, "renorm_clipping") or {}
    if not isinstance(clipping, dict) or set(clipping) - {"rmax", "rmin", "dmax"}:
        raise InvalidArgument(f"`renorm_clipping` takes only the keys 'rmax', 'rmin' and 'dmax', got {clipping!r}")
    rmax, rmin, dmax = (clipping.get(key) for key in ("rmax", "rmin", "dmax"))
    if rmax is not None and rmin is not None and float_arg(rmax, "rmax") < float_arg(rmin, "rmin"):
        raise InvalidArgument(f"`renorm_clipping` needs rmax >= rmin, got rmax={rmax}, rmin={rmin}")
    if dmax is not None and float_arg(dmax, "dmax") < 0:
        raise InvalidArgument(f"`renorm_clipping` needs dmax >= 0, got dmax={dmax}")


@register
class LayerNormalization(Layer):
    named_sizes = True
    # The x * a + b of the statistics just computed; computing them (sums) is not counted.
    count_macs = one_mac_per_element

    def __init__(self, axis=-1, epsilon=1e-3, center=True, scale=True, beta_initializer="zeros",
                 gamma_initializer="ones", beta_regularizer=None, gamma_regularizer=None,
                 beta_constraint=None, gamma_constraint=None, **kwargs):
        # Deprecated in Keras 3 (it scales by the variance, not the RMS) but still honoured.
        rms_scaling = kwargs.pop("rms_scaling", False)
        super().__init__(**kwargs)
        axis = axis_arg(axis)
        # Keras sorts the axes as given, so [1, -1] becomes [-1, 1]: the weight follows that order.
        self.axes = sorted(axis) if isinstance(axis, tuple) else [axis]
        self.epsilon = epsilon
        self.rms_scaling = bool(known(rms_scaling, "rms_scaling"))
        self.center = bool(known(center, "center"))
        self.scale = bool(known(scale, "scale"))

    def build(self, input_shape, **kwargs):
        check_axes_in_range(self.axes, input_shape)
        shape = known_dims(self, input_shape, self.axes)
        self.gamma = self.add_weight("gamma", shape) if self.scale or self.rms_scaling else None
        self.beta = self.add_weight("beta", shape) if self.center and not self.rms_scaling else None

    def compute_output_shape(self, input_shape, **kwargs):
        check_axes_in_range(self.axes, input_shape)
        return input_shape

    def forward(self, x, **kwargs):
        broadcast = [1] * x.ndim
        for axis in self.axes:
            broadcast[axis] = x.shape[axis]

        def broadcast_weight(weight):
            # A reshape, not a transpose, exactly as Keras does for several axes.
            return None if weight is None else weight.array.reshape(broadcast)

        epsilon = float_arg(self.epsilon, "epsilon")
        axes = tuple(self.axes)
        gamma = broadcast_weight(self.gamma)
        if self.rms_scaling:
            y = x / np.sqrt(np.var(x, axis=axes, keepdims=True) + np.float32(epsilon))
            return (y if gamma is None else y * gamma).astype(np.float32)
        mean = np.mean(x, axis=axes, keepdims=True)
        variance = np.var(x, axis=axes, keepdims=True)
        return normalized(x, mean, variance, gamma, broadcast_weight(self.beta), epsilon)


@register
class GroupNormalization(Layer):
    input_checked_on_call = True
    named_sizes = True
    size_arguments = ("groups",)
    count_macs = one_mac_per_element  # as LayerNormalization, per group

    def __init__(self, groups=32, axis=-1, epsilon=1e-3, center=True, scale=True, beta_initializer="zeros",
                 gamma_initializer="ones", beta_regularizer=None, gamma_regularizer=None,
                 beta_constraint=None, gamma_constraint=None, **kwargs):
        groups = known(groups, "groups")
        if not dims.from_data(groups) and (not isinstance(groups, int) or (groups <= 0 and groups != -1)):
            raise InvalidArgument(f"`groups` must be a positive integer, or -1 for instance normalization, got {groups!r}")
        super().__init__(**kwargs)
        self.groups = groups
        self.axis = int_arg(axis, "axis")
        self.epsilon = epsilon
        self.center = bool(known(center, "center"))
        self.scale = bool(known(scale, "scale"))

    def build(self, input_shape, **kwargs):
        axis = normalize_axis(self.axis, len(input_shape))
        (channels,) = known_dims(self, input_shape, [axis])
        if self.groups == -1:
            self.groups = channels
        if self.groups == 0:  # -1 on an axis of size 0: Keras divides by it (ZeroDivisionError)
            raise InvalidArgument("GroupNormalization with groups=-1 needs at least one channel, the input has none")

        def too_many():
            return f"GroupNormalization has more groups ({self.groups}) than channels ({channels})"

        def not_divisible():
            return f"the {channels} channels of GroupNormalization must be divisible by `groups`={self.groups}"

        if not dims.holds(("ge", channels, self.groups), InvalidArgument.code, too_many):
            raise InvalidArgument(too_many())
        if dims.is_size(self.groups):  # a number of groups read from data: the channels must be a multiple of it
            if dims.exact_quotient(channels, self.groups) is None:
                raise Unresolved(f"whether the {channels} channels of GroupNormalization are divisible by "
                                 f"`groups`={self.groups} is not known")
        elif not dims.divides(channels, self.groups, InvalidArgument.code, not_divisible):
            raise InvalidArgument(not_divisible())
        self.gamma = self.add_weight("gamma", (channels,)) if self.scale else None
        self.beta = self.add_weight("beta", (channels,)) if self.center else None

    def compute_output_shape(self, input_shape, **kwargs):
        check_axes_in_range([self.axis], input_shape)
        return input_shape

    def forward(self, x, **kwargs):
        axis = self.axis % x.ndim
        # Split the channel axis into (groups, channels per group), then normalize each group.
        grouped_shape = (*x.shape[:axis], self.groups, x.shape[axis] // self.groups, *x.shape[axis + 1:])
        grouped = x.reshape(grouped_shape)
        reduce = tuple(a for a in range(1, grouped.ndim) if a != axis)
        broadcast = [1] * grouped.ndim
        broadcast[axis:axis + 2] = grouped_shape[axis:axis + 2]

        def broadcast_weight(weight):
            return None if weight is None else weight.array.reshape(broadcast)

        y = normalized(grouped, np.mean(grouped, axis=reduce, keepdims=True), np.var(grouped, axis=reduce, keepdims=True),
                       broadcast_weight(self.gamma), broadcast_weight(self.beta), float_arg(self.epsilon, "epsilon"))
        return y.reshape(x.shape)


@register
class UnitNormalization(Layer):
    weightless = True
    named_sizes = True

    def __init__(self, axis=-1, **kwargs):
        super().__init__(**kwargs)
        axis = axis_arg(axis)
        self.axes = tuple(axis) if isinstance(axis, tuple) else (axis,)

    def compute_output_shape(self, input_shape, **kwargs):
        check_axes_in_range(self.axes, input_shape)
        return input_shape

    def forward(self, x, **kwargs):
        return l2_normalized(x, self.axes, epsilon=1e-12)


def l2_normalized(x, axes, epsilon):
    """Keras's ops.normalize with order 2: x * min(1 / ||x||, 1 / epsilon)."""
    with np.errstate(divide="ignore"):
        inverse_norm = 1.0 / np.sqrt(np.sum(np.square(x), axis=axes, keepdims=True))
    return (x * np.minimum(inverse_norm, 1.0 / epsilon)).astype(np.float32)
