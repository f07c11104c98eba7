"""Merge layers: Add, Subtract, Multiply, Average, Maximum, Minimum, Concatenate, Dot.

Each takes a list of inputs. The elementwise ones follow Keras's Merge base: shapes are
aligned on their last axes (the batch axis apart), an axis of 1 broadcasts, and an
unknown axis makes the output axis unknown whatever the other input says.
"""

import functools

from archlint import dims, sizes
from archlint.dims import Shape, format_shape
from archlint.errors import IncompatibleShapes, InvalidArgument, WrongRank
from archlint.layers.base import Layer, int_arg, known, normalize_axis, np, register
from archlint.layers.normalization import l2_normalized


def shape_list(input_shape, layer: Layer) -> list[Shape]:
    if not (isinstance(input_shape, (list, tuple)) and input_shape
            and all(isinstance(s, (list, tuple)) for s in input_shape)):
        raise InvalidArgument(f"{layer.type_name} must be called on a list of inputs, got shape {format_shape(input_shape)}")
    return [tuple(s) for s in input_shape]


def merged_batch(shapes: list[Shape]):
    batches = {s[0] for s in shapes if s} - {None}
    if len(batches) > 1:
        raise IncompatibleShapes(f"cannot merge tensors with different batch sizes: {format_shape(shapes)}")
    return batches.pop() if batches else None


def elementwise_shape(a: Shape, b: Shape) -> Shape:
    """Keras's Merge._compute_elemwise_op_output_shape on shapes without their batch axis."""
    if len(a) < len(b):
        a, b = b, a
    if not b:
        return a
    out = list(a[:len(a) - len(b)])
    for i, j in zip(a[len(a) - len(b):], b):
        if i is None or j is None:
            out.append(None)
        elif i == 1 or j == 1:
            out.append(j if i == 1 else i)
        elif i == j:
            out.append(i)
        else:
            merged = sizes.merged_size(i, j, lambda: f"inputs have incompatible shapes {format_shape(a)} and {format_shape(b)}")
            # An input's axis is None to Keras, and its merge with any size is None.
            out.append(None if (dims.has_axis_sizes(i) or dims.has_axis_sizes(j)) and not dims.has_axis_sizes(merged)
                       else merged)
    return tuple(out)


class ElementwiseMerge(Layer):
    weightless = True
    named_sizes = True

    def compute_output_shape(self, input_shape, **kwargs):
        shapes = shape_list(input_shape, self)
        batch = merged_batch(shapes)
        out = shapes[0][1:]
        for shape in shapes[1:]:
            out = elementwise_shape(out, shape[1:])
        return (batch, *out)

    def forward(self, inputs, **kwargs):
        # Keras inserts the missing axes of a lower-rank input right after the batch axis.
        rank = max(x.ndim for x in inputs)
        aligned = [x.reshape(x.shape[:1] + (1,) * (rank - x.ndim) + x.shape[1:]) for x in inputs]
        return self.merge(aligned).astype(np.float32)

    def merge(self, inputs):
        raise NotImplementedError


@register
class Add(ElementwiseMerge):
    def merge(self, inputs):
        return functools.reduce(np.add, inputs)


@register
class Subtract(ElementwiseMerge):
    def compute_output_shape(self, input_shape, **kwargs):
        if len(shape_list(input_shape, self)) != 2:
            raise InvalidArgument(f"Subtract must be called on exactly 2 inputs, got {len(input_shape)}")
        return super().compute_output_shape(input_shape)

    def merge(self, inputs):
        return inputs[0] - inputs[1]


@register
class Multiply(ElementwiseMerge):
    def merge(self, inputs):
        return functools.reduce(np.multiply, inputs)


@register
class Average(ElementwiseMerge):
    def merge(self, inputs):
        return functools.reduce(np.add, inputs) / len(inputs)


@register
class Maximum(ElementwiseMerge):
    def merge(self, inputs):
        return functools.reduce(np.maximum, inputs)


@register
class Minimum(ElementwiseMerge):
    def merge(self, inputs):
        return functools.reduce(np.minimum, inputs)


@register
class Concatenate(Layer):
    weightless = True
    named_sizes = True

    def __init__(self, axis=-1, **kwargs):
        super().__init__(**kwargs)
        self.axis = int_arg(axis, "axis")

    def compute_output_shape(self, input_shape, **kwargs):
        shapes = shape_list(input_shape, self)
        rank = len(shapes[0])
        if any(len(s) != rank for s in shapes):
            raise IncompatibleShapes(f"Concatenate needs inputs of the same rank, got {format_shape(shapes)}")
        axis = normalize_axis(self.axis, rank)

        def message():
            return f"Concatenate on axis {self.axis} needs the other axes to match, got {format_shape(shapes)}"

        for other in range(rank):
            given = list(dict.fromkeys(s[other] for s in shapes if s[other] is not None))
            if other != axis and not all(dims.same(given[0], size, IncompatibleShapes.code, message) for size in given[1:]):
                raise IncompatibleShapes(message())
        # Keras keeps the first input's dimensions on the other axes, even an unknown one.
        out = list(shapes[0])
        lengths = [s[axis] for s in shapes]
        out[axis] = None if None in lengths else sum(lengths)
        return tuple(out)

    def forward(self, inputs, **kwargs):
        return np.concatenate(inputs, axis=self.axis)


@register
class Dot(Layer):
    weightless = True
    named_sizes = True

    def __init__(self, axes, normalize=False, **kwargs):
        super().__init__(**kwargs)
        axes = known(axes, "axes")
        if isinstance(axes, (list, tuple)):
            if len(axes) != 2:
                raise InvalidArgument(f"`axes` must be an integer or a pair of integers, got {axes!r}")
            self.axes = tuple(int_arg(a, "axes") for a in axes)
        else:
            self.axes = (int_arg(axes, "axes"),) * 2
        self.normalize = bool(known(normalize, "normalize"))

    def input_axes(self, shapes) -> tuple[int, int]:
        return tuple(normalize_axis(a, len(s), "axes") for a, s in zip(self.axes, shapes))

    def compute_output_shape(self, input_shape, **kwargs):
        shapes = shape_list(input_shape, self)
        if len(shapes) != 2:
            raise InvalidArgument(f"Dot must be called on a list of 2 inputs, got {len(shapes)}")
        x, y = shapes
        if len(x) < 2 or len(y) < 2:
            raise WrongRank(f"Dot needs inputs of rank at least 2, got {format_shape(shapes)}")
        merged_batch(shapes)
        a, b = self.input_axes(shapes)
        if 0 in (a, b):
            raise InvalidArgument(f"Dot cannot take the dot product over the batch axis (axes={self.axes})")
        # Keras compares the two sizes strictly here: an unknown size only matches an unknown one.
        def message():
            return (f"Dot axes do not match: {x[a]} (axis {a} of {format_shape(x)}) != {y[b]} (axis {b} of "
                    f"{format_shape(y)})")

        if not dims.equal_as_keras_sees(x[a], y[b], IncompatibleShapes.code, message):
            raise IncompatibleShapes(message())
        out = [d for i, d in enumerate(x) if i != a] + [d for i, d in enumerate(y) if i not in (0, b)]
        return tuple(out + [1] if len(out) == 1 else out)

    def count_macs(self, input_shapes, output_shapes):
        # Every output value is a dot product along the contracted axis (normalizing first is not counted).
        axis, _ = self.input_axes(input_shapes)
        return dims.mul(dims.product(output_shapes[0]), input_shapes[0][axis])

    def forward(self, inputs, **kwargs):
        x, y = inputs
        a, b = self.input_axes([x.shape, y.shape])
        if self.normalize:
            x = l2_normalized(x, a, epsilon=1e-7)
            y = l2_normalized(y, b, epsilon=1e-7)
        x = np.moveaxis(x, a, -1)
        y = np.moveaxis(y, b, 1)
        batch, depth = x.shape[0], x.shape[-1]
        product = np.matmul(x.reshape(batch, -1, depth), y.reshape(batch, depth, -1))
        out_shape = (batch, *x.shape[1:-1], *y.shape[2:])
        # Keras keeps a rank-2 output when both inputs were vectors.
        return product.reshape(out_shape if len(out_shape) > 1 else (batch, 1))
