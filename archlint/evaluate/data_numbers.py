"""Numbers read from data (`num_classes = len(class_names)`) as named sizes.

The evaluator cannot know such a number: it is an Unknown. Bound to a name, the Unknown stands
for a number of that name (`Unknown.size`), and arithmetic on it (`vocab_size + 1`) gives the
expression it stands for. Where it reaches a layer argument that is a size (Dense's `units`, a
convolution's `filters`, Embedding's sizes, a shape), the layer gets the size itself, so the
shapes, parameter counts and MACs that depend on it are expressions of it. A value never bound
to a name is named after its source expression (`len(class_names)`). Whatever would decide a
value by the number (a comparison, a branch) still sees an Unknown: a named size never takes a
value. Two numbers never share a name: a second one bound to `n` is `n_2`.
"""

from __future__ import annotations

import inspect
from functools import lru_cache

import libcst as cst

from archlint.dims import Size
from archlint.values import Unknown

# Arithmetic an integer size keeps (Size computes exactly what Python's ints would).
SIZE_OPERATORS = {
    "Add": lambda a, b: a + b,
    "Subtract": lambda a, b: a - b,
    "Multiply": lambda a, b: a * b,
    "FloorDivide": lambda a, b: a // b,
    "Modulo": lambda a, b: a % b,
}
# A source expression longer than this names its size by the argument instead (`units`).
MAX_NAME_LENGTH = 40
# A product with more factors or terms than this is left unknown: squaring in a loop doubles them each time.
MAX_FACTORS = 64
MAX_TERMS = 256


class DataNumbers:
    """The named sizes one analysis gives to numbers read from data."""

    def __init__(self, module: cst.Module, line_of):
        self.module = module
        self.line_of = line_of  # a syntax node's line (0 when not known)
        self.taken: set[str] = set()
        self.sizes: dict[int, tuple[Unknown, Size]] = {}  # id of a bound Unknown -> (it, its size)
        # Size name -> where the value it stands for came from: {"line": ..., "reason": why it is not known}.
        self.origins: dict[str, dict] = {}

    def bound(self, value: Unknown, name: str, line: int | None = None) -> Unknown:
        """`value` bound to `name` (at `line`): it stands for a number of that name, unless it stands for one
        already."""
        if value.size is not None:
            return value
        return Unknown(value.reason, value.line or line, name)

    def size_of(self, value: Unknown, name: str) -> Size:
        """The named size `value` stands for; a value standing for none gets a new one named `name`."""
        if isinstance(value.size, Size):
            return value.size
        if isinstance(value.size, str):
            known = self.sizes.get(id(value))
            if known is None:
                known = self.sizes[id(value)] = (value, self.fresh(value.size, value))
            return known[1]
        return self.fresh(name, value)

    def fresh(self, name: str, value: Unknown) -> Size:
        candidate, count = name, 1
        while candidate in self.taken:
            count += 1
            candidate = f"{name}_{count}"
        self.taken.add(candidate)
        self.origins[candidate] = {"line": value.line, "reason": value.reason}
        return Size.named(candidate, from_data=True)

    def for_code(self, value):
        """A value the checked code reads (a layer's units, a tensor's shape): a named size there is the unknown
        number it stands for, so that nothing decides a value by it."""
        if isinstance(value, Size):
            return Unknown(f"{value} is a number read from data", None, value)
        if isinstance(value, tuple) and any(isinstance(v, Size) for v in value):
            return tuple(self.for_code(v) for v in value)
        return value

    def binary(self, op: str, left, right, node=None):
        """`left op right` where a side is unknown, as integer arithmetic with a number: the Unknown of the
        expression, a number where it is one whatever the sizes (n - n), None where the operation keeps no size
        (an operand not an int). An unknown operand that stands for no number yet is named after its source
        (`len(vocab)` in `len(vocab) // 2`)."""
        if op not in SIZE_OPERATORS or not any(isinstance(v, int) and not isinstance(v, bool) or
                                                isinstance(v, Unknown) and v.size is not None for v in (left, right)):
            return None
        operands = []
        sources = (node.left, node.right) if isinstance(node, cst.BinaryOperation) else (None, None)
        for value, source in zip((left, right), sources):
            if isinstance(value, Unknown):
                name = self.source_name(source) if value.size is None else ""
                if name is None:
                    return None
                operands.append(self.size_of(self.placed(value, source), name))
            elif isinstance(value, int) and not isinstance(value, bool):
                operands.append(value)
            else:
                return None
        if op == "Multiply" and _too_large(*operands):
            return Unknown("product of numbers read from data too large to analyse")
        try:
            result = SIZE_OPERATORS[op](*operands)
        except (ArithmeticError, ValueError) as exc:
            return Unknown(f"{op} of numbers read from data: {exc}")
        except Exception as exc:  # noqa: BLE001  (dims.Unresolved: a division by a size, which Size does not model)
            return Unknown(getattr(exc, "reason", str(exc)))
        if isinstance(result, Size):
            line = next((v.line for v in (left, right) if isinstance(v, Unknown)), None)
            return Unknown(f"{result} depends on numbers read from data", line, result)
        return result

    def layer_arguments(self, cls, args: list, kwargs: dict, node):
        """The arguments with each unknown value of a size argument of `cls` (its `size_arguments`) as the named
        size it stands for."""
        wanted = getattr(cls, "size_arguments", ())
        if not wanted:
            return args, kwargs
        names = _parameter_names(cls)
        sources = _argument_sources(node)
        args = list(args)
        for index, value in enumerate(args):
            if index < len(names) and names[index] in wanted:
                args[index] = self.as_size(value, sources.get(index), names[index])
        kwargs = {key: self.as_size(value, sources.get(key), key) if key in wanted else value
                  for key, value in kwargs.items()}
        return args, kwargs

    def as_size(self, value, source, name: str):
        if isinstance(value, Unknown) and value.numpy_integer:
            return value  # a NumPy integer: no plain int for the layers that check, no size for the others
        if isinstance(value, Unknown) and name.endswith("shape") and not isinstance(value.size, Size):
            return value  # a shape of unknown rank, or a number (`output_shape=num_classes`): not known to be one size
        if isinstance(value, Unknown):
            return self.size_of(self.placed(value, source), self.source_name(source) or name)
        if isinstance(value, (tuple, list)) and any(isinstance(v, (Unknown, tuple, list)) for v in value):
            elements = [e.value for e in source.elements] if isinstance(source, (cst.Tuple, cst.List)) \
                and len(source.elements) == len(value) else [None] * len(value)
            return type(value)(self.as_size(v, e, f"{name}[{index}]") for index, (v, e) in enumerate(zip(value, elements)))
        return value

    def placed(self, value: Unknown, source) -> Unknown:
        """A value not bound to a name, with the line of the expression that gives it when it has none."""
        if value.size is None and value.line is None and source is not None:
            return Unknown(value.reason, self.line_of(source) or None)
        return value

    def source_name(self, source) -> str | None:
        if source is None:
            return None
        text = " ".join(self.module.code_for_node(source).split())
        return text if len(text) <= MAX_NAME_LENGTH else None


@lru_cache(maxsize=None)
def _parameter_names(cls) -> tuple[str, ...]:
    """The constructor's positional parameters, after self."""
    try:
        parameters = list(inspect.signature(cls.__init__).parameters.values())[1:]
    except (TypeError, ValueError):
        return ()
    return tuple(p.name for p in parameters if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD))


def _argument_sources(node) -> dict:
    """The source expression of each argument of a call: by position, and by keyword."""
    if not isinstance(node, cst.Call):
        return {}
    found, index = {}, 0
    for arg in node.args:
        if arg.star:
            if arg.star == "*":
                index = None  # the positions after *args are not known from the source
            continue
        if arg.keyword is not None:
            found[arg.keyword.value] = arg.value
        elif index is not None:
            found[index] = arg.value
            index += 1
    return found


def _too_large(left, right) -> bool:
    """Whether the product of two operands would have more than MAX_FACTORS factors or MAX_TERMS terms."""
    shapes = [(max(len(m) for m in v.terms), len(v.terms)) if isinstance(v, Size) else (0, 1) for v in (left, right)]
    return shapes[0][0] + shapes[1][0] > MAX_FACTORS or shapes[0][1] * shapes[1][1] > MAX_TERMS
