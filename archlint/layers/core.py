"""Core layers: Input, Dense, EinsumDense, Activation and the activation layers, Dropout and its variants."""

import re
from typing import NamedTuple

from archlint import dims
from archlint.dims import Shape, product
from archlint.errors import IncompatibleShapes, InvalidArgument, UnknownDimension, Unresolved
from archlint.kernels import activations, parallel
from archlint.layers.base import (
    Layer, activation_name, choice, float_arg, known, np, one_mac_per_element, positive_int, register, require_rank,
    shape_arg, size_arg,
)


@register
class InputLayer(Layer):
    """What `keras.Input(shape=...)` creates; the evaluator turns it into a symbolic tensor."""

    weightless = True
    named_sizes = True
    size_arguments = ("shape", "batch_shape", "input_shape", "batch_input_shape")

    def __init__(self, shape=None, batch_size=None, dtype=None, sparse=None, ragged=None,
                 batch_shape=None, input_tensor=None, optional=False, name=None, **kwargs):
        if "input_shape" in kwargs:
            shape = kwargs.pop("input_shape")
        if "batch_input_shape" in kwargs:
            batch_shape = kwargs.pop("batch_input_shape")
        super().__init__(name=name, **kwargs)
        if shape is not None and batch_shape is not None:
            raise InvalidArgument("you cannot pass both `shape` and `batch_shape` to Input")
        if batch_size is not None and batch_shape is not None:
            raise InvalidArgument("you cannot pass both `batch_size` and `batch_shape` to Input")
        if shape is None and batch_shape is None:
            raise InvalidArgument("Input needs a `shape` argument")
        if batch_shape is not None:
            self.batch_shape = shape_arg(batch_shape, "batch_shape")
        else:
            size = known(batch_size, "batch_size")
            self.batch_shape = (size,) + shape_arg(shape, "shape")
        self.dtype = dtype if isinstance(dtype, str) else None
        self.axis_letters: list[str] | None = None  # what its axes' sizes are named after (H, W, C), once made

    def compute_output_shape(self, input_shape=None, **kwargs) -> Shape:
        return self.batch_shape


@register
class Dense(Layer):
    input_checked_on_call = True
    named_sizes = True
    size_arguments = ("units",)

    def __init__(self, units, activation=None, use_bias=True, kernel_initializer="glorot_uniform",
                 bias_initializer="zeros", kernel_regularizer=None, bias_regularizer=None,
                 activity_regularizer=None, kernel_constraint=None, bias_constraint=None,
                 lora_rank=None, lora_alpha=None, **kwargs):
        super().__init__(activity_regularizer=activity_regularizer, **kwargs)
        self.units = size_arg(units, "units", numpy_ints=False)
        self.activation = activation_name(activation)
        self.kernel_initializer = kernel_initializer
        self.use_bias = bool(known(use_bias, "use_bias"))
        self.lora_rank = None if lora_rank is None else positive_int(lora_rank, "lora_rank")
        self.kernel_constraint = kernel_constraint

    def build(self, input_shape, **kwargs):
        require_rank(input_shape, 2, self, at_least=True)
        features = input_shape[-1]
        if dims.unknown(features):
            message = f"Dense needs a known last axis to size its kernel, got {dims.format_shape(input_shape)}"
            if dims.is_size(features):  # flattened (or reshaped) from an input's axes of unknown size
                names = sorted(s.name for s in features.symbols() if not s.from_data)
                message += (f": it depends on {' and '.join(names)}, which Keras sees as None; give the input a "
                            "fixed size there (in keras.Input or with --input-shape), or pool globally "
                            "(GlobalAveragePooling2D) instead of flattening")
            raise UnknownDimension(message)
        self.kernel = self.add_weight("kernel", (input_shape[-1], self.units))
        self.bias = self.add_weight("bias", (self.units,)) if self.use_bias else None
        if self.lora_rank:
            # Dense enables LoRA without its lora_alpha, so the update is never scaled.
            self.add_lora(self.kernel, self.lora_rank, self.lora_rank, self.kernel_constraint)

    def compute_output_shape(self, input_shape, **kwargs):
        return tuple(input_shape[:-1]) + (self.units,)

    def count_macs(self, input_shapes, output_shapes):
        # Each input row meets every kernel entry once; a LoRA update is folded into the kernel first.
        rows = product(input_shapes[0][:-1])
        return None if rows is None else rows * input_shapes[0][-1] * self.units

    def forward(self, x, **kwargs):
        kernel = self.kernel_value(self.kernel)
        flat = x.reshape(-1, x.shape[-1])
        y = parallel.matmul(flat, kernel, np.empty((flat.shape[0], self.units), dtype=np.float32)).reshape(*x.shape[:-1], self.units)
        if self.bias is not None:
            y += self.bias.array  # y is this forward's own array
        return activations.apply(self.activation, y, in_place=True)


# Keras's three forms of an EinsumDense equation, matched as it matches them (a match at the start; `...` read as 0):
# none elided, elided on the left of both the input and the output, elided on the right of both.
_EINSUM_FORMS = ((re.compile("([a-zA-Z]+),([a-zA-Z]+)->([a-zA-Z]+)"), False),
                 (re.compile("0([a-zA-Z]+),([a-zA-Z]+)->0([a-zA-Z]+)"), True),
                 (re.compile("([a-zA-Z]{2,})0,([a-zA-Z]+)->([a-zA-Z]+)0"), False))


class _EinsumAnalysis(NamedTuple):
    kernel_shape: list
    bias_shape: list | None
    output_shape: list
    input_spec: str  # the input's letters
    weight_spec: str  # the kernel's letters
    input_axes: dict  # the input's axis of each of its letters
    elided: int  # how many of the input's axes `...` stands for
    left_elided: bool

    def input_sizes(self, input_shape) -> dict:
        """The size of each of the input's letters."""
        return {letter: input_shape[self.input_axes[letter]] for letter in self.input_spec}


@register
class EinsumDense(Layer):
    """A kernel contracted with the input by an einsum equation (`"abc,cd->abd"`), as keras_hub's transformer
    blocks and Keras's attention project; `output_shape` gives the output's axes after the batch axis, None
    where the input's size passes through (Keras's output shape keeps None there)."""

    named_sizes = True
    size_arguments = ("output_shape",)

    def __init__(self, equation, output_shape, activation=None, bias_axes=None, kernel_initializer="glorot_uniform",
                 bias_initializer="zeros", kernel_regularizer=None, bias_regularizer=None, kernel_constraint=None,
                 bias_constraint=None, lora_rank=None, lora_alpha=None, gptq_unpacked_column_size=None,
                 quantization_config=None, **kwargs):
        super().__init__(**kwargs)
        self.equation = known(equation, "equation")
        if not isinstance(self.equation, str):
            raise InvalidArgument(f"`equation` must be a string, got {self.equation!r}")
        self.partial_output_shape = shape_arg((output_shape,) if dims.from_data(output_shape) else output_shape,
                                              "output_shape")
        self.activation = activation_name(activation)
        self.bias_axes = known(bias_axes, "bias_axes")
        if self.bias_axes is not None and not isinstance(self.bias_axes, str):
            raise InvalidArgument(f"`bias_axes` must be a string, got {self.bias_axes!r}")
        self.lora_rank = None if lora_rank is None else positive_int(lora_rank, "lora_rank")
        self.lora_alpha = self.lora_rank if lora_alpha is None else known(lora_alpha, "lora_alpha")
        self.kernel_constraint = kernel_constraint
        if quantization_config is not None:
            raise Unresolved("EinsumDense with a `quantization_config`: its quantized weights are not modelled")

    def _analysis(self, input_shape) -> "_EinsumAnalysis":
        """Keras's `_analyze_einsum_string` of the equation on an input of this shape."""
        dotted = self.equation.replace("...", "0")
        for form, left_elided in _EINSUM_FORMS:
            found = form.match(dotted)
            if found:
                break
        else:
            raise InvalidArgument(f"Invalid einsum equation '{self.equation}'. Equations must be in the form "
                                  "[X],[Y]->[Z], ...[X],[Y]->...[Z], or [X]...,[Y]->[Z]....")
        input_spec, weight_spec, output_spec = found.groups()
        rank = len(input_shape)
        elided = rank - len(input_spec)
        output_shape = [input_shape[0], *self.partial_output_shape]
        if elided > 0 and left_elided:
            for i in range(1, elided):
                output_shape.insert(1, input_shape[i])
        elif elided > 0:
            output_shape += input_shape[rank - elided:]
        shift = elided if left_elided else 0
        input_axes = {letter: (i + shift - rank if left_elided else i) for i, letter in enumerate(input_spec)}
        output_axes = {letter: i + shift for i, letter in enumerate(output_spec)}
        try:
            for letter in input_spec:
                if letter in output_axes:
                    wanted, given = output_shape[output_axes[letter]], input_shape[input_axes[letter]]

                    def message(letter=letter, wanted=wanted, given=given):
                        return (f"EinsumDense: input shape and output shape do not match at shared dimension "
                                f"'{letter}'. Input shape is {given}, and output shape is {wanted}.")

                    if wanted is not None and not dims.equal_as_keras_sees(wanted, given, IncompatibleShapes.code,
                                                                           message):
                        raise IncompatibleShapes(message())
            for letter in output_spec:
                if letter not in input_spec and letter not in weight_spec:
                    raise InvalidArgument(f"Dimension '{letter}' was specified in the output '{output_spec}' but "
                                          f"has no corresponding dim in the input spec '{input_spec}' or weight "
                                          f"spec '{output_spec}'")
            kernel_shape = []
            for letter in weight_spec:
                if letter in output_axes:
                    kernel_shape.append(output_shape[output_axes[letter]])
                elif letter in input_axes:
                    kernel_shape.append(input_shape[input_axes[letter]])
                else:
                    raise InvalidArgument(f"Weight dimension '{letter}' did not have a match in either the input "
                                          f"spec '{input_spec}' or the output spec '{output_spec}'. For this "
                                          "layer, the weight must be fully specified.")
        except IndexError:  # an equation with more letters than the input has axes
            raise InvalidArgument(f"EinsumDense's equation '{self.equation}' does not fit an input of shape "
                                  f"{dims.format_shape(input_shape)}") from None
        bias_shape = None
        if self.bias_axes is not None:
            for letter in self.bias_axes:
                if letter not in output_spec:
                    raise InvalidArgument(f"Bias dimension '{letter}' was requested, but is not part of the output "
                                          f"spec '{output_spec}'")
            first = min(output_spec.find(letter) for letter in self.bias_axes)
            bias_shape = [output_shape[i + shift] if letter in self.bias_axes else 1
                          for i, letter in enumerate(output_spec) if i >= first]
            if not left_elided:
                bias_shape += [1] * max(elided, 0)
        return _EinsumAnalysis(kernel_shape, bias_shape, output_shape, input_spec, weight_spec, input_axes, elided,
                               left_elided)

    def build(self, input_shape, **kwargs):
        kernel_shape, bias_shape = self._analysis(input_shape)[:2]
        for shape in (kernel_shape, bias_shape or ()):
            if any(dims.unknown(size) for size in shape):
                raise UnknownDimension(f"EinsumDense needs the sizes its weights take from the input and "
                                       f"`output_shape` to be known; its kernel would be "
                                       f"{dims.format_shape(tuple(kernel_shape))}")
        self.kernel = self.add_weight("kernel", kernel_shape)
        self.bias = None if bias_shape is None else self.add_weight("bias", bias_shape)
        if self.lora_rank:
            self.add_lora(self.kernel, self.lora_rank, self.lora_alpha, self.kernel_constraint)

    def compute_output_shape(self, input_shape, **kwargs):
        return tuple(self._analysis(input_shape).output_shape)

    def eager_output_shape(self, symbolic_shape, input_shape, **kwargs):
        # NumPy's einsum of the equation: each output letter's size from the input or the kernel, the elided axes
        # where the equation puts them (compute_output_shape keeps output_shape's None; the computation does not).
        analysis = self._analysis(input_shape)
        output_spec = self.equation.replace("...", "0").split("->")[1]
        left, right = output_spec.startswith("0"), output_spec.endswith("0")
        elided = analysis.elided
        if elided < 0 or elided > 0 and not (left or right):
            return symbolic_shape  # einsum refuses that equation on this input
        sizes = {**dict(zip(analysis.weight_spec, self.kernel.shape)), **analysis.input_sizes(input_shape)}
        rank = len(input_shape)
        return (*(input_shape[:elided] if left else ()), *(sizes[letter] for letter in output_spec.strip("0")),
                *(input_shape[rank - elided:] if right else ()))

    def count_macs(self, input_shapes, output_shapes):
        # Every combination of the equation's letters is one product summed into an output, for each
        # position of the elided axes.
        input_shape = input_shapes[0]
        analysis = self._analysis(input_shape)
        elided = analysis.elided
        elided_axes = input_shape[:elided] if analysis.left_elided else input_shape[len(input_shape) - elided:]
        sizes = {**analysis.input_sizes(input_shape), **dict(zip(analysis.weight_spec, self.kernel.shape))}
        return product([*sizes.values(), *(elided_axes if elided > 0 else ())])

    def forward(self, x, **kwargs):
        y = np.einsum(self.equation, x, self.kernel_value(self.kernel), optimize=True).astype(np.float32)
        if self.bias is not None:
            y += self.bias.array
        return activations.apply(self.activation, y, in_place=True)


@register
class Activation(Layer):
    weightless = True
    named_sizes = True

    def __init__(self, activation, **kwargs):
        super().__init__(**kwargs)
        self.activation = activation_name(activation)

    def forward(self, x, **kwargs):
        return activations.apply(self.activation, x)


@register
class ReLU(Layer):
    weightless = True
    named_sizes = True

    def __init__(self, max_value=None, negative_slope=0.0, threshold=0.0, **kwargs):
        super().__init__(**kwargs)
        self.max_value = None if max_value is None else float_arg(max_value, "max_value")
        self.negative_slope = float_arg(negative_slope, "negative_slope")
        self.threshold = float_arg(threshold, "threshold")
        if self.negative_slope < 0 or (self.max_value is not None and self.max_value < 0):
            raise InvalidArgument("ReLU's `negative_slope` and `max_value` must be non-negative")

    def forward(self, x, **kwargs):
        y = np.where(x >= self.threshold, x, self.negative_slope * (x - self.threshold))
        if self.max_value is not None:
            y = np.minimum(y, self.max_value)
        return y.astype(np.float32)


@register
class LeakyReLU(Layer):
    weightless = True
    named_sizes = True

    def __init__(self, negative_slope=0.3, **kwargs):
        if "alpha" in kwargs:
            negative_slope = kwargs.pop("alpha")
        super().__init__(**kwargs)
        self.negative_slope = float_arg(negative_slope, "negative_slope")

    def forward(self, x, **kwargs):
        return np.where(x >= 0, x, self.negative_slope * x).astype(np.float32)


@register
class ELU(Layer):
    weightless = True
    named_sizes = True

    def __init__(self, alpha=1.0, **kwargs):
        super().__init__(**kwargs)
        self.alpha = float_arg(alpha, "alpha")

    def forward(self, x, **kwargs):
        return np.where(x > 0, x, self.alpha * (np.exp(np.minimum(x, 0)) - 1)).astype(np.float32)


@register
class Softmax(Layer):
    weightless = True
    named_sizes = True

    def __init__(self, axis=-1, **kwargs):
        super().__init__(**kwargs)
        self.axis = known(axis, "axis")

    def forward(self, x, mask=None, **kwargs):
        axis = self.axis if isinstance(self.axis, int) else tuple(self.axis)
        e = np.exp(x - np.max(x, axis=axis, keepdims=True))
        return (e / np.sum(e, axis=axis, keepdims=True)).astype(np.float32)


@register
class PReLU(Layer):
    named_sizes = True

    def __init__(self, alpha_initializer="zeros", alpha_regularizer=None, alpha_constraint=None,
                 shared_axes=None, **kwargs):
        super().__init__(**kwargs)
        shared = known(shared_axes, "shared_axes")
        self.shared_axes = () if shared is None else tuple(shared) if isinstance(shared, (list, tuple)) else (shared,)

    @property
    def input_checked_on_call(self) -> bool:
        # Keras's InputSpec fixes the axes alpha is not shared along only when some axis is shared.
        return bool(self.shared_axes)

    def build(self, input_shape, **kwargs):
        shape = list(input_shape[1:])
        for axis in self.shared_axes:
            try:
                shape[axis - 1] = 1  # Keras's own indexing: axis 0 wraps to the last axis
            except (IndexError, TypeError):
                raise InvalidArgument(f"shared_axes {list(self.shared_axes)} do not fit an input of shape "
                                      f"{input_shape}") from None
        if any(dims.unknown(d) for d in shape):
            raise UnknownDimension("PReLU needs known non-batch axes (or shared_axes over them), got "
                                   f"{dims.format_shape(input_shape)}")
        self.alpha = self.add_weight("alpha", shape)

    count_macs = one_mac_per_element  # alpha * x on the negative part

    def forward(self, x, **kwargs):
        return np.where(x >= 0, x, self.alpha.array * x).astype(np.float32)


class _Identity(Layer):
    """Layers that leave the tensor unchanged at inference: dropout and noise."""

    weightless = True
    named_sizes = True

    def forward(self, x, **kwargs):
        return x


def _rate(value) -> float:
    rate = float_arg(value, "rate")
    if not 0 <= rate <= 1:
        raise InvalidArgument(f"`rate` must be between 0 and 1, got {rate}")
    return rate


@register
class Dropout(_Identity):
    def __init__(self, rate, noise_shape=None, seed=None, **kwargs):
        super().__init__(**kwargs)
        self.rate = _rate(rate)


class _SpatialDropout(_Identity):
    rank = 0

    def __init__(self, rate, seed=None, name=None, dtype=None, **kwargs):
        # Keras's SpatialDropoutND takes only these arguments (and data_format from 2D on).
        super().__init__(name=name, dtype=dtype, **kwargs)
        self.rate = _rate(rate)

    def build(self, input_shape, **kwargs):
        require_rank(input_shape, self.rank + 2, self)


@register
class SpatialDropout1D(_SpatialDropout):
    rank = 1


@register
class SpatialDropout2D(_SpatialDropout):
    rank = 2

    def __init__(self, rate, data_format=None, seed=None, name=None, dtype=None, **kwargs):
        super().__init__(rate, seed=seed, name=name, dtype=dtype, **kwargs)


@register
class SpatialDropout3D(_SpatialDropout):
    rank = 3

    def __init__(self, rate, data_format=None, seed=None, name=None, dtype=None, **kwargs):
        super().__init__(rate, seed=seed, name=name, dtype=dtype, **kwargs)


@register
class GaussianDropout(_Identity):
    def __init__(self, rate, seed=None, **kwargs):
        super().__init__(**kwargs)
        self.rate = _rate(rate)


@register
class AlphaDropout(_Identity):
    def __init__(self, rate, noise_shape=None, seed=None, **kwargs):
        super().__init__(**kwargs)
        self.rate = _rate(rate)


@register
class GaussianNoise(_Identity):
    def __init__(self, stddev, seed=None, **kwargs):
        super().__init__(**kwargs)
        self.stddev = float_arg(stddev, "stddev")


@register
class Identity(_Identity):
    pass


@register
class Flatten(Layer):
    weightless = True
    named_sizes = True

    def __init__(self, data_format=None, **kwargs):
        super().__init__(**kwargs)
        self.data_format = "channels_last" if data_format is None else choice(data_format, "data_format", ("channels_last", "channels_first"))

    def compute_output_shape(self, input_shape, **kwargs):
        return (input_shape[0], product(input_shape[1:]))

    def forward(self, x, **kwargs):
        if self.data_format == "channels_first" and x.ndim > 2:
            x = np.moveaxis(x, 1, -1)
        return x.reshape(x.shape[0], -1)
