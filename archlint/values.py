"""Values the static evaluator passes around besides plain Python data."""

from dataclasses import dataclass


@dataclass(frozen=True)
class Unknown:
    """A value that cannot be known without running the code, and why."""

    reason: str
    line: int | None = None
    # Were it a number (a size read from data): the named size it stands for (a dims.Size), or the name of the
    # variable it was bound to, which names that size where it is first used (evaluate/data_numbers.py).
    size: object = None
    # A NumPy integer of a value not known statically (np.int32(n)): a layer checking for an int refuses it
    # whatever the number, and it names no size.
    numpy_integer: bool = False

    def __repr__(self) -> str:
        return f"<unknown: {self.reason}>"


def unsized(value):
    """`value` for an operation whose result is unknown and not the same number: without the size it stood for."""
    if isinstance(value, Unknown) and value.size is not None:
        return Unknown(value.reason, value.line)
    return value


@dataclass(frozen=True)
class Ref:
    """An attribute of a library the checked file imports, by its qualified name.

    `tf.keras.layers.MaxPool2D` evaluates to Ref("tensorflow.keras.layers.MaxPool2D");
    nothing is ever imported.
    """

    qualname: str

    def __repr__(self) -> str:  # as the source names it, for messages
        return self.qualname

    @property
    def leaf(self) -> str:
        return self.qualname.rsplit(".", 1)[-1]

    def attr(self, name: str) -> "Ref":
        return Ref(f"{self.qualname}.{name}")


def described(value) -> str:
    """A value as a message names it, in Keras's and Python's words rather than archlint's classes."""
    if isinstance(value, Ref):
        return f"`{value.qualname}`"
    if isinstance(value, Unknown):
        return "a value not known statically"
    type_name, name = getattr(value, "type_name", None), getattr(value, "name", None)
    if isinstance(type_name, str) and isinstance(name, str):
        return f"the layer {name} ({type_name})"
    kind = type(value).__name__
    plain = {"Tensor": "a tensor", "NoneType": "None", "Function": "a function", "UserObject": "an object",
             "UserClass": "a class", "ModuleValue": "a module", "PublicModule": "a module", "Method": "a method",
             "BoundMethod": "a method", "StaticShape": "a shape"}
    return plain.get(kind, f"a {kind}")


@dataclass(frozen=True)
class LossObject:
    """A loss instance such as keras.losses.CategoricalCrossentropy(from_logits=True), with its arguments.

    Kept (not made Unknown) so that rules can compare the compiled loss with the model's output.
    """

    qualname: str
    args: tuple
    kwargs: dict


@dataclass(frozen=True)
class MetricObject:
    """A metric instance such as keras.metrics.MeanSquaredError(): kept so that compile() sees a metric where Keras
    wants a list of them."""

    qualname: str


class NumpyInt(int):
    """A NumPy integer scalar (np.prod of ints, np.int32(...)): the number, and the type Keras tells from an int.

    Dense, the recurrent layers, Embedding, RepeatVector, MultiHeadAttention and every `standardize_tuple`
    argument (kernel_size, strides) refuse it, checking for `int`; convolution filters, Reshape and Input take
    it. Integer arithmetic keeps the type, as NumPy's does; true division gives a float."""

    def __repr__(self) -> str:
        return f"the NumPy integer {int(self)}"


def _numpy_int_operation(name):
    plain = getattr(int, name)

    def operation(self, *others):
        result = plain(self, *others)
        return NumpyInt(result) if type(result) is int else result
    return operation


for _name in ("__add__", "__radd__", "__sub__", "__rsub__", "__mul__", "__rmul__", "__floordiv__", "__rfloordiv__",
              "__mod__", "__rmod__", "__pow__", "__neg__", "__pos__", "__abs__"):
    setattr(NumpyInt, _name, _numpy_int_operation(_name))
