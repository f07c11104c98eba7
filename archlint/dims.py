"""Dimension arithmetic shared by every layer.

A dimension is an int or None (unknown, e.g. the batch axis). A shape is a tuple of
dimensions. Every function here propagates None instead of guessing.
"""

from archlint.errors import IncompatibleShapes

Dim = int | None
Shape = tuple[Dim, ...]


def product(dims) -> int | None:
    """Product of dims, None if any is unknown."""
    total = 1
    for d in dims:
        if d is None:
            return None
        total *= d
    return total


def conv_output_length(length: Dim, kernel: int, stride: int, padding: str, dilation: int = 1) -> Dim:
    """Keras's output length of a convolution or pooling window along one axis."""
    if length is None:
        return None
    if padding == "valid":
        return (length - dilation * (kernel - 1) - 1) // stride + 1
    # 'same' and 'causal' keep ceil(length / stride) positions.
    return (length - 1) // stride + 1


def deconv_output_length(length: Dim, kernel: int, stride: int, padding: str, output_padding: int | None = None, dilation: int = 1) -> Dim:
    """Keras's output length of a transposed convolution along one axis."""
    if length is None:
        return None
    kernel = (kernel - 1) * dilation + 1
    if padding == "valid":
        extra = max(kernel, stride) - kernel if output_padding is None else output_padding
        return (length - 1) * stride + kernel + extra
    if output_padding is None:
        return length * stride
    return (length - 1) * stride + kernel % 2 + output_padding


def add(a: Dim, b: Dim) -> Dim:
    return None if a is None or b is None else a + b


def mul(a: Dim, b: Dim) -> Dim:
    return None if a is None or b is None else a * b


def broadcast(a: Shape, b: Shape) -> Shape:
    """NumPy/Keras broadcasting of two shapes; an unknown axis against 1 stays unknown."""
    rank = max(len(a), len(b))
    a = (1,) * (rank - len(a)) + tuple(a)
    b = (1,) * (rank - len(b)) + tuple(b)
    out = []
    for x, y in zip(a, b):
        if x == 1:
            out.append(y)
        elif y == 1 or x == y:
            out.append(x)
        elif x is None or y is None:
            out.append(x if y is None else y)
        else:
            raise IncompatibleShapes(f"shapes {format_shape(a)} and {format_shape(b)} cannot be broadcast together")
    return tuple(out)


def format_shape(shape) -> str:
    """A shape as Keras prints it: (None, 28, 28, 1)."""
    if isinstance(shape, list):
        return "[" + ", ".join(format_shape(s) for s in shape) + "]"
    if shape is None:
        return "?"
    inner = ", ".join("None" if d is None else str(d) for d in shape)
    return f"({inner},)" if len(shape) == 1 else f"({inner})"
