"""Reshaping layers: Reshape, Permute, RepeatVector."""

from archlint import dims
from archlint.dims import Shape, format_shape, product
from archlint.errors import InvalidArgument, ReshapeMismatch, Unresolved
from archlint.dims import from_data
from archlint.layers.base import Layer, int_arg, known, np, register, require_rank, size_arg


def reshaped(input_shape: Shape, target: Shape) -> Shape:
    """Keras's compute_reshape_output_shape: resolve the -1 of `target` for an input without batch axis.

    Keras checks the element count only when every dimension is known; otherwise the -1
    becomes None and nothing is checked.
    """
    if None in input_shape or None in target:
        return tuple(None if d == -1 else d for d in target)
    size = product(input_shape)
    if -1 not in target:
        def message():
            return (f"cannot reshape {format_shape(input_shape)} ({size} elements) "
                    f"into {format_shape(target)} ({product(target)} elements)")

        if not dims.same(size, product(target), ReshapeMismatch.code, message):
            raise ReshapeMismatch(message())
        return target
    known_size = product(d for d in target if d != -1)
    if dims.is_size(known_size):  # Reshape((num_classes, -1)): the -1 is exact only as a polynomial quotient
        quotient = dims.exact_quotient(size, known_size)
        if quotient is None:
            raise Unresolved(f"the -1 of {format_shape(target)} would be {size} / ({known_size}) elements, which is "
                             "not an integer expression of the sizes")
        return tuple(quotient if d == -1 else d for d in target)

    def not_a_multiple():
        return (f"cannot reshape {format_shape(input_shape)} ({size} elements) into "
                f"{format_shape(target)}: {size} is not a multiple of {known_size}")

    if known_size == 0 or not dims.divides(size, known_size, ReshapeMismatch.code, not_a_multiple):
        raise ReshapeMismatch(not_a_multiple())
    return tuple(size // known_size if d == -1 else d for d in target)


@register
class Reshape(Layer):
    weightless = True
    named_sizes = True
    size_arguments = ("target_shape",)

    def __init__(self, target_shape, **kwargs):
        super().__init__(**kwargs)
        target = known(target_shape, "target_shape")
        if not isinstance(target, (tuple, list)):
            raise InvalidArgument(f"`target_shape` must be a tuple, got {target!r}")
        self.target_shape = tuple(d if d is None or from_data(d) else int_arg(d, "target_shape") for d in target)
        if any(isinstance(d, int) and d < -1 for d in self.target_shape):
            raise InvalidArgument(f"each dimension of `target_shape` must be non-negative or -1, got {self.target_shape}")
        if self.target_shape.count(-1) > 1:
            raise InvalidArgument(f"`target_shape` may contain at most one -1, got {self.target_shape}")

    def compute_output_shape(self, input_shape, **kwargs):
        return (input_shape[0], *reshaped(tuple(input_shape[1:]), self.target_shape))

    def forward(self, x, **kwargs):
        shape = self.compute_output_shape(x.shape)
        return x.reshape(tuple(-1 if d is None else d for d in shape))


@register
class Permute(Layer):
    weightless = True
    named_sizes = True

    def __init__(self, dims, **kwargs):
        super().__init__(**kwargs)
        dims = known(dims, "dims")
        if not isinstance(dims, (tuple, list)):
            raise InvalidArgument(f"`dims` must be a tuple, got {dims!r}")
        self.dims = tuple(int_arg(d, "dims") for d in dims)
        if sorted(self.dims) != list(range(1, len(self.dims) + 1)):
            raise InvalidArgument(f"`dims` must be a permutation of 1..{len(self.dims)}, got {self.dims}")

    def compute_output_shape(self, input_shape, **kwargs):
        require_rank(input_shape, len(self.dims) + 1, self)
        return (input_shape[0], *(input_shape[d] for d in self.dims))

    def forward(self, x, **kwargs):
        return np.transpose(x, (0, *self.dims))


@register
class RepeatVector(Layer):
    weightless = True
    named_sizes = True
    size_arguments = ("n",)

    def __init__(self, n, **kwargs):
        super().__init__(**kwargs)
        # Keras accepts only a true int here: 3.0 is a TypeError.
        self.n = size_arg(n, "n", numpy_ints=False)

    def compute_output_shape(self, input_shape, **kwargs):
        require_rank(input_shape, 2, self)
        return (input_shape[0], self.n, input_shape[1])

    def forward(self, x, **kwargs):
        return np.repeat(x[:, None, :], self.n, axis=1)
