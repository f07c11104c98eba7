"""Keras 1 and 2 spellings of layer arguments, and what they are called in Keras 3.

Keras 3 rejects `Dense(output_dim=10, init="uniform")`; the layer the code meant is
`Dense(units=10, kernel_initializer="uniform")`. Reading a call the way Keras 1/2 read it lets
the analysis report the error and still build the layer, so the shapes, parameters and the
rules after it come out.
"""

from __future__ import annotations

import inspect
from dataclasses import dataclass, field

# Old keyword -> the Keras 3 keywords it may have become, the first one the layer takes wins.
RENAMED = {
    "output_dim": ("units",),
    "init": ("kernel_initializer", "embeddings_initializer", "depthwise_initializer"),
    "inner_init": ("recurrent_initializer",),
    "inner_activation": ("recurrent_activation",),
    "W_regularizer": ("kernel_regularizer", "embeddings_regularizer", "depthwise_regularizer"),
    "U_regularizer": ("recurrent_regularizer",),
    "b_regularizer": ("bias_regularizer",),
    "W_constraint": ("kernel_constraint", "embeddings_constraint", "depthwise_constraint"),
    "U_constraint": ("recurrent_constraint",),
    "b_constraint": ("bias_constraint",),
    "bias": ("use_bias",),
    "dropout_W": ("dropout",),
    "dropout_U": ("recurrent_dropout",),
    "nb_filter": ("filters",),
    "filter_length": ("kernel_size",),
    "border_mode": ("padding",),
    "subsample": ("strides",),
    "subsample_length": ("strides",),
    "pool_length": ("pool_size",),
    "stride": ("strides",),
    "atrous_rate": ("dilation_rate",),
    "dim_ordering": ("data_format",),
    "p": ("rate",),
    "sigma": ("stddev",),
    "length": ("size",),
    "beta_init": ("beta_initializer",),
    "gamma_init": ("gamma_initializer",),
    "alpha_init": ("alpha_initializer",),
    "input_dtype": ("dtype",),
}
DIM_ORDERING = {"tf": "channels_last", "th": "channels_first"}
# Keras 1/2 arguments that change no shape and that Keras 3 has no place for.
DROPPED = {
    "mode": "BatchNormalization has one mode in Keras 3",
    "weights": "set initial weights with layer.set_weights() after building",
    "consume_less": "Keras 3 chooses the implementation",
    "forget_bias_init": "Keras 3 sets the forget bias with unit_forget_bias=True",
    "input_length": "the input shape gives the sequence length",
    "dropout": "Keras 1's Embedding dropout: a SpatialDropout1D after the layer",
}
# Keyword spellings only Keras 1 used: a call with one of them reads its positionals the Keras 1 way.
KERAS1_ONLY = {"nb_filter", "nb_row", "nb_col", "border_mode", "subsample", "subsample_length", "init", "dim_ordering",
               "W_regularizer", "b_regularizer", "W_constraint", "b_constraint", "bias", "atrous_rate", "filter_length",
               "kernel_dim1", "kernel_dim2", "kernel_dim3"}
# Keras 1 convolutions took the kernel's sides as separate positionals: Convolution2D(32, 3, 3).
# Keras 2 defaults that Keras 3 dropped: the argument is required now.
KERAS2_DEFAULTS = {"AveragePooling1D": ("pool_size", 2), "AveragePooling2D": ("pool_size", (2, 2)),
                   "AveragePooling3D": ("pool_size", (2, 2, 2))}
KERNEL_SIDES = {"Conv2D": ("nb_row", "nb_col"), "SeparableConv2D": ("nb_row", "nb_col"),
                "Conv2DTranspose": ("nb_row", "nb_col"), "Conv3D": ("kernel_dim1", "kernel_dim2", "kernel_dim3")}


# Keras 1's merge(inputs, mode=...) function: the Keras 3 merge layer of each mode, and its options' new names.
MERGE_MODES = {"sum": "Add", "mul": "Multiply", "ave": "Average", "max": "Maximum", "concat": "Concatenate",
               "dot": "Dot", "cos": "Dot"}
MERGE_OPTIONS = {"concat_axis": "axis", "dot_axes": "axes", "name": "name"}


def keras1_merge(kwargs: dict) -> tuple[str, dict] | None:
    """merge([a, b], mode="concat", concat_axis=1) -> ("Concatenate", {"axis": 1}); None for a mode not known."""
    mode = kwargs.get("mode", "sum")
    if not isinstance(mode, str) or mode not in MERGE_MODES:
        return None
    options = {MERGE_OPTIONS[key]: value for key, value in kwargs.items() if key in MERGE_OPTIONS}
    if mode == "cos":
        options["normalize"] = True
    if MERGE_MODES[mode] == "Dot":
        options.setdefault("axes", -1)
    return MERGE_MODES[mode], options


@dataclass
class Respelt:
    args: list
    kwargs: dict
    changes: list[str] = field(default_factory=list)  # each old spelling with its Keras 3 one
    batch_size: object = None  # the batch axis of a first layer's batch_input_shape


def keras3_arguments(cls: type, args, kwargs) -> Respelt | None:
    """The call's arguments as Keras 3 spells what they meant, or None when no Keras 1/2 spelling is in them."""
    takes = _parameters(cls)
    result = Respelt(list(args), {})
    kwargs = dict(kwargs)
    sides = KERNEL_SIDES.get(cls.__name__, ())
    if sides and (KERAS1_ONLY & set(kwargs)):
        _kernel_sides(result, kwargs, sides)
    if cls.__name__ in KERAS2_DEFAULTS and not result.args:
        key, default = KERAS2_DEFAULTS[cls.__name__]
        if key not in kwargs:
            kwargs = {key: default, **kwargs}
            result.changes.append(f"{key} has no default: Keras 2's was {default!r}")
    for key, value in kwargs.items():
        if key == "name" and isinstance(value, str) and "/" in value:
            result.kwargs[key] = value.replace("/", "_")
            result.changes.append(f"a name cannot hold '/': {value!r} is read as {result.kwargs[key]!r}")
        elif key in takes:
            result.kwargs[key] = value
        elif key == "batch_input_shape" and isinstance(value, (tuple, list)) and value:
            result.kwargs["input_shape"] = tuple(value[1:])
            result.batch_size = value[0]
            result.changes.append(f"batch_input_shape={_show(value)} is keras.Input(batch_shape={_show(value)}) "
                                  f"before the layer")
        elif key in RENAMED and any(new in takes for new in RENAMED[key]):
            new = next(new for new in RENAMED[key] if new in takes)
            if key == "dim_ordering":
                value = DIM_ORDERING.get(value, None) if isinstance(value, str) else value
            result.kwargs[new] = value
            result.changes.append(f"{key}= is {new}=" + (f"{_show(value)}" if key == "dim_ordering" else ""))
        elif key in DROPPED:
            result.changes.append(f"{key}= is gone ({DROPPED[key]})")
        else:
            result.kwargs[key] = value  # no known spelling: Keras 3's error stands
    return result if result.changes else None


def _kernel_sides(result: Respelt, kwargs: dict, sides: tuple[str, ...]) -> None:
    """Convolution2D(nb_filter, nb_row, nb_col, ...) -> Conv2D(filters, (nb_row, nb_col), ...)."""
    positional = result.args[1:1 + len(sides)]
    named = [kwargs.pop(side) for side in sides[len(positional):] if side in kwargs]
    kernel = positional + named
    if len(kernel) != len(sides):
        return
    before = ", ".join(_show(v) for v in result.args[:1 + len(positional)])
    if result.args:
        result.args[1:1 + len(positional)] = [tuple(kernel)]
    else:
        kwargs["kernel_size"] = tuple(kernel)
    if named:
        result.changes.append(f"{', '.join(side + '=' for side in sides)} are kernel_size={_show(tuple(kernel))}")
    else:
        result.changes.append(f"the positionals ({before}) are filters and kernel_size={_show(tuple(kernel))}, "
                              f"as Keras 1 read them")


def _parameters(cls: type) -> set[str]:
    """The keywords the layer takes: its own constructor's and those of the classes it passes **kwargs on to."""
    names: set[str] = set()
    for klass in cls.__mro__:
        init = klass.__dict__.get("__init__")
        if init is not None:
            names |= {p.name for p in inspect.signature(init).parameters.values()
                      if p.kind not in (p.VAR_KEYWORD, p.VAR_POSITIONAL)}
    return names - {"self"}


def _show(value) -> str:
    return repr(tuple(value)) if isinstance(value, list) else repr(value)
