"""Tensor functions of keras.ops (and their TensorFlow names): shape rule and NumPy forward together.

In a functional model they are graph nodes that Keras does not list in model.layers.
"""

from __future__ import annotations

import math

from archlint import dims
from archlint.dims import Dim, product
from archlint.errors import IncompatibleShapes, InvalidArgument, ReshapeMismatch, Unresolved
from archlint.kernels import activations
from archlint import sizes
from archlint.layers.base import Layer, known, normalize_axis, np


class TensorFunction(Layer):
    """One call of a tensor function: its name, its non-tensor arguments, and how to run it."""

    def __init__(self, op: "Op", options: dict, constants: dict):
        super().__init__()
        self.op = op
        self.options = options
        self.constants = constants  # numbers passed where a tensor goes, by operand position

    @property
    def type_name(self) -> str:
        return self.op.name

    @property
    def named_sizes(self) -> bool:
        """Element-wise functions compute with named sizes (the shape kept, or broadcast as a merge checks it)."""
        return self.op.shape in (same_shape, _broadcast)

    def operands(self, values, scalar):
        values = list(values)
        for index in sorted(self.constants):
            values.insert(index, scalar(self.constants[index]))
        return [values] if self.op.tensor_args == 0 else values

    def compute_output_shape(self, *shapes, **kwargs):
        return self.op.shape(*self.operands(shapes, lambda value: ()), **self.options)

    def forward(self, *arrays, **kwargs):
        operands = self.operands(arrays, lambda value: np.float32(value))
        return np.asarray(self.op.forward(*operands, **self.options), dtype=np.float32)


class Op:
    def __init__(self, name, shape, forward, tensor_args=1, options=()):
        self.name = name
        self.shape = shape
        self.forward = forward
        self.tensor_args = tensor_args  # how many leading positional arguments are tensors (0: a list of them)
        self.options = options  # names of the other arguments, in positional order


def same_shape(shape, **options):
    return shape


def _broadcast(a, b, **options):
    if not (dims.has_sizes(a) or dims.has_sizes(b)):
        return dims.broadcast(a, b)
    # Sizes that differ as written: equal at run time, or one of them 1 (a condition on the sizes).
    rank = max(len(a), len(b))
    a, b = (1,) * (rank - len(a)) + tuple(a), (1,) * (rank - len(b)) + tuple(b)
    out = []
    for x, y in zip(a, b):
        if x == 1 or x == y:
            out.append(y)
        elif y == 1:
            out.append(x)
        elif x is None or y is None:
            out.append(x if y is None else y)
        else:
            merged = sizes.merged_size(x, y, lambda: f"shapes {dims.format_shape(a)} and {dims.format_shape(b)} "
                                       "cannot be broadcast together")
            if merged is None:  # an input's axis, None to Keras, broadcast with a number read from data: the number
                merged = y if dims.from_data(y) else x if dims.from_data(x) else None
            out.append(merged)
    return tuple(out)


def _axes(axis, rank):
    if axis is None:
        return tuple(range(rank))
    axis = axis if isinstance(axis, (tuple, list)) else (axis,)
    return tuple(normalize_axis(a, rank) for a in axis)


def _reduce(shape, axis=None, keepdims=False):
    axes = _axes(axis, len(shape))
    if keepdims:
        return tuple(1 if i in axes else d for i, d in enumerate(shape))
    return tuple(d for i, d in enumerate(shape) if i not in axes)


def _reshape(shape, newshape=None):
    newshape = tuple(newshape)
    if sum(d == -1 for d in newshape) > 1:
        raise InvalidArgument("reshape: at most one -1")
    total, known = product(shape), product(d for d in newshape if d != -1)
    if -1 in newshape:
        if total is None or known is None:
            return tuple(None if d == -1 else d for d in newshape)
        if known == 0 or total % known:
            raise ReshapeMismatch(f"cannot reshape {dims.format_shape(shape)} into {newshape}")
        return tuple(total // known if d == -1 else d for d in newshape)
    if total is not None and known is not None and total != known:
        raise ReshapeMismatch(f"cannot reshape {dims.format_shape(shape)} ({total} values) into {newshape} ({known})")
    return newshape


def traced_reshape(shape, newshape):
    """reshape(x, (batch, -1, 12)) inside a custom layer's call(), batch read from x's run-time shape (None here).
    Keras traces call() with one symbol d for every run-time axis, so -1 is (d^a * the other input sizes) over
    (d^b * the other target sizes): a number when a == b, None (a multiple of d) when a > b."""
    if not all(d is None or isinstance(d, int) and not isinstance(d, bool) for d in (*shape, *newshape)) or \
            sum(d == -1 for d in newshape if d is not None) != 1:
        raise Unresolved("reshape() inside call() to a shape read at run time is not modelled here")
    run_time_in, run_time_out = sum(d is None for d in shape), sum(d is None for d in newshape)
    given = product(d for d in shape if d is not None)
    wanted = product(d for d in newshape if d is not None and d != -1)
    if run_time_in > run_time_out:
        missing = None
    elif run_time_in < run_time_out or wanted == 0 or given % wanted:
        raise ReshapeMismatch(f"cannot reshape {dims.format_shape(shape)} into {newshape}")
    else:
        missing = given // wanted
    return tuple(missing if d == -1 else d for d in newshape)


def _transpose(shape, axes=None):
    axes = tuple(reversed(range(len(shape)))) if axes is None else tuple(normalize_axis(a, len(shape)) for a in axes)
    return tuple(shape[a] for a in axes)


def _pad_widths(pad_width, rank: int) -> list[tuple[int, int]]:
    """keras.ops.pad's pad_width (tf.pad's paddings) as (before, after) per axis: an int pads every axis both
    sides, ((before, after),) every axis alike, else one pair per axis ((pad,), which JAX refuses, is not taken)."""
    def width(value) -> int:
        if isinstance(value, bool) or not isinstance(value, int) or value < 0:
            raise Unresolved(f"pad(): pad width {value!r} is not a known non-negative int")
        return value

    if isinstance(pad_width, int):
        return [(width(pad_width),) * 2] * rank
    if not isinstance(pad_width, (list, tuple)) or not pad_width:
        raise Unresolved(f"pad(): pad width {pad_width!r} not known statically")
    pairs = [tuple(pair) if isinstance(pair, (list, tuple)) else pair for pair in pad_width]
    if not all(isinstance(pair, tuple) and len(pair) == 2 for pair in pairs):
        raise Unresolved(f"pad(): pad width {pad_width!r} not known statically")
    if len(pairs) == 1:
        pairs = pairs * rank
    if len(pairs) != rank:
        raise InvalidArgument(f"pad(): {len(pairs)} (before, after) pairs for a tensor of rank {rank}")
    return [(width(before), width(after)) for before, after in pairs]


def _pad(shape, pad_width=None, mode="constant", constant_values=None):
    return tuple(None if d is None else d + before + after for d, (before, after) in zip(shape, _pad_widths(pad_width, len(shape))))


def _pad_forward(x, pad_width=None, mode="constant", constant_values=None):
    mode = mode.lower()
    extra = {"constant_values": constant_values or 0} if mode == "constant" else {}
    return np.pad(x, _pad_widths(pad_width, x.ndim), mode=mode, **extra).astype(np.float32)


def _expand_dims(shape, axis=None):
    axis = normalize_axis(axis, len(shape) + 1)
    return shape[:axis] + (1,) + shape[axis:]


def _squeeze(shape, axis=None):
    if axis is None:
        if None in shape:
            raise Unresolved("squeeze() of a tensor with unknown dimensions")
        return tuple(d for d in shape if d != 1)
    axes = _axes(axis, len(shape))
    for a in axes:
        if shape[a] not in (1, None):
            raise InvalidArgument(f"squeeze: axis {a} has size {shape[a]}, not 1")
    return tuple(d for i, d in enumerate(shape) if i not in axes)


def _concatenate(shapes, axis=0):
    rank = len(shapes[0])
    axis = normalize_axis(axis, rank)
    out = list(shapes[0])
    for shape in shapes[1:]:
        if len(shape) != rank:
            raise IncompatibleShapes(f"concatenate: ranks differ, {[dims.format_shape(s) for s in shapes]}")
        for i, (a, b) in enumerate(zip(out, shape)):
            if i == axis:
                out[i] = dims.add(a, b)
            elif a is not None and b is not None and a != b:
                raise IncompatibleShapes(f"concatenate on axis {axis}: {[dims.format_shape(s) for s in shapes]}")
            elif a is None:
                out[i] = b
    return tuple(out)


def _stack(shapes, axis=0):
    rank = len(shapes[0]) + 1
    axis = normalize_axis(axis, rank)
    if any(s != shapes[0] for s in shapes):
        raise IncompatibleShapes(f"stack: shapes differ, {[dims.format_shape(s) for s in shapes]}")
    return shapes[0][:axis] + (len(shapes),) + shapes[0][axis:]


def _matmul(a, b, transpose_a=False, transpose_b=False, adjoint_a=False, adjoint_b=False):
    if len(a) < 1 or len(b) < 1:
        raise InvalidArgument("matmul of a scalar")
    if len(a) == 1 or len(b) == 1:
        raise Unresolved("matmul with a rank-1 operand is not modelled")
    # tf.matmul's transpose_* and adjoint_* flags swap an operand's last two axes.
    if known(transpose_a, "transpose_a") or known(adjoint_a, "adjoint_a"):
        a = a[:-2] + (a[-1], a[-2])
    if known(transpose_b, "transpose_b") or known(adjoint_b, "adjoint_b"):
        b = b[:-2] + (b[-1], b[-2])
    if a[-1] is not None and b[-2] is not None and a[-1] != b[-2]:
        raise IncompatibleShapes(f"matmul: {dims.format_shape(a)} @ {dims.format_shape(b)}")
    return dims.broadcast(a[:-2], b[:-2]) + (a[-2], b[-1])


def _range_length(start, stop, step) -> Dim:
    """len(range(start, stop, step)) for numbers; None where a bound is a length known only at run time."""
    if start is None or stop is None:
        return None
    if step == 0:
        raise InvalidArgument("arange: step must not be zero")
    return max(0, math.ceil((stop - start) / step))
def _depth_to_space_shape(shape, block_size=None, data_format="NHWC"):
    """tf.nn.depth_to_space: channels regrouped into block_size x block_size blocks of pixels."""
    if data_format != "NHWC" or len(shape) != 4:
        raise Unresolved("depth_to_space() other than on NHWC images of rank 4 is not modelled")
    if not isinstance(block_size, int) or isinstance(block_size, bool) or block_size < 2:
        raise Unresolved(f"depth_to_space() block_size={block_size!r} is not modelled")
    batch, height, width, channels = shape
    cells = block_size * block_size
    if channels is not None and channels % cells:
        raise Unresolved(f"depth_to_space(): {channels} channels do not split into blocks of {cells}")
    scale = lambda d: None if d is None else d * block_size  # noqa: E731
    return batch, scale(height), scale(width), None if channels is None else channels // cells


def _depth_to_space(x, block_size=None, data_format="NHWC"):
    batch, height, width, channels = x.shape
    blocks = x.reshape(batch, height, width, block_size, block_size, channels // block_size ** 2)
    # TensorFlow's order: the channel index is (row in block, column in block, output channel).
    return blocks.transpose(0, 1, 3, 2, 4, 5).reshape(batch, height * block_size, width * block_size, -1)


def _l2_only(shape, order):
    if order != 2:
        raise Unresolved(f"normalize(order={order!r}) is not modelled")
    return shape


def _l2_normalize(x, axis=-1, order=2, epsilon=None):
    """keras.ops.normalize's L2 case: x times the reciprocal norm, that reciprocal capped at 1 / epsilon."""
    with np.errstate(divide="ignore"):
        inverse_norm = 1 / np.sqrt(np.sum(np.square(x), axis=axis, keepdims=True))
    return x * np.minimum(inverse_norm, 1 / (epsilon or 1e-7))




def _index_shape(shape, key=None):
    """Shape after NumPy basic indexing with ints, slices, None and Ellipsis."""
    key = key if isinstance(key, tuple) else (key,)
    if any(isinstance(k, bool) or not (k is None or k is Ellipsis or isinstance(k, (int, slice))) for k in key):
        raise Unresolved("tensor indexing other than ints, slices, None and ... is not modelled")
    if sum(k is Ellipsis for k in key) > 1:
        raise InvalidArgument("an index can only have a single ellipsis")
    consumed = sum(1 for k in key if k is not None and k is not Ellipsis)
    if consumed > len(shape):
        raise InvalidArgument(f"too many indices for a tensor of rank {len(shape)}")
    if Ellipsis in key:
        at = key.index(Ellipsis)
        key = key[:at] + (slice(None),) * (len(shape) - consumed) + key[at + 1:]
    else:
        key = key + (slice(None),) * (len(shape) - consumed)
    out, axis = [], 0
    for k in key:
        if k is None:
            out.append(1)
            continue
        size = shape[axis]
        axis += 1
        if isinstance(k, int) and size is not None and not -size <= k < size:
            raise InvalidArgument(f"index {k} is out of bounds for an axis of size {size}")
        if isinstance(k, slice):
            out.append(None if size is None else len(range(*k.indices(size))))
    return tuple(out)


def _pair(value, what):
    value = (value, value) if isinstance(value, int) else tuple(value)
    if len(value) != 2 or not all(isinstance(v, int) and not isinstance(v, bool) and v > 0 for v in value):
        raise Unresolved(f"{what}={value!r}: only 2D patches with positive sizes are modelled")
    return value


def _patch_geometry(shape, size, strides=None, dilation_rate=1, padding="valid", data_format=None):
    """keras.ops.image.extract_patches is a convolution with a one-hot kernel: the same output size."""
    if data_format not in (None, "channels_last") or len(shape) not in (3, 4):
        raise Unresolved("extract_patches() of other than channels_last images of rank 3 or 4 is not modelled")
    size = _pair(size, "size")
    strides = _pair(strides or size, "strides")
    rates = _pair(dilation_rate, "dilation_rate")
    padding = str(padding).lower()
    if padding not in ("valid", "same"):
        raise InvalidArgument(f"extract_patches: padding must be 'valid' or 'same', got {padding!r}")
    spatial = []
    for extent, k, s, r in zip(shape[-3:-1], size, strides, rates):
        span = (k - 1) * r + 1
        spatial.append(None if extent is None else -(-extent // s) if padding == "same" else
                       max(0, (extent - span) // s + 1))
    channels = None if shape[-1] is None else size[0] * size[1] * shape[-1]
    return size, strides, rates, padding, (*shape[:-3], *spatial, channels)


def _extract_patches_shape(shape, **options):
    return _patch_geometry(shape, **options)[-1]


def _extract_patches(x, **options):
    size, strides, rates, padding, out = _patch_geometry(x.shape, **options)
    images = x if x.ndim == 4 else x[None]
    if padding == "same":
        pads = [max((o - 1) * s + (k - 1) * r + 1 - n, 0)
                for o, s, k, r, n in zip(out[-3:-1], strides, size, rates, images.shape[1:3])]
        images = np.pad(images, ((0, 0), (pads[0] // 2, pads[0] - pads[0] // 2),
                                 (pads[1] // 2, pads[1] - pads[1] // 2), (0, 0)))
    rows, cols = out[-3:-1]
    patches = np.empty((images.shape[0], rows, cols, size[0], size[1], images.shape[3]), dtype=np.float32)
    for i in range(size[0]):
        for j in range(size[1]):
            top, left = i * rates[0], j * rates[1]
            patches[:, :, :, i, j] = images[:, top:top + (rows - 1) * strides[0] + 1:strides[0],
                                            left:left + (cols - 1) * strides[1] + 1:strides[1]]
    patches = patches.reshape(patches.shape[:3] + (-1,))  # each patch flattened as (row, column, channel)
    return patches if x.ndim == 4 else patches[0]


def _tf_patch_options(sizes=None, strides=None, rates=None, padding="VALID"):
    """tf.image.extract_patches's [1, rows, cols, 1] lists as keras.ops.image.extract_patches arguments."""
    four = lambda v, what: tuple(v)[1:3] if isinstance(v, (list, tuple)) and len(v) == 4 else _pair(v, what)  # noqa: E731
    return {"size": four(sizes, "sizes"), "strides": four(strides, "strides"),
            "dilation_rate": four(rates or (1, 1, 1, 1), "rates"), "padding": padding}


def _resized_shape(shape, size=None, interpolation="bilinear", antialias=False, data_format=None, **options):
    if data_format not in (None, "channels_last") or len(shape) not in (3, 4):
        raise Unresolved("image.resize() of other than channels_last images of rank 3 or 4 is not modelled")
    if set(options) - {"crop_to_aspect_ratio", "pad_to_aspect_ratio", "fill_mode", "fill_value", "method"}:
        raise Unresolved(f"image.resize() options {sorted(options)} are not modelled")
    size = tuple(size) if isinstance(size, (tuple, list)) else size
    if not (isinstance(size, tuple) and len(size) == 2 and all(isinstance(d, int) and d > 0 for d in size)):
        raise Unresolved(f"image.resize() size={size!r} is not modelled")
    return (*shape[:-3], *size, shape[-1])


def _resize(x, size=None, interpolation="bilinear", antialias=False, data_format=None, **options):
    from archlint.layers.preprocessing import crop_to_aspect_ratio, pad_to_aspect_ratio, resize
    images = x if x.ndim == 4 else x[None]
    if options.get("crop_to_aspect_ratio"):
        images = crop_to_aspect_ratio(images, *size)
    elif options.get("pad_to_aspect_ratio"):
        images = pad_to_aspect_ratio(images, *size, float(options.get("fill_value", 0.0)))
    resized = resize(images, size[0], size[1], options.get("method", interpolation), antialias)
    return resized if x.ndim == 4 else resized[0]


def _np_reduce(fn):
    return lambda x, axis=None, keepdims=False: fn(x, axis=None if axis is None else tuple(axis) if isinstance(axis, list) else axis, keepdims=keepdims)


def _activation(name):
    return Op(name, same_shape, lambda x: activations.apply(name, x))


_UNARY = {
    "exp": lambda x: np.exp(x), "log": lambda x: np.log(x), "sqrt": lambda x: np.sqrt(x), "abs": lambda x: np.abs(x),
    "square": lambda x: np.square(x), "negative": lambda x: np.negative(x), "sign": lambda x: np.sign(x),
    "floor": lambda x: np.floor(x), "ceil": lambda x: np.ceil(x), "round": lambda x: np.round(x),
    "stop_gradient": lambda x: x, "identity": lambda x: x, "rsqrt": lambda x: 1 / np.sqrt(x),
    "sin": lambda x: np.sin(x), "cos": lambda x: np.cos(x), "tan": lambda x: np.tan(x),
    "log1p": lambda x: np.log1p(x), "expm1": lambda x: np.expm1(x), "reciprocal": lambda x: 1 / x,
}
_BINARY = {
    "add": lambda a, b: np.add(a, b), "subtract": lambda a, b: np.subtract(a, b),
    "multiply": lambda a, b: np.multiply(a, b), "divide": lambda a, b: np.divide(a, b),
    "true_divide": lambda a, b: np.divide(a, b), "maximum": lambda a, b: np.maximum(a, b),
    "minimum": lambda a, b: np.minimum(a, b), "power": lambda a, b: np.power(a, b),
    "floor_divide": lambda a, b: np.floor_divide(a, b), "mod": lambda a, b: np.mod(a, b),
}
_COMPARISONS = {
    "greater": lambda a, b: np.greater(a, b), "greater_equal": lambda a, b: np.greater_equal(a, b),
    "less": lambda a, b: np.less(a, b), "less_equal": lambda a, b: np.less_equal(a, b),
    "equal": lambda a, b: np.equal(a, b), "not_equal": lambda a, b: np.not_equal(a, b),
}
_REDUCE = {
    "mean": lambda: np.mean, "sum": lambda: np.sum, "max": lambda: np.max, "min": lambda: np.min,
    "prod": lambda: np.prod, "std": lambda: np.std, "var": lambda: np.var,
}

OPS: dict[str, Op] = {}
for _name, _fn in _UNARY.items():
    OPS[_name] = Op(_name, same_shape, _fn)
for _name in ("relu", "relu6", "sigmoid", "tanh", "silu", "swish", "softplus", "softsign", "elu", "selu",
              "hard_sigmoid", "mish", "linear", "exponential", "hard_silu", "hard_swish", "leaky_relu"):
    OPS[_name] = _activation(_name)
for _name, _fn in _BINARY.items():
    OPS[_name] = Op(_name, _broadcast, _fn, tensor_args=2)
for _name, _fn in _COMPARISONS.items():  # a tensor of booleans, which the NumPy forward holds as 0.0 and 1.0
    OPS[_name] = Op(_name, _broadcast, _fn, tensor_args=2)
OPS["logical_not"] = Op("logical_not", same_shape, lambda x: np.logical_not(x))
OPS["ones_like"] = Op("ones_like", same_shape, lambda x, dtype=None: np.ones_like(x), options=("dtype",))
OPS["zeros_like"] = Op("zeros_like", same_shape, lambda x, dtype=None: np.zeros_like(x), options=("dtype",))
for _name, _fn in (("cumsum", lambda: np.cumsum), ("cumprod", lambda: np.cumprod)):
    # Without an axis the tensor is flattened first.
    OPS[_name] = Op(_name, lambda shape, axis=None, dtype=None: shape if axis is not None else (product(shape),),
                    lambda x, axis=None, dtype=None, _fn=_fn: _fn()(x, axis=axis), options=("axis", "dtype"))
for _name, _get in _REDUCE.items():
    OPS[_name] = Op(_name, _reduce, lambda x, axis=None, keepdims=False, _get=_get: _np_reduce(_get())(x, axis, keepdims),
                    options=("axis", "keepdims"))
OPS["softmax"] = Op("softmax", same_shape, lambda x, axis=-1: activations.FUNCTIONS["softmax"](x, axis), options=("axis",))
# keras.ops.gelu approximates by default; keras.activations.gelu and tf.nn.gelu do not.
OPS["gelu"] = Op("gelu", same_shape, lambda x, approximate=True: (activations.gelu_tanh if approximate else
                                                              activations.FUNCTIONS["gelu"])(x).astype(np.float32),
                 options=("approximate",))
OPS["activations.gelu"] = Op("gelu", same_shape, lambda x, approximate=False: OPS["gelu"].forward(x, approximate),
                             options=("approximate",))
OPS["pad"] = Op("pad", _pad, _pad_forward, options=("pad_width", "mode", "constant_values"))
OPS["cast"] = Op("cast", same_shape, lambda x, dtype=None: x, options=("dtype",))
# Of a tensor (a layer's weight read in its call()), the same tensor; of other values, not a tensor archlint follows.
OPS["convert_to_tensor"] = Op("convert_to_tensor", same_shape, lambda x, dtype=None, sparse=None, ragged=None: x,
                              options=("dtype", "sparse", "ragged"))
OPS["reshape"] = Op("reshape", _reshape, lambda x, newshape=None: x.reshape(newshape), options=("newshape",))
OPS["transpose"] = Op("transpose", _transpose, lambda x, axes=None: np.transpose(x, axes), options=("axes",))
OPS["expand_dims"] = Op("expand_dims", _expand_dims, lambda x, axis=None: np.expand_dims(x, axis), options=("axis",))
OPS["squeeze"] = Op("squeeze", _squeeze, lambda x, axis=None: np.squeeze(x, axis), options=("axis",))
OPS["concatenate"] = Op("concatenate", _concatenate, lambda xs, axis=0: np.concatenate(xs, axis), tensor_args=0,
                        options=("axis",))
OPS["stack"] = Op("stack", _stack, lambda xs, axis=0: np.stack(xs, axis), tensor_args=0, options=("axis",))
OPS["matmul"] = Op("matmul", _matmul, lambda a, b, transpose_a=False, transpose_b=False, adjoint_a=False, adjoint_b=False:
                   np.matmul(np.swapaxes(a, -1, -2) if transpose_a or adjoint_a else a,
                             np.swapaxes(b, -1, -2) if transpose_b or adjoint_b else b),
                   tensor_args=2, options=("transpose_a", "transpose_b", "adjoint_a", "adjoint_b"))
OPS["arange"] = Op("arange", lambda shapes, start=0, stop=None, step=1: (_range_length(start, stop, step),),
                   lambda xs, start=0, stop=None, step=1: np.arange(start, stop, step), tensor_args=0,
                   options=("start", "stop", "step"))
OPS["linspace"] = Op("linspace", lambda shapes, start=0.0, stop=1.0, num=50: (num,),
                     lambda xs, start=0.0, stop=1.0, num=50: np.linspace(start, stop, num), tensor_args=0,
                     options=("start", "stop", "num"))
OPS["normalize"] = Op("normalize", lambda shape, axis=-1, order=2, epsilon=None: _l2_only(shape, order),
                      _l2_normalize, options=("axis", "order", "epsilon"))
OPS["tf.nn.l2_normalize"] = Op("l2_normalize", same_shape, lambda x, axis=None, epsilon=1e-12: x / np.sqrt(
    np.maximum(np.sum(np.square(x), axis=axis, keepdims=True), epsilon)), options=("axis", "epsilon"))
OPS["tf.nn.depth_to_space"] = Op("depth_to_space", _depth_to_space_shape, _depth_to_space,
                                 options=("block_size", "data_format"))
OPS["get_item"] = Op("get_item", _index_shape, lambda x, key=None: x[key], options=("key",))
_PATCH_OPTIONS = ("size", "strides", "dilation_rate", "padding", "data_format")
OPS["image.extract_patches"] = Op("extract_patches", _extract_patches_shape, _extract_patches, options=_PATCH_OPTIONS)
OPS["tf.image.extract_patches"] = Op(
    "extract_patches", lambda shape, **tf: _extract_patches_shape(shape, **_tf_patch_options(**tf)),
    lambda x, **tf: _extract_patches(x, **_tf_patch_options(**tf)), options=("sizes", "strides", "rates", "padding"))
_RESIZE_OPTIONS = ("size", "interpolation", "antialias", "crop_to_aspect_ratio", "pad_to_aspect_ratio", "fill_mode",
                   "fill_value", "data_format")
OPS["image.resize"] = Op("resize", _resized_shape, _resize, options=_RESIZE_OPTIONS)
OPS["tf.image.resize"] = Op("resize", _resized_shape, _resize, options=("size", "method", "preserve_aspect_ratio",
                                                                       "antialias"))

# Python operators on tensors are these functions in Keras (`x + y` is keras.ops.add).
OPERATORS = {"Add": "add", "Subtract": "subtract", "Multiply": "multiply", "Divide": "true_divide",
             "FloorDivide": "floor_divide", "Modulo": "mod", "Power": "power", "MatrixMultiply": "matmul",
             # Comparisons too, except `==`: a KerasTensor compares by identity there.
             "LessThan": "less", "LessThanEqual": "less_equal", "GreaterThan": "greater",
             "GreaterThanEqual": "greater_equal", "NotEqual": "not_equal"}

# TensorFlow's names for the same functions, and their argument names.
_TF_NAMES = {
    "reduce_mean": "mean", "reduce_sum": "sum", "reduce_max": "max", "reduce_min": "min", "reduce_prod": "prod",
    "concat": "concatenate", "math.reduce_mean": "mean", "math.reduce_sum": "sum", "math.add": "add",
    "math.multiply": "multiply", "math.subtract": "subtract", "math.divide": "divide", "math.exp": "exp",
    "math.sqrt": "sqrt", "math.square": "square", "math.abs": "abs", "math.sigmoid": "sigmoid", "math.tanh": "tanh",
    "nn.relu": "relu", "nn.relu6": "relu6", "nn.sigmoid": "sigmoid", "nn.softmax": "softmax", "nn.gelu": "activations.gelu",
    "nn.silu": "silu", "nn.swish": "swish", "nn.tanh": "tanh",
    "math.greater": "greater", "math.greater_equal": "greater_equal", "math.less": "less",
    "math.less_equal": "less_equal", "math.equal": "equal", "math.not_equal": "not_equal",
    "math.logical_not": "logical_not", "math.sin": "sin", "math.cos": "cos", "math.tan": "tan",
    "math.log": "log", "math.log1p": "log1p", "math.expm1": "expm1", "math.reciprocal": "reciprocal",
    "image.extract_patches": "tf.image.extract_patches", "image.resize": "tf.image.resize",
    "nn.depth_to_space": "tf.nn.depth_to_space",
    "nn.l2_normalize": "tf.nn.l2_normalize", "math.l2_normalize": "tf.nn.l2_normalize",
}
_TF_ARGUMENTS = {"shape": "newshape", "perm": "axes", "keepdims": "keepdims", "values": None, "paddings": "pad_width"}


# tf.keras.backend's tensor functions (Keras 2's `K.sum(x, axis=-1)`): keras.ops functions, except that
# concatenate and expand_dims default to the last axis.
_BACKEND_NAMES = {name: name for name in ("sum", "mean", "max", "min", "prod", "std", "var", "sqrt", "square", "exp",
                                          "log", "abs", "sign", "maximum", "minimum", "sigmoid", "tanh", "relu",
                                          "softmax", "reshape", "squeeze", "stack", "cast", "round")}
_BACKEND_NAMES.update({"pow": "power", "concatenate": "backend.concatenate", "expand_dims": "backend.expand_dims",
                       "permute_dimensions": "transpose"})
OPS["backend.concatenate"] = Op("concatenate", lambda shapes, axis=-1: _concatenate(shapes, axis),
                                lambda xs, axis=-1: np.concatenate(xs, axis), tensor_args=0, options=("axis",))
OPS["backend.expand_dims"] = Op("expand_dims", lambda shape, axis=-1: _expand_dims(shape, axis),
                                lambda x, axis=-1: np.expand_dims(x, axis), options=("axis",))

# NumPy functions that are keras.ops functions of the same name and arguments, on arrays (a data set's).
_NUMPY_ARRAY_FUNCTIONS = {"expand_dims", "reshape", "squeeze", "transpose", "concatenate", "stack"}


def lookup(qualname: str) -> Op | None:
    """The tensor function a canonical name refers to: keras.ops.X, keras.ops.nn.X, tensorflow.X, ..."""
    if qualname == "keras.activations.gelu":
        return OPS["activations.gelu"]
    for prefix in ("keras.ops.nn.", "keras.ops.numpy.", "keras.ops.math.", "keras.ops.", "keras.activations."):
        if qualname.startswith(prefix):
            return OPS.get(qualname[len(prefix):])
    if qualname.startswith("keras.backend."):
        return OPS.get(_BACKEND_NAMES.get(qualname[len("keras.backend."):], ""))
    if qualname.startswith("numpy.") and qualname[len("numpy."):] in _NUMPY_ARRAY_FUNCTIONS:
        return OPS.get(qualname[len("numpy."):])
    if qualname.startswith("tensorflow."):
        rest = qualname[len("tensorflow."):]
        return OPS.get(_TF_NAMES.get(rest, rest))
    return None



# The functions that make a tensor of a given shape: its shape is their first argument (or `shape=`, `size=`), the
# `size` of NumPy's distributions and of numpy.random.choice, or all their arguments (VARARG_TENSOR_FACTORIES).
VARARG_TENSOR_FACTORIES = {"numpy.random.rand", "numpy.random.randn"}
_SIZED_TENSOR_FACTORIES = {"numpy.random.normal", "numpy.random.uniform", "numpy.random.randint"}
TENSOR_FACTORIES = {
    "tensorflow.zeros", "tensorflow.ones", "tensorflow.random.normal", "tensorflow.random.uniform",
    "tensorflow.random.truncated_normal", "tensorflow.fill", "tensorflow.ones_like",
    "numpy.zeros", "numpy.ones", "numpy.empty", "numpy.full", "numpy.random.random", "numpy.random.normal",
    "numpy.random.uniform", "numpy.random.standard_normal", "numpy.random.random_sample",
    "numpy.random.randint", "numpy.random.choice",
    "keras.ops.zeros", "keras.ops.ones", "keras.ops.full", "keras.random.normal", "keras.random.uniform",
    "keras.random.truncated_normal", "keras.backend.random_normal", "keras.backend.random_uniform",
    *VARARG_TENSOR_FACTORIES,
}


def factory_shape(name: str, args, kwargs):
    """The shape a tensor factory is called with, as given (an int is a vector's length)."""
    if name in VARARG_TENSOR_FACTORIES:
        shape = tuple(args)
    elif name in _SIZED_TENSOR_FACTORIES:
        shape = kwargs.get("size", args[2] if len(args) > 2 else None)
    elif name == "numpy.random.choice":  # choice(a, size=None, replace=True, p=None): without replacement it may raise
        replace = kwargs.get("replace", args[2] if len(args) > 2 else True)
        shape = kwargs.get("size", args[1] if len(args) > 1 else None) if replace is True else None
    else:
        shape = args[0] if args else kwargs.get("shape", kwargs.get("size"))
    if isinstance(shape, int) and not isinstance(shape, bool):
        shape = (shape,)
    return shape

# The functions that make a tensor of the numbers given (a nested list), by canonical name: the name of their value
# argument. np.array's ndmin adds leading axes of size 1.
LITERAL_TENSOR_FUNCTIONS = {
    "tensorflow.constant": "value", "tensorflow.convert_to_tensor": "value", "keras.ops.convert_to_tensor": "x",
    "keras.ops.array": "x", "keras.ops.numpy.array": "x", "numpy.array": "object", "numpy.asarray": "a",
}


def literal_shape(value):
    """The shape of a tensor made of `value`: a number, or equally long nested lists or tuples of numbers;
    None for anything else (ragged lists, strings, values not known statically)."""
    if isinstance(value, (bool, int, float)):
        return ()
    if not isinstance(value, (list, tuple)):
        return None
    if not value:
        return (0,)
    inner = {literal_shape(item) for item in value}
    if len(inner) != 1 or None in inner:
        return None
    return (len(value), *inner.pop())


def _literal(shapes, value=None, ndmin=0):
    shape = literal_shape(value)
    return (1,) * (ndmin - len(shape)) + shape


OPS["constant"] = Op("constant", _literal, lambda xs, value=None, ndmin=0: np.array(value, np.float32, ndmin=ndmin),
                     tensor_args=0, options=("value", "ndmin"))


# np.meshgrid(x, y), keras.ops.meshgrid, tf.meshgrid: one tensor per input, each of every input's length (the first
# two swapped for indexing="xy", the default).
MESHGRID_FUNCTIONS = {"numpy.meshgrid", "keras.ops.meshgrid", "keras.ops.numpy.meshgrid", "tensorflow.meshgrid"}


def _meshgrid(shapes, index=0, indexing="xy"):
    if indexing not in ("xy", "ij"):
        raise InvalidArgument(f"meshgrid: indexing must be 'xy' or 'ij', not {indexing!r}")
    lengths = [product(shape) for shape in shapes]
    if indexing == "xy" and len(lengths) > 1:
        lengths[0], lengths[1] = lengths[1], lengths[0]
    return tuple(lengths)


OPS["meshgrid"] = Op("meshgrid", _meshgrid, lambda xs, index=0, indexing="xy": np.meshgrid(*xs, indexing=indexing)[index],
                     tensor_args=0, options=("index", "indexing"))


# The signatures of the functions that make a tensor from numbers: (start, stop, step) by each library's names.
RANGE_FUNCTIONS = {
    "keras.ops.arange": ("start", "stop", "step"), "keras.ops.numpy.arange": ("start", "stop", "step"),
    "tensorflow.range": ("start", "limit", "delta"),
}


# keras.ops.linspace(start, stop, num=50) and tf.linspace(start, stop, num): `num` evenly spaced numbers.
LINSPACE_FUNCTIONS = {"keras.ops.linspace": 50, "keras.ops.numpy.linspace": 50, "tensorflow.linspace": None}


def linspace_options(name: str, args, kwargs) -> dict:
    given = dict(zip(("start", "stop", "num"), args))
    given.update({k: v for k, v in kwargs.items() if k in ("start", "stop", "num")})
    return {"start": given.get("start"), "stop": given.get("stop"), "num": given.get("num", LINSPACE_FUNCTIONS[name])}


def range_options(names, args, kwargs) -> dict:
    """arange(n), arange(start, stop, step) or the keyword forms, as start/stop/step (a lone bound is the stop)."""
    given = dict(zip(names, args))
    given.update({k: v for k, v in kwargs.items() if k in names})
    start, stop, step = names
    if stop not in given:  # arange(10) and range(limit=10) count from 0
        given = {stop: given.get(start), start: 0, step: given.get(step, 1)} if start in given else given
    return {"start": given.get(start, 0), "stop": given.get(stop), "step": given.get(step, 1)}


def bind(op: Op, args, kwargs):
    """Split a call's arguments into the tensor arguments, the named options and the arguments left over."""
    kwargs = {_TF_ARGUMENTS.get(k, k) or "": v for k, v in kwargs.items()}
    kwargs.pop("name", None)
    kwargs.pop("", None)
    if op.tensor_args == 0:
        tensors = [args[0] if args else kwargs.pop("xs", kwargs.pop("tensors", None))]
        rest = list(args[1:])
    else:
        tensors = list(args[:op.tensor_args])
        rest = list(args[op.tensor_args:])
        for name in ("x", "x1", "x2", "a", "b", "images", "input", "tensor"):
            if len(tensors) < op.tensor_args and name in kwargs:
                tensors.append(kwargs.pop(name))
    options = dict(zip(op.options, rest))
    options.update({k: v for k, v in kwargs.items() if k in op.options})
    # An argument the shape rule does not know (tf.matmul's transpose_a) could change the result.
    ignored = [k for k in kwargs if k not in op.options] + (["*args"] if len(rest) > len(op.options) else [])
    return tensors, options, ignored
