"""The static model of a Keras layer.

A subclass mirrors one Keras layer class: its constructor takes Keras's arguments with
Keras's defaults, `build` declares the weights, `compute_output_shape` gives the output
shape, and `forward` computes the output with NumPy. Shapes are tuples of int or None;
a layer with several inputs receives a list of shapes, one with several outputs returns
a list. Anything a layer cannot know raises `Unresolved`; anything Keras would reject
raises the matching `LayerError`.
"""

from __future__ import annotations

import contextlib
import copy
import re
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any, ClassVar

from archlint.dims import Shape, format_shape, from_data, is_size, product
from archlint.errors import InvalidArgument, LayerError, Unresolved, WrongRank
from archlint.kernels import np  # numpy, imported when a forward first uses it
from archlint.values import NumpyInt, Ref, Unknown

REGISTRY: dict[str, type["Layer"]] = {}
UNKNOWN_NAME = "<name unknown>"


def register(cls: type["Layer"]) -> type["Layer"]:
    """Make a layer class known under its Keras class name and its aliases."""
    for key in (cls.__name__, *cls.aliases):
        REGISTRY[key] = cls
    return cls


def snake_case(name: str) -> str:
    """Keras's `to_snake_case`, which names layers: MaxPooling2D -> max_pooling2d."""
    name = re.sub(r"\W+", "", name)
    name = re.sub("(.)([A-Z][a-z]+)", r"\1_\2", name)
    return re.sub("([a-z])([A-Z])", r"\1_\2", name).lower()


# The arrays of the weights while an execution runs forwards: its own, keyed by id(weight), as Keras's
# stateless_call hands its layers' variables their values. The analysis's weights stay as they were,
# so that one analysis may run in several executions at once.
_weight_arrays: ContextVar[dict[int, Any]] = ContextVar("weight_arrays", default={})


@contextlib.contextmanager
def weight_arrays(arrays: dict[int, Any]):
    """Within: a weight's `array` is arrays[id(weight)] where there is one."""
    token = _weight_arrays.set(arrays)
    try:
        yield
    finally:
        _weight_arrays.reset(token)


@dataclass
class Weight:
    name: str
    shape: tuple[int, ...]
    trainable: bool
    value: Any = None  # an array set from outside (Keras's own weights, to compare with); archlint never sets one

    @property
    def size(self) -> int:
        return product(self.shape)

    @property
    def array(self):
        """What a forward multiplies by: the running execution's array for this weight, else the one given."""
        return _weight_arrays.get().get(id(self), self.value)


class Layer:
    """Base of every modelled layer: Keras's common constructor arguments and weight bookkeeping."""

    aliases: ClassVar[tuple[str, ...]] = ()
    # Computes its shapes with named sizes (dims.Size), checking them through dims so that a check on a
    # named size becomes a condition; a layer that does not is given None for them, as Keras's symbolic shapes.
    named_sizes: ClassVar[bool] = False
    # No weights whatever the input: 0 parameters, even where the input's shape is unknown.
    weightless: ClassVar[bool] = False
    # Keras checks each call's input against the built weights (an InputSpec with axes) and refuses a
    # misfit. Other layers given a misfit (an LSTM) build as Keras builds them, and fail only when run.
    input_checked_on_call: ClassVar[bool] = False
    # Made by Keras's own code (a keras.applications model), which the checked code cannot change.
    library_made: bool = False
    # Constructor arguments that are sizes (Dense's units): a number the code reads from data is given to the
    # layer as a named size there (evaluate/data_numbers.py), and the layer computes with it.
    size_arguments: ClassVar[tuple[str, ...]] = ()

    def __init__(self, *, name=None, trainable=True, dtype=None, autocast=True,
                 activity_regularizer=None, input_shape=None, input_dim=None, **kwargs):
        if kwargs:
            raise InvalidArgument(f"unrecognized keyword arguments passed to {type(self).__name__}: {', '.join(sorted(kwargs))}")
        if isinstance(name, str) and "/" in name:
            raise InvalidArgument(f"Argument `name` must be a string and cannot contain character `/`, got {name!r}")
        # A name computed from values archlint cannot know is shown as such, never invented.
        self.name = name if isinstance(name, str) else UNKNOWN_NAME if isinstance(name, Unknown) else None
        self.trainable = trainable if isinstance(trainable, bool) else True
        if input_dim is not None:
            input_shape = (input_dim,)
        self.input_shape_arg = None if input_shape is None else shape_arg(input_shape, "input_shape")
        self.weights: list[Weight] = []
        self.sublayers: list[Layer] = []
        self.built = False
        # Why the weights' sizes are unknown though the output shape is known (Embedding(len(vocab), 16)).
        self.unknown_params_reason: str | None = None

    # -- what subclasses override ---------------------------------------------------------

    def build(self, input_shape, **kwargs) -> None:
        """Declare the weights for the given input shape(s) with `add_weight`."""

    def compute_output_shape(self, input_shape, **kwargs):
        return input_shape

    def eager_output_shape(self, symbolic_shape, *input_shapes, **kwargs):
        """The output shape of a call on concrete tensors, which Keras computes rather than infers: where
        compute_output_shape leaves an axis None that the computation sizes, a layer says so here."""
        return symbolic_shape

    def count_macs(self, input_shapes: list[Shape], output_shapes: list[Shape]) -> int | None:
        """Multiply-accumulates of one application on these shapes, None when unknown. The caller
        fixes the batch axis (an unknown batch counts as 1); another unknown axis makes it unknown.

        A MAC is one product summed into an output: matrix products (by a weight, or of two tensors
        as attention's scores) and the per-element x * a + b of layers holding per-element weights
        (normalization, PReLU). Biases, activations, pooling and element-wise products of two
        tensors (merges, recurrent gates) count nothing. So a layer without weights costs 0, and
        one with weights that does not say is unknown rather than free.
        """
        return None if self.all_weights() else 0

    def forward(self, inputs, **kwargs):
        raise NotImplementedError(f"{type(self).__name__} has no NumPy forward")

    def scratch_size(self, input_shapes: list[tuple[int, ...]], output_shapes: list[tuple[int, ...]]) -> int:
        """Elements the forward holds at its peak besides its inputs and outputs, which the runtime's
        memory budget counts before allocating anything. Most forwards hold at most a copy of their
        inputs and a few output-sized temporaries (eight: a product, its bias, and the terms of an
        activation such as gelu); layers that need more say so."""
        return 2 * sum(map(product, input_shapes)) + 8 * sum(map(product, output_shapes))

    # -- shared machinery -----------------------------------------------------------------

    def add_weight(self, name: str, shape, trainable: bool = True) -> Weight:
        # A size read from data is a number when Keras builds the weight; an input's named axis is not (int() says so).
        weight = Weight(name, tuple(d if from_data(d) else int(d) for d in shape), trainable)
        self.weights.append(weight)
        return weight

    def add_lora(self, kernel: Weight, rank: int, alpha: int, kernel_constraint=None) -> None:
        """Keras's enable_lora: the kernel freezes and two low-rank trainable factors join it."""
        if known(kernel_constraint, "kernel_constraint") is not None:
            raise InvalidArgument("Lora is incompatible with kernel constraints. In order to enable lora on this "
                                  "layer, remove the `kernel_constraint` argument.")
        kernel.trainable = False
        self.lora_scale = alpha / rank
        self.lora_a = self.add_weight("lora_kernel_a", kernel.shape[:-1] + (rank,))
        self.lora_b = self.add_weight("lora_kernel_b", (rank, kernel.shape[-1]))

    def kernel_value(self, kernel: Weight):
        """The kernel as the forward uses it, with a LoRA update folded in when enabled."""
        if getattr(self, "lora_a", None) is None:
            return kernel.array
        return kernel.array + self.lora_scale * np.matmul(self.lora_a.array, self.lora_b.array)

    def all_weights(self) -> list[tuple["Layer", Weight]]:
        """This layer's weights and its sublayers', each with the layer that owns it."""
        found = [(self, w) for w in self.weights]
        for sub in self.sublayers:
            found.extend(sub.all_weights())
        return found

    def is_trainable(self, owner: "Layer", weight: Weight) -> bool:
        return self.trainable and owner.trainable and weight.trainable

    def inner_layers(self) -> list["Layer"]:
        """The layers Keras tracks inside this one, which `layer.trainable = ...` sets too."""
        return list(self.sublayers)

    def set_trainable(self, value: bool, seen: set[int] | None = None) -> None:
        """Keras's `trainable` setter: the layer and every layer inside it, nested models included,
        so a layer shared with another model is frozen there too."""
        seen = set() if seen is None else seen
        if id(self) in seen:
            return
        seen.add(id(self))
        self.trainable = value
        for inner in self.inner_layers():
            inner.set_trainable(value, seen)

    def weights_misfit(self, *shape_args, **shape_kwargs) -> str | None:
        """Why a built layer called again (a shared layer) cannot take this input with the weights it
        holds, or None when it can. Found by building a weightless copy on the new input; a layer with
        sublayers is left to its sublayers' own calls."""
        if not self.weights or self.sublayers:
            return None
        probe = copy.copy(self)
        probe.weights, probe.sublayers, probe.built = [], [], False
        try:
            probe.build(*shape_args, **shape_kwargs)
        except LayerError:
            raise
        except Exception:  # an unknown or named size: nothing to compare it with, as for Keras's check
            return None
        own = {weight.name: weight.shape for weight in self.weights}
        return next((f"its weights were built for another input: called on {format_shape(shape_args[0])}, "
                     f"it would need a {weight.name} of shape {weight.shape}, but its {weight.name} has shape "
                     f"{own[weight.name]}" for weight in probe.weights
                     if weight.name in own and own[weight.name] != weight.shape), None)

    def count_params(self) -> int:
        return sum(w.size for _, w in self.all_weights())

    def count_trainable(self) -> int:
        return sum(w.size for owner, w in self.all_weights() if self.is_trainable(owner, w))

    @property
    def type_name(self) -> str:
        return type(self).__name__


def one_mac_per_element(layer: Layer, input_shapes: list[Shape], output_shapes: list[Shape]) -> int | None:
    """`count_macs` of the layers that apply x * a + b element-wise at inference (normalization, PReLU)."""
    return product(output_shapes[0])


# -- argument readers: Keras's validation, with unknown values reported, never guessed ----


def known(value, what: str):
    """The value itself, or Unresolved if any part of it is unknown."""
    if isinstance(value, Unknown):
        raise Unresolved(f"`{what}` is not known statically ({value.reason})")
    if isinstance(value, (tuple, list)):
        for item in value:
            known(item, what)
    if isinstance(value, dict):  # a function's options by name: ops.reshape(x, [batch, height * 3, ...])
        for item in value.values():
            known(item, what)
    return value


def int_arg(value, what: str, minimum: int | None = None) -> int:
    value = known(value, what)
    if is_size(value):  # a number read from data, where the layer does not compute with one
        raise Unresolved(f"`{what}` is {value}, a number read from data that {what} cannot be computed with")
    if isinstance(value, bool) or not isinstance(value, int):
        if isinstance(value, float) and value.is_integer():
            value = int(value)
        else:
            raise InvalidArgument(f"`{what}` must be an integer, got {value!r}")
    if minimum is not None and value < minimum:
        raise InvalidArgument(f"`{what}` must be at least {minimum}, got {value}")
    return int(value)  # a NumPy integer the layer takes is the number in its shapes


def positive_int(value, what: str) -> int:
    return int_arg(value, what, minimum=1)


def size_arg(value, what: str, numpy_ints: bool = True):
    """A positive size argument (`units`, `filters`): an int, or a number read from data as its named size, which is
    then taken to be positive as Keras requires (the solver's sizes are at least 1). A float is rejected, 4.0 too:
    Keras checks the type (Dense, Embedding, RepeatVector) or fails making a weight of that shape (the others).
    `numpy_ints`: whether the layer takes a NumPy integer, which those checking for an int refuse."""
    if from_data(value):
        return value
    if not numpy_ints and isinstance(value, Unknown) and value.numpy_integer:
        raise InvalidArgument(f"`{what}` must be a positive integer, got a NumPy integer")
    value = known(value, what)
    if isinstance(value, bool) or not isinstance(value, int) or value <= 0 or \
            not numpy_ints and isinstance(value, NumpyInt):
        raise InvalidArgument(f"`{what}` must be a positive integer, got {value!r}")
    return int(value)  # a NumPy integer the layer takes is the number in its shapes


def float_arg(value, what: str) -> float:
    value = known(value, what)
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise InvalidArgument(f"`{what}` must be a number, got {value!r}")
    return float(value)


def int_tuple(value, n: int, what: str, minimum: int = 1, sizes: bool = False) -> tuple[int, ...]:
    """Keras's `standardize_tuple`: an int or a sequence of n ints. `sizes`: a number read from data is one, taken
    to be at least `minimum` as Keras requires (the solver's sizes are at least 1)."""
    value = known(value, what)
    if isinstance(value, NumpyInt) or isinstance(value, (tuple, list)) and any(isinstance(v, NumpyInt) for v in value):
        raise InvalidArgument(f"`{what}` must be an integer or a tuple of {n} integers (Python ints: Keras refuses a "
                              f"NumPy integer), got {value!r}")
    if isinstance(value, int) and not isinstance(value, bool) or sizes and from_data(value):
        value = (value,) * n
    if not isinstance(value, (tuple, list)) or len(value) != n:
        raise InvalidArgument(f"`{what}` must be an integer or a tuple of {n} integers, got {value!r}")
    return tuple(v if sizes and from_data(v) else int_arg(v, what, minimum) for v in value)


def choice(value, what: str, allowed: tuple[str, ...]) -> str:
    value = known(value, what)
    if isinstance(value, str) and value.lower() in allowed:
        return value.lower()
    raise InvalidArgument(f"`{what}` must be one of {', '.join(map(repr, allowed))}, got {value!r}")


def data_format_arg(value) -> str:
    """Keras's default image data format is channels_last."""
    if value is None:
        return "channels_last"
    return choice(value, "data_format", ("channels_last", "channels_first"))


def axis_arg(value, what: str = "axis"):
    value = known(value, what)
    if isinstance(value, (tuple, list)):
        return tuple(int_arg(v, what) for v in value)
    return int_arg(value, what)


def normalize_axis(axis: int, rank: int, what: str = "axis") -> int:
    if not -rank <= axis < rank:
        raise InvalidArgument(f"`{what}`={axis} is out of range for a tensor of rank {rank}")
    return axis % rank


def shape_arg(value, what: str) -> Shape:
    """A shape argument such as Input's `shape`: a tuple of positive ints or None."""
    value = known(value, what)
    if isinstance(value, int) and not isinstance(value, bool):
        value = (value,)
    if not isinstance(value, (tuple, list)):
        raise InvalidArgument(f"`{what}` must be a tuple, got {value!r}")
    return tuple(d if d is None or is_size(d) else int_arg(d, what, minimum=0) for d in value)


def activation_name(value) -> str | None:
    """The name of an activation argument ('relu', keras.activations.relu), None if unknown."""
    if value is None:
        return "linear"
    if isinstance(value, str):
        return value.lower()
    if isinstance(value, Ref):
        return value.leaf.lower()
    if isinstance(value, Layer):
        return snake_case(value.type_name)
    return None


def require_rank(shape: Shape, rank: int, layer: Layer, *, at_least: bool = False) -> None:
    ok = len(shape) >= rank if at_least else len(shape) == rank
    if not ok:
        want = f"at least {rank}" if at_least else str(rank)
        raise WrongRank(f"{layer.type_name} expects an input of rank {want}, got shape {format_shape(shape)} (rank {len(shape)})")
