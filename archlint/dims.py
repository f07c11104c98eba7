"""Dimension arithmetic shared by every layer.

A dimension is an int, None (unknown, e.g. the batch axis) or a `Size`: an exact integer
expression over named sizes (`floor((H - 4) / 2) + 1`). A named size is an input's axis, which
Keras's build sees as None, or a number read from data (`num_classes = len(class_names)`), which
Keras's build sees as the number it is: only the latter may size weights. A shape is a tuple of dimensions.
Every function here propagates None instead of guessing, and computes with a `Size` as it
would with the int it stands for. Where a layer checks a size (an output of at least 1, two
merged sizes equal), a `Size` cannot be decided: the check becomes a `Condition` the model
imposes on its named sizes, recorded for `archlint.sizes` to solve.
"""

from __future__ import annotations

import math

from archlint.errors import IncompatibleShapes, Unresolved

class Size:
    """An integer polynomial over atoms (named sizes and floor divisions), kept in one canonical form.

    `terms` maps a monomial (a sorted tuple of atoms, an atom repeated for its powers) to a non-zero
    coefficient; the constant is the empty monomial. Operations return an int whenever the result
    is a constant, so a `Size` always depends on some name.
    """

    __slots__ = ("terms", "_hash", "_text")

    def __init__(self, terms: dict):
        self.terms = terms
        self._hash = None
        self._text = None

    def __reduce__(self):
        # Without its cached hash: another process (a --jobs worker started by spawn) hashes strings with
        # another seed, so a hash computed there would not find the size in this process's dicts.
        return Size, (self.terms,)

    # -- construction ----------------------------------------------------------------

    @staticmethod
    def named(name: str, from_data: bool = False) -> "Size":
        return Size({(Symbol(name, from_data),): 1})

    @staticmethod
    def _of(terms: dict):
        terms = {m: c for m, c in terms.items() if c}
        if not terms:
            return 0
        if len(terms) == 1 and () in terms:
            return terms[()]
        return Size(terms)

    @staticmethod
    def _terms(value) -> dict:
        if isinstance(value, Size):
            return value.terms
        return {(): value} if value else {}

    # -- arithmetic ------------------------------------------------------------------

    def __add__(self, other):
        if not isinstance(other, (int, Size)) or isinstance(other, bool):
            return NotImplemented
        terms = dict(self.terms)
        for m, c in Size._terms(other).items():
            terms[m] = terms.get(m, 0) + c
        return Size._of(terms)

    __radd__ = __add__

    def __neg__(self):
        return Size({m: -c for m, c in self.terms.items()})

    def __pos__(self):
        return self

    def __sub__(self, other):
        if not isinstance(other, (int, Size)) or isinstance(other, bool):
            return NotImplemented
        return self + (-other)

    def __rsub__(self, other):
        if not isinstance(other, int) or isinstance(other, bool):
            return NotImplemented
        return (-self) + other

    def __mul__(self, other):
        if not isinstance(other, (int, Size)) or isinstance(other, bool):
            return NotImplemented
        terms: dict = {}
        for m1, c1 in self.terms.items():
            for m2, c2 in Size._terms(other).items():
                m = tuple(sorted(m1 + m2, key=_atom_key))
                terms[m] = terms.get(m, 0) + c1 * c2
        return Size._of(terms)

    __rmul__ = __mul__

    def __floordiv__(self, other):
        if isinstance(other, bool) or not isinstance(other, int):
            raise Unresolved(f"the size {self} divided by {other} is not modelled")
        if other == 0:
            raise ZeroDivisionError("integer division by zero")
        return floor_div(self, other)

    def __rfloordiv__(self, other):
        raise Unresolved(f"{other} divided by the size {self} is not modelled")

    def __mod__(self, other):
        if isinstance(other, bool) or not isinstance(other, int) or other == 0:
            raise Unresolved(f"the size {self} modulo {other} is not modelled")
        return self - other * (self // other)

    def __truediv__(self, other):
        raise Unresolved(f"the size {self} divided by {other} is not an integer size")

    __rtruediv__ = __rmod__ = __rfloordiv__

    # -- what only a number can answer -----------------------------------------------------

    def _undecided(self, *_):
        raise Unresolved(f"the size {self} is not known")

    __lt__ = __le__ = __gt__ = __ge__ = __bool__ = __int__ = __index__ = __float__ = _undecided

    def __eq__(self, other):
        """Identity of the canonical form: True only when provably equal (a check must use `same`)."""
        return isinstance(other, Size) and self.terms == other.terms

    def __hash__(self):
        if self._hash is None:
            self._hash = hash(frozenset(self.terms.items()))
        return self._hash

    # -- reading ---------------------------------------------------------------------------

    def names(self) -> set[str]:
        found = set()
        for monomial in self.terms:
            for atom in monomial:
                found |= atom.names()
        return found

    def symbols(self) -> set["Symbol"]:
        found = set()
        for monomial in self.terms:
            for atom in monomial:
                found |= atom.symbols()
        return found

    def value(self, sizes: dict[str, int]) -> int:
        """The integer this stands for when each name has the given size."""
        total = 0
        for monomial, c in self.terms.items():
            term = c
            for atom in monomial:
                term *= atom.value(sizes)
            total += term
        return total

    def python(self) -> str:
        """The expression as Python integer arithmetic over the variable `n`, for a size of one name."""
        terms = []
        for monomial, c in self.terms.items():
            terms.append("*".join([f"({c})", *(atom.python() for atom in monomial)]))
        return "+".join(terms)

    def degree(self, name: str) -> int:
        """The highest power of `name` in a monomial, a floor division counting as its content's."""
        return max(sum(atom.degree(name) for atom in m) for m in self.terms)

    def period(self) -> int:
        """A period of the fractional parts: the value is a linear function plus a periodic one of this period."""
        return math.lcm(1, *(atom.period() for m in self.terms for atom in m))

    def __str__(self):
        if self._text is None:
            self._text = self._written()
        return self._text

    def _written(self) -> str:
        ordered = sorted(self.terms.items(), key=lambda item: (len(item[0]) == 0, [_atom_key(a) for a in item[0]]))
        text = ""
        for monomial, c in ordered:
            magnitude = abs(c)
            if monomial:
                body = " * ".join(str(a) for a in monomial)
                body = body if magnitude == 1 else f"{magnitude} * {body}"
            else:
                body = str(magnitude)
            if not text:
                text = body if c > 0 else f"-{body}"
            else:
                text += f" + {body}" if c > 0 else f" - {body}"
        return text

    __repr__ = __str__

    def __format__(self, spec: str) -> str:
        """Its expression whatever the number format asked for (`f"{count:,}"`)."""
        return str(self)


Dim = int | Size | None
Shape = tuple[Dim, ...]


class Symbol:
    """A named size: an input's unknown axis, a size named by --input-shape, or (`from_data`) a number the
    code reads from data, named after the variable or expression it came from."""

    __slots__ = ("name", "from_data")

    def __init__(self, name: str, from_data: bool = False):
        self.name, self.from_data = name, from_data

    def __eq__(self, other):
        return isinstance(other, Symbol) and other.name == self.name and other.from_data == self.from_data

    def __hash__(self):
        return hash(self.name)

    def names(self):
        return {self.name}

    def symbols(self):
        return {self}

    def value(self, sizes):
        return sizes[self.name]

    def degree(self, name):
        return 1 if name == self.name else 0

    def python(self):
        return "n"

    def period(self):
        return 1

    def __str__(self):
        # A size named after a source expression (`len(vocab) + 1`) is one term of the expressions it is in.
        return self.name if _one_term(self.name) else f"({self.name})"


def _one_term(text: str) -> bool:
    """Whether source text is a name, call, attribute or subscript: nothing outside brackets but name characters."""
    depth = 0
    for char in text:
        if char in "([{":
            depth += 1
        elif char in ")]}":
            depth -= 1
        elif depth == 0 and not (char.isalnum() or char in "_."):
            return False
    return True


class Floor:
    """floor(content / divisor), its content reduced so that coefficients and constant lie in [0, divisor)."""

    __slots__ = ("content", "divisor")

    def __init__(self, content: Size, divisor: int):
        self.content, self.divisor = content, divisor

    def __eq__(self, other):
        return isinstance(other, Floor) and other.divisor == self.divisor and other.content == self.content

    def __hash__(self):
        return hash((self.content, self.divisor))

    def names(self):
        return self.content.names()

    def symbols(self):
        return self.content.symbols()

    def value(self, sizes):
        return self.content.value(sizes) // self.divisor

    def degree(self, name):
        return self.content.degree(name)

    def python(self):
        return f"(({self.content.python()})//{self.divisor})"

    def period(self):
        return self.divisor * self.content.period()

    def __str__(self):
        # floor((x + d - 1) / d) is ceil(x / d), the way 'same' windows are thought of.
        constant = self.content.terms.get((), 0)
        if constant == self.divisor - 1 and constant:
            return f"ceil({_grouped(self.content - constant)} / {self.divisor})"
        return f"floor({_grouped(self.content)} / {self.divisor})"


def _grouped(value) -> str:
    text = str(value)
    return f"({text})" if isinstance(value, Size) and (len(value.terms) > 1 or next(iter(value.terms.values())) != 1) else text


def _atom_key(atom) -> tuple:
    return (0, atom.name) if isinstance(atom, Symbol) else (1, str(atom))


def floor_div(value, divisor: int):
    """floor(value / divisor) for a positive or negative int divisor, in canonical form."""
    if not isinstance(value, Size):
        return value // divisor
    if divisor < 0:
        return floor_div(-value, -divisor)
    if divisor == 1:
        return value
    # Whole multiples of the divisor come out of the floor (every monomial is an integer).
    outside = {m: c // divisor for m, c in value.terms.items()}
    rest = Size._of({m: c % divisor for m, c in value.terms.items()})
    return Size._of(outside) + _reduced_floor(rest, divisor)


def _reduced_floor(rest, divisor: int):
    """floor(rest / divisor) where rest's coefficients and constant lie in [0, divisor)."""
    if not isinstance(rest, Size):
        return 0
    constant = rest.terms.get((), 0)
    variable = rest - constant
    # floor((floor(x / a) + c) / b) = floor((x + c * a) / (a * b))
    if isinstance(variable, Size) and len(variable.terms) == 1:
        (monomial, c), = variable.terms.items()
        if c == 1 and len(monomial) == 1 and isinstance(monomial[0], Floor):
            inner = monomial[0]
            return floor_div(inner.content + constant * inner.divisor, inner.divisor * divisor)
    # A common factor g of the divisor and the variable part: floor((g * x + c) / (g * d)) = floor((x + c // g) / d).
    g = math.gcd(divisor, *variable.terms.values())
    if g > 1:
        return floor_div(Size({m: c // g for m, c in variable.terms.items()}) + constant // g, divisor // g)
    return Size({(Floor(rest, divisor),): 1})


def exact_quotient(value, divisor):
    """value / divisor where it is an integer polynomial in the sizes (4 * n / n = 4), else None; the sizes' atoms
    (names, floor divisions) are taken as independent variables, so a quotient found holds whatever they are."""
    if not isinstance(divisor, Size):
        if divisor == 0:
            return None
        terms = Size._terms(value)
        if any(c % divisor for c in terms.values()):
            return None
        return Size._of({m: c // divisor for m, c in terms.items()})
    remainder, quotient = value, 0
    order = sorted({atom for v in (value, divisor) for m in Size._terms(v) for atom in m}, key=_atom_key)

    def leading(terms: dict):
        def rank(monomial):
            return (len(monomial), tuple(monomial.count(atom) for atom in order))
        return max(terms.items(), key=lambda item: rank(item[0]))

    divisor_monomial, divisor_coefficient = leading(divisor.terms)
    for _ in range(MAX_QUOTIENT_STEPS):
        if remainder == 0:
            return quotient
        monomial, coefficient = leading(Size._terms(remainder))
        rest = list(monomial)
        for atom in divisor_monomial:
            if atom not in rest:
                return None
            rest.remove(atom)
        if coefficient % divisor_coefficient:
            return None
        term = Size._of({tuple(rest): coefficient // divisor_coefficient})
        quotient, remainder = quotient + term, remainder - term * divisor
    return None


# Terms of a quotient exact_quotient finds at most: an expression with more is left unknown.
MAX_QUOTIENT_STEPS = 256


def is_size(value) -> bool:
    return isinstance(value, Size)


def unknown(value) -> bool:
    """Whether a dimension is not known when Keras builds the model: None, or a size naming an input's axis
    (which a kernel cannot be sized by). A number read from data is known then."""
    return value is None or isinstance(value, Size) and not from_data(value)


def from_data(value) -> bool:
    """Whether a size depends only on numbers read from data: a number when Keras builds the model."""
    return isinstance(value, Size) and all(symbol.from_data for symbol in value.symbols())


def has_axis_sizes(shape) -> bool:
    """Whether a shape, or any shape in lists of them, holds a size naming an input's axis (None for Keras's build)."""
    if isinstance(shape, (list, tuple)):
        return any(has_axis_sizes(d) for d in shape)
    return isinstance(shape, Size) and not from_data(shape)


def data_names(value) -> set[str]:
    """The numbers read from data a value (a size, a shape, lists of them) depends on."""
    if isinstance(value, dict):
        value = list(value.values())
    if isinstance(value, (list, tuple)):
        return set().union(*(data_names(v) for v in value))
    return {s.name for s in value.symbols() if s.from_data} if isinstance(value, Size) else set()


def concrete(value) -> bool:
    return isinstance(value, int)


def without_sizes(shape):
    """The shape with every named size as None: what code that reads shapes as Keras gives them sees
    (for a number read from data, a number it does not know: see `data_names`)."""
    if isinstance(shape, list):
        return [without_sizes(s) for s in shape]
    if shape is None:
        return None
    return tuple(None if isinstance(d, Size) else d for d in shape)


def equal_as_keras_sees(a, b, code: str, message) -> bool:
    """Keras's literal comparison of two sizes when it builds: an input's named axis is None there, equal only to
    None (and to another such axis where the two sizes are equal: a condition); a number read from data is a number,
    which may equal the other (a condition where it depends on them)."""
    if isinstance(a, Size) and isinstance(b, Size) and unknown(a) and unknown(b):
        return same(a, b, code, message)  # None == None to Keras; built at sizes, the two must be equal
    a, b = (None if unknown(d) else d for d in (a, b))
    if a is None or b is None:
        return a is b
    return same(a, b, code, message)


def without_axis_sizes(shape: Shape) -> Shape:
    """The shape as Keras's build sees it: an input's named axis is None there, a number read from data is kept."""
    return tuple(None if unknown(d) else d for d in shape)


def has_sizes(shape) -> bool:
    """Whether a shape, or any shape in lists and dicts of them, holds a named size."""
    if isinstance(shape, dict):
        return any(has_sizes(d) for d in shape.values())
    if isinstance(shape, (list, tuple)):
        return any(has_sizes(d) for d in shape)
    return isinstance(shape, Size)


# -- conditions: the checks a named size defers ----------------------------------------------


class Condition:
    """`relation` over dimensions: ("ge", a, b) a >= b, ("eq", a, b) a == b, ("divides", a, m) a % m == 0,
    or ("or", [relations]).

    `code` and `message` are those of the error Keras raises where it does not hold; the message may be
    given as a function making it, as it is read only when the condition never holds.
    """

    __slots__ = ("relation", "code", "_message")

    def __init__(self, relation: tuple, code: str, message):
        self.relation, self.code, self._message = relation, code, message

    @property
    def message(self) -> str:
        return self._message() if callable(self._message) else self._message

    def names(self) -> set[str]:
        return relation_names(self.relation)

    def text(self) -> str:
        return relation_text(self.relation)


def relation_names(relation) -> set[str]:
    if relation[0] == "or":
        return set().union(*(relation_names(r) for r in relation[1]))
    return set().union(*(v.names() for v in relation[1:] if isinstance(v, Size)))


def relation_text(relation) -> str:
    if relation[0] == "or":
        return " or ".join(relation_text(r) for r in relation[1])
    kind, a, b = relation
    if kind == "divides":
        return f"{_grouped(a)} % {b} == 0"
    return f"{a} {'>=' if kind == 'ge' else '=='} {b}"


def relation_difference(relation):
    """An atomic relation as (kind, d): "ge" for d >= 0, "eq" for d == 0."""
    kind, a, b = relation
    if kind == "divides":
        return "eq", a % b
    return kind, a - b


# Conditions recorded since the caller last took them: the evaluator takes them after each layer call.
_recorded: list[Condition] = []


def take_conditions() -> list[Condition]:
    taken = list(_recorded)
    _recorded.clear()
    return taken


def _decided(relation):
    """True or False when the relation holds or fails whatever the sizes, None when it depends on them."""
    if relation[0] == "or":
        results = [_decided(r) for r in relation[1]]
        return True if True in results else False if all(r is False for r in results) else None
    kind, difference = relation_difference(relation)
    if isinstance(difference, int):
        return difference >= 0 if kind == "ge" else difference == 0
    return None


def holds(relation, code: str, message) -> bool:
    """Whether a check passes: decided for numbers; for named sizes recorded as a condition and passed.
    `message` makes the text of the error where it fails (called only then)."""
    decided = _decided(relation)
    if decided is not None:
        return decided
    _recorded.append(Condition(relation, code, message))
    return True


def at_least(value, minimum: int, code: str, message) -> bool:
    return holds(("ge", value, minimum), code, message)


def same(a, b, code: str, message) -> bool:
    return holds(("eq", a, b), code, message)


def divides(value, divisor: int, code: str, message) -> bool:
    return holds(("divides", value, divisor), code, message)


# -- the arithmetic of layers -----------------------------------------------------------------


def product(dims):
    """Product of dims, None if any is unknown."""
    total = 1
    for d in dims:
        if d is None:
            return None
        total = total * d
    return total


def conv_output_length(length, kernel: int, stride: int, padding: str, dilation: int = 1):
    """Keras's output length of a convolution or pooling window along one axis."""
    if length is None:
        return None
    if padding == "valid":
        return _floor_by(length - dilation * (kernel - 1) - 1, stride) + 1
    # 'same' and 'causal' keep ceil(length / stride) positions: length / stride where that is exact.
    if isinstance(stride, Size) and exact_quotient(length, stride) is not None:
        return exact_quotient(length, stride)
    return _floor_by(length - 1, stride) + 1


def _floor_by(value, divisor):
    """floor(value / divisor); by a size (a pool's strides read from data), only where the quotient is exact."""
    if not isinstance(divisor, Size):
        return value // divisor
    quotient = exact_quotient(value, divisor)
    if quotient is None:
        raise Unresolved(f"floor(({value}) / ({divisor})) is not an integer expression of the sizes")
    return quotient


def deconv_output_length(length, kernel: int, stride: int, padding: str, output_padding: int | None = None, dilation: int = 1):
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


def add(a, b):
    return None if a is None or b is None else a + b


def mul(a, b):
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
    """A shape as Keras prints it: (None, 28, 28, 1); a named size as its expression."""
    if isinstance(shape, list):
        return "[" + ", ".join(format_shape(s) for s in shape) + "]"
    if shape is None:
        return "?"
    inner = ", ".join("None" if d is None else str(d) for d in shape)
    return f"({inner},)" if len(shape) == 1 else f"({inner})"
