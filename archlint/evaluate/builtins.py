"""Python's builtins and pure library functions, computed on plain values with size limits."""

from __future__ import annotations

import copy
import dataclasses
import math
import operator
import re
import string

from archlint.values import NumpyInt, Unknown, unsized

MAX_ITEMS = 1_000_000
MAX_INT_BITS = 4096


class NotEvaluated(Exception):
    """A limit of archlint's evaluation (not an error the checked code would raise)."""


class PythonError(Exception):
    """What Python itself would raise on these known values: the checked code may catch it. `library`: raised by
    an installed library's check of its arguments (keras.applications' obtain_input_shape), with its message."""

    def __init__(self, kind: str, message: str, library: bool = False):
        super().__init__(message)
        self.kind = kind
        self.library = library


class ExceptionClass:
    """A builtin exception class; `parent` makes `except LookupError` catch a KeyError."""

    def __init__(self, name: str, parent: "ExceptionClass | None"):
        self.name = name
        self.parent = parent

    def catches(self, kind: str) -> bool:
        cls = EXCEPTIONS.get(kind)
        while cls is not None:
            if cls is self:
                return True
            cls = cls.parent
        return self.name in ("Exception", "BaseException")


class Builtin:
    """A callable the evaluator runs itself: fn(evaluator, args, kwargs, node)."""

    def __init__(self, name: str, fn):
        self.name = name
        self.fn = fn

    def __call__(self, evaluator, args, kwargs, node):
        if any(isinstance(a, Unknown) for a in args) and self.name not in _ACCEPTS_UNKNOWN:
            first = next(a for a in args if isinstance(a, Unknown))
            # int() of a number read from data is that number; any other result is not.
            return first if self.name == "int" and len(args) == 1 else unsized(first)
        try:
            return self.fn(evaluator, *args, **kwargs)
        except NotEvaluated as exc:
            return Unknown(f"{self.name}(): {exc}")
        except (TypeError, ValueError, KeyError, IndexError, ZeroDivisionError, OverflowError, AttributeError) as exc:
            if holds_unknown(*args, *kwargs.values()):  # `sorted((a, b))` compares unknowns
                return Unknown(f"{self.name}() of values not known statically")
            raise PythonError(type(exc).__name__, f"{self.name}(): {exc}") from None

    def __repr__(self):
        return f"<builtin {self.name}>"


_ACCEPTS_UNKNOWN = {"open", "len", "setattr", "list", "tuple", "print", "isinstance", "zip", "enumerate", "reversed", "dict", "partial", "deepcopy", "copy",
                    "numpy.int32", "numpy.int64"}


def _plain(fn):
    """A builtin that needs no evaluator."""
    return lambda evaluator, *args, **kwargs: fn(*args, **kwargs)


def _of_a_number(fn, name=None):
    """A NumPy function of one number, as math's; of an array, its value is not followed."""
    def call(evaluator, value, *args, **kwargs):
        if isinstance(value, (int, float)) and not isinstance(value, bool) and not args and not kwargs:
            return fn(value)
        return evaluator.unknown(f"numpy.{name or fn.__name__}() of an array is not followed", None)
    return call


def _numpy_product(evaluator, values):
    """numpy.prod: of ints a NumPy integer (Dense refuses it), of floats a float."""
    result = _product(_iterable(evaluator, values), 1)
    return NumpyInt(result) if type(result) is int else result


def _numpy_integer(bits):
    """numpy.int32(7.9), numpy.int64(...) of a number: truncated toward zero as a C cast is, within the type's range
    (beyond it NumPy raises or wraps)."""
    def call(evaluator, value):
        if isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value) \
                and -2 ** (bits - 1) <= int(value) < 2 ** (bits - 1):
            return NumpyInt(int(value))
        if isinstance(value, Unknown):
            return Unknown(f"numpy.int{bits}() of a value not known statically ({value.reason})", value.line,
                           numpy_integer=True)
        return evaluator.unknown(f"numpy.int{bits}() of this value is not followed", None)
    return call


def costly(*values) -> bool:
    """Whether Python's own walk over these values (hashing, comparing, printing them) would visit more than
    a few times MAX_ITEMS items: containers that share their parts (`x = [x, x]` in a loop) grow exponentially
    larger than the memory they take, and a list may hold itself."""
    sizes: dict[int, int | None] = {}  # id -> items below it, counting shared parts each time; None while open
    pending = [(value, False) for value in values]
    total = 0
    while pending:
        value, expanded = pending.pop()
        if not isinstance(value, _CONTAINERS):
            total += len(value) if isinstance(value, str) else 1
        elif expanded:
            flat, children = _parts(value)
            sizes[id(value)] = flat + sum(sizes[id(child)] for child in children)
            if sizes[id(value)] > 4 * MAX_ITEMS:
                return True
        elif id(value) not in sizes:
            sizes[id(value)] = None
            pending.append((value, True))
            for child in _parts(value)[1]:
                if id(child) in sizes and sizes[id(child)] is None:
                    return True  # the container holds itself: Python's walk would not end
                pending.append((child, False))
    return total + sum(sizes[id(value)] for value in values if isinstance(value, _CONTAINERS)) > 4 * MAX_ITEMS


_CONTAINERS = (list, tuple, set, frozenset, dict)


def _parts(container) -> tuple[int, list]:
    """The items directly in a container (strings by their length), and the containers among them."""
    items = [*container.keys(), *container.values()] if isinstance(container, dict) else container
    kinds = set(map(type, items))  # at C speed: most containers hold only numbers
    if kinds.isdisjoint(_CONTAINERS) and str not in kinds:
        return len(items) + 1, []
    children = [item for item in items if isinstance(item, _CONTAINERS)]
    text = sum(len(item) for item in items if isinstance(item, str))
    return len(items) + text + 1, children


def _iterable(evaluator, value):
    """The items a builtin consumes, at most MAX_ITEMS: `sum(range(10**18))` would not end, `list()` of it not fit."""
    items = evaluator.iterate(value, None)
    if items is None:
        raise NotEvaluated("iterable not known statically")
    if length(items) > MAX_ITEMS:
        raise NotEvaluated("sequence too large to analyse")
    return items


_SIZED = (list, tuple, str, dict, set, range)


def length(items) -> int:
    """len(items); more than MAX_ITEMS for a range too long for len()."""
    try:
        return len(items)
    except OverflowError:  # a range longer than sys.maxsize
        return MAX_ITEMS + 1


def _len(evaluator, value):
    if isinstance(value, (list, tuple, str, dict, set, range)):
        return len(value)
    from archlint.graph import Tensor
    if isinstance(value, Tensor) and value.shape and value.shape[0] is not None:
        return value.shape[0]
    return Unknown("len() of a value not known statically")


def _range(evaluator, *args):
    return range(*args)


def _zip(evaluator, *iterables, strict=False):
    lists = [_iterable(evaluator, it) for it in iterables]
    return list(zip(*lists))


def _enumerate(evaluator, iterable, start=0):
    return list(enumerate(_iterable(evaluator, iterable), start))


def _reversed(evaluator, iterable):
    return list(reversed(_iterable(evaluator, iterable)))


def _sorted(evaluator, iterable, reverse=False, key=None):
    if key is not None:
        raise NotEvaluated("sorted() with a key is not evaluated")
    return sorted(_walkable(_iterable(evaluator, iterable)), reverse=reverse)


def _walkable(value):
    """`value`, when Python can hash, compare or print it in bounded time (see `costly`)."""
    if costly(value):
        raise NotEvaluated("value too large to analyse")
    return value


def _aggregate(fn):
    def run(evaluator, *args, **kwargs):
        if kwargs.get("key") is not None:
            raise NotEvaluated("key functions are not evaluated")
        kwargs.pop("key", None)
        values = _walkable(list(args) if len(args) > 1 else _iterable(evaluator, args[0]))
        if any(isinstance(v, Unknown) for v in values):
            return Unknown("aggregate of unknown values")
        return fn(values, **kwargs)
    return run


def _sum(evaluator, iterable, start=0):
    values = _iterable(evaluator, iterable)
    if any(isinstance(v, Unknown) for v in values):
        return Unknown("sum of unknown values")
    if isinstance(start, (list, tuple)):  # Python copies the growing sum at each step: joined once here instead
        wrong = next((v for v in values if not isinstance(v, type(start))), None)
        if wrong is not None:
            kind = type(start).__name__
            raise TypeError(f'can only concatenate {kind} (not "{type(wrong).__name__}") to {kind}')
        if len(start) + sum(len(v) for v in values) > MAX_ITEMS:
            return Unknown("sum of sequences too large to analyse")
        return type(start)(item for part in (start, *values) for item in part)
    return sum(values, start)


def _container(kind):
    def make(evaluator, *args, **kwargs):
        if not args:
            return kind(**kwargs) if kind is dict else kind()
        if isinstance(args[0], Unknown):
            return args[0]
        if kind is dict and isinstance(args[0], dict):
            return {**args[0], **kwargs}
        items = _iterable(evaluator, args[0])
        if kind in (set, dict):
            _walkable(items)
            if unsure_keys([item[0] if kind is dict and isinstance(item, (tuple, list)) and item else item
                            for item in items]):
                return Unknown(f"{kind.__name__}() of values not known statically, which may be equal")
        return dict(items, **kwargs) if kind is dict else kind(items)
    return make


def _isinstance(evaluator, value, kinds):
    names = {k.name for k in (kinds if isinstance(kinds, tuple) else (kinds,)) if isinstance(k, Builtin)}
    checks = {"int": int, "float": float, "str": str, "list": list, "tuple": tuple, "dict": dict, "bool": bool, "set": set}
    if isinstance(value, Unknown) or not names or not names <= set(checks):
        raise NotEvaluated("isinstance() not decidable statically")
    return isinstance(value, tuple(checks[n] for n in names))


def _map(evaluator, function, *iterables):
    lists = [_iterable(evaluator, it) for it in iterables]
    return [evaluator.call(function, list(items), {}, None) for items in zip(*lists)]


def _reduce(evaluator, function, iterable, *initial):
    """functools.reduce: `function` folded over the items from the left, as Python folds them."""
    items = list(_iterable(evaluator, iterable))
    if len(initial) > 1:
        raise TypeError(f"reduce expected at most 3 arguments, got {2 + len(initial)}")
    if not items and not initial:
        raise TypeError("reduce() of empty iterable with no initial value")
    value, rest = (initial[0], items) if initial else (items[0], items[1:])
    for item in rest:
        value = evaluator.call(function, [value, item], {}, None)
    return value


def _partial(evaluator, function, *args, **kwargs):
    return Partial(function, args, kwargs)


class Partial(Builtin):
    """functools.partial of any callable the evaluator knows."""

    def __init__(self, function, args, kwargs):
        super().__init__("partial", None)
        self.function, self.args, self.kwargs = function, args, kwargs

    def __call__(self, evaluator, args, kwargs, node):
        return evaluator.call(self.function, [*self.args, *args], {**self.kwargs, **kwargs}, node)


def _linspace(evaluator, start, stop, num=50, endpoint=True):
    """numpy.linspace on numbers, as a list (the same arithmetic: start + i * step, the end exact)."""
    if not isinstance(num, int) or num < 0 or num > MAX_ITEMS:
        raise NotEvaluated("linspace() size not analysable")
    div = num - 1 if endpoint else num
    step = (stop - start) / div if div > 0 else 0.0
    values = [start + i * step for i in range(num)]
    if endpoint and num > 1:
        values[-1] = stop
    return [float(v) for v in values]


def _wraps(evaluator, wrapped, *args, **kwargs):
    """functools.wraps: the wrapper takes the wrapped function's name."""
    def decorate(evaluator, wrapper):
        return dataclasses.replace(wrapper, name=wrapped.name) if hasattr(wrapped, "name") and \
            dataclasses.is_dataclass(wrapper) else wrapper
    return Builtin("wraps", decorate)


MAX_FORMAT_WIDTH = 10_000


def formatted(value, spec: str) -> str:
    """format(value, spec), refusing what would build a huge string: `f"{0:>1000000000}"`."""
    if costly(value) or _too_wide(spec):
        raise NotEvaluated("formatted value too large to analyse")
    return format(value, spec)


def _too_wide(spec: str) -> bool:
    """A width or precision above MAX_FORMAT_WIDTH, or one computed from the arguments (`{:{}}`)."""
    return "{" in spec or any(len(digits) > 5 or int(digits) > MAX_FORMAT_WIDTH for digits in re.findall(r"\d+", spec))


def method_too_costly(owner, name: str, args, kwargs) -> bool:
    """Whether a str, list or dict method would walk or build more than the size limits allow:
    `"0".zfill(10**12)`, `s.replace("a", s)`, `sep.join(parts)`, a `str.format` field's width."""
    if costly(*args, *kwargs.values()):
        return True
    if not isinstance(owner, str):
        return False
    if name == "format":
        try:
            return any(field is not None and _too_wide(spec) for _, field, spec, _ in string.Formatter().parse(owner))
        except ValueError:
            return False  # a malformed template: str.format raises as Python does
    widths = sum(a for a in args if isinstance(a, int))
    inserted = sum(len(a) for a in args if isinstance(a, str))
    joined = sum(len(part) + len(owner) for a in args if isinstance(a, (list, tuple)) for part in a if isinstance(part, str))
    return len(owner) * (1 + inserted) + widths + joined > MAX_ITEMS



# The methods of Python's containers and strings the evaluator runs on known values.
LIST_METHODS = {"append", "extend", "insert", "pop", "index", "count", "reverse", "copy", "remove", "clear", "sort"}
DICT_METHODS = {"get", "items", "keys", "values", "update", "pop", "setdefault", "copy", "clear", "popitem"}
SET_METHODS = {"add", "discard", "remove", "update", "pop", "clear", "copy", "union", "intersection", "difference",
               "symmetric_difference", "issubset", "issuperset", "isdisjoint", "difference_update",
               "intersection_update", "symmetric_difference_update"}
STR_METHODS = {"format", "join", "upper", "lower", "replace", "split", "rsplit", "strip", "startswith", "endswith",
               "title", "capitalize", "rstrip", "lstrip", "partition", "rpartition", "find", "rfind", "count", "zfill",
               "isdigit", "isalpha", "removeprefix", "removesuffix"}


def has_container_method(value, name: str) -> bool:
    return isinstance(value, list) and name in LIST_METHODS or isinstance(value, dict) and name in DICT_METHODS \
        or isinstance(value, set) and name in SET_METHODS or isinstance(value, str) and name in STR_METHODS


def _unsure(evaluator, owner, name: str, why: str, node):
    """The result of a method on values not known statically: unknown, and so is the container after it where the
    method changes it (under every name that holds it)."""
    reason = f"{name}() {why}"
    if name in _CHANGING:
        evaluator.forget_container(owner, reason, node)
    return evaluator.unknown(reason, node)


# The methods that compare their arguments with the keys or items (`{2: 5}.get(num_classes, 7)`), merge keys, or
# take an index (`layers.insert(i, x)`): an argument not known statically leaves the result unknown, and the container
# unknown after the call where the method changes it. A list's own items are compared too (count, index, remove).
_COMPARING = {dict: {"get", "pop", "setdefault", "update"}, list: {"count", "index", "remove", "insert", "pop"},
              set: SET_METHODS - {"copy", "clear", "pop"}}
_ITEMS_COMPARED = {"count", "index", "remove"}
_CHANGING = {"pop", "setdefault", "update", "remove", "insert", "add", "discard", "sort", "difference_update",
             "intersection_update", "symmetric_difference_update"}


def _plain_value(value, depth: int = 0) -> bool:
    """A value Python's own str methods would see as archlint has it: numbers, strings, None, and containers of
    them (a few levels deep)."""
    if isinstance(value, (str, int, float, bool, type(None))):
        return True
    if depth < 4 and isinstance(value, (list, tuple, set)):
        return all(_plain_value(item, depth + 1) for item in value)
    if depth < 4 and isinstance(value, dict):
        return all(_plain_value(key, depth + 1) and _plain_value(item, depth + 1) for key, item in value.items())
    return False


def call_container_method(evaluator, owner, name: str, args, kwargs, node):
    """`layers.append(x)`, `"{}_conv".format(name)`: run on the values, within the size limits."""
    if isinstance(owner, str) and not all(_plain_value(a) for a in (*args, *kwargs.values())):
        # Python would format or join what the value is at run time (a metric's result, a tensor, a layer).
        return evaluator.unknown("string method on values not known statically", node)
    # A dict's or set's own keys are all known (unsure_keys): walking them at each get() would make a loop filling it
    # quadratic. A set's methods take several others (`s.union(a, b)`).
    compared = args if isinstance(owner, set) else args[:1]
    if name in _COMPARING.get(type(owner), ()) and not costly(*compared) \
            and holds_unknown(*compared, *([owner] if isinstance(owner, list) and name in _ITEMS_COMPARED else [])):
        return _unsure(evaluator, owner, name, "compares values not known statically", node)
    if isinstance(owner, set) and name == "pop":  # which item comes out follows the hashes, random for strings
        return _unsure(evaluator, owner, name, "takes an item in the order of the hashes", node)
    if name == "sort" and (kwargs.keys() - {"reverse"} or holds_unknown(owner, *kwargs.values())):
        return _unsure(evaluator, owner, name, "orders values not known statically", node)
    if method_too_costly(owner, name, args, kwargs):
        return evaluator.unknown(f"{name}() on values too large to analyse", node)
    if isinstance(owner, list) and name == "extend" and args and isinstance(args[0], _SIZED):
        evaluator.check_size(len(owner) + length(args[0]), node)  # before making them: `x.extend(range(10**12))`
    try:
        result = getattr(owner, name)(*args, **kwargs)
    except (TypeError, ValueError, IndexError, KeyError, AttributeError) as exc:
        raise PythonError(type(exc).__name__, f"{name}(): {exc}") from None
    if not isinstance(owner, str):
        evaluator.check_size(len(owner), node)  # `x.extend(x)` in a loop
    if isinstance(result, (type({}.items()), type({}.keys()), type({}.values()))):
        return list(result)
    return result

def _product(values, start):
    """math.prod, each step within the limits of `*`."""
    result = start
    for value in values:
        result = binary("Multiply", result, value, _not_evaluated)
    return result


def _not_evaluated(reason: str):
    raise NotEvaluated(reason)


def _print(evaluator, *args, **kwargs):
    return None


def _opaque(what: str):
    """A builtin whose result depends on state archlint does not follow: files, iterators."""
    return lambda evaluator, *args, **kwargs: Unknown(what)


def _int(evaluator, value=0, base=None):
    if isinstance(value, str) and len(value) > 1000:
        raise NotEvaluated("integer string too long")
    return int(value) if base is None else int(value, base)


def _pow(evaluator, base, exp, mod=None):
    if mod is None:
        return binary("Power", base, exp, Unknown)
    if not all(isinstance(v, int) for v in (base, exp, mod)):
        return Unknown("pow() with a modulus of values not known statically")
    try:
        return pow(base, exp, mod)  # modular: never larger than the modulus, however large the exponent
    except ValueError as exc:
        return Unknown(f"pow() failed statically: {exc}")


def _str(evaluator, value=""):
    if not isinstance(value, (int, float, str, bool, type(None), tuple, list)):
        return Unknown("str() of an object")
    return str(_walkable(value))


EXCEPTIONS: dict[str, ExceptionClass] = {}
for _name, _parent in [("BaseException", None), ("Exception", "BaseException"), ("ArithmeticError", "Exception"),
                       ("LookupError", "Exception"), ("ValueError", "Exception"), ("TypeError", "Exception"),
                       ("KeyError", "LookupError"), ("IndexError", "LookupError"), ("AttributeError", "Exception"),
                       ("ZeroDivisionError", "ArithmeticError"), ("OverflowError", "ArithmeticError"),
                       ("ImportError", "Exception"), ("ModuleNotFoundError", "ImportError"),
                       ("RuntimeError", "Exception"), ("NotImplementedError", "RuntimeError"),
                       ("AssertionError", "Exception"), ("StopIteration", "Exception"), ("OSError", "Exception")]:
    EXCEPTIONS[_name] = ExceptionClass(_name, EXCEPTIONS.get(_parent))

BUILTINS = {name: Builtin(name, fn) for name, fn in {
    "len": _len,
    "range": _range,
    "zip": _zip,
    "enumerate": _enumerate,
    "reversed": _reversed,
    "sorted": _sorted,
    "min": _aggregate(min),
    "max": _aggregate(max),
    "any": _aggregate(lambda values: any(values)),
    "all": _aggregate(lambda values: all(values)),
    "sum": _sum,
    "int": _int,
    "float": _plain(float),
    "str": _str,
    "bool": _plain(bool),
    "round": _plain(round),
    "abs": _plain(abs),
    "divmod": _plain(divmod),
    "chr": _plain(chr),
    "ord": _plain(ord),
    "repr": lambda evaluator, value: repr(value) if isinstance(value, _PLAIN) else Unknown("repr() of an object"),
    "pow": _pow,
    "list": _container(list),
    "tuple": _container(tuple),
    "set": _container(set),
    "dict": _container(dict),
    "isinstance": _isinstance,
    "map": _map,
    "print": _print,
    "open": lambda evaluator, *args, **kwargs: Unknown("open() reads a file at run time"),
    "type": _opaque("type(): classes are not modelled"),  # it reads an object's class, calling nothing
    "iter": _opaque("iter(): iterators are not modelled"),
    "next": _opaque("next(): iterators are not modelled"),
    "super": None,  # needs the method being evaluated: the evaluator answers it
}.items()}

# Pure functions of the standard library, by qualified name.
LIBRARY = {name: Builtin(name, fn) for name, fn in {
    "math.ceil": _plain(math.ceil),
    "math.floor": _plain(math.floor),
    "math.sqrt": _plain(math.sqrt),
    "math.log": _plain(math.log),
    "math.log2": _plain(math.log2),
    "math.prod": lambda evaluator, values, start=1: _product(_iterable(evaluator, values), start),
    "math.gcd": _plain(math.gcd),
    "copy.deepcopy": _plain(copy.deepcopy),
    "copy.copy": _plain(copy.copy),
    "functools.partial": _partial,
    "functools.reduce": _reduce,
    "functools.wraps": _wraps,
    "numpy.linspace": _linspace,
    "numpy.prod": _numpy_product,
    "numpy.ceil": _of_a_number(lambda value: float(math.ceil(value)), "ceil"),  # NumPy rounds to a float
    "numpy.floor": _of_a_number(lambda value: float(math.floor(value)), "floor"),
    "numpy.sqrt": _of_a_number(math.sqrt),
    "numpy.int32": _numpy_integer(32),
    "numpy.int64": _numpy_integer(64),
}.items()}
LIBRARY_CONSTANTS = {"math.pi": math.pi, "math.e": math.e, "math.inf": math.inf,
                     "numpy.pi": math.pi, "numpy.e": math.e, "numpy.inf": math.inf,
                     "numpy.newaxis": None, "tensorflow.newaxis": None}  # x[:, tf.newaxis] is x[:, None]

_BINARY = {
    "Add": operator.add, "Subtract": operator.sub, "Multiply": operator.mul, "Divide": operator.truediv,
    "FloorDivide": operator.floordiv, "Modulo": operator.mod, "Power": operator.pow, "LeftShift": operator.lshift,
    "RightShift": operator.rshift, "BitOr": operator.or_, "BitAnd": operator.and_, "BitXor": operator.xor,
    "MatrixMultiply": operator.matmul,
}


def _too_big(op: str, left, right) -> bool:
    """Refuse results that would allocate without bound: huge repetitions, powers and shifts."""
    if op == "Multiply":
        for seq, count in ((left, right), (right, left)):
            if isinstance(seq, (str, list, tuple)) and isinstance(count, int) and len(seq) * max(count, 0) > MAX_ITEMS:
                return True
    if op == "Multiply" and isinstance(left, int) and isinstance(right, int):
        return left.bit_length() + right.bit_length() > MAX_INT_BITS  # squaring in a loop doubles the size
    if op == "Power" and isinstance(left, int) and isinstance(right, int) and right > 0:
        return abs(left) > 1 and right * max(abs(left).bit_length(), 1) > MAX_INT_BITS
    if op == "LeftShift" and isinstance(left, int) and isinstance(right, int):
        return left.bit_length() + right > MAX_INT_BITS
    if op == "Add" and isinstance(left, (str, list, tuple)) and isinstance(right, type(left)):
        return len(left) + len(right) > MAX_ITEMS
    return False


_PLAIN = (int, float, str, bool, type(None))


def _percent_format(template: str, values, unknown):
    """`"conv_%d" % i`: %-formatting of plain values, with widths bounded so the result stays small."""
    items = values if isinstance(values, tuple) else (values,)
    if not all(isinstance(v, _PLAIN) for v in items) or any(len(n) > 3 for n in re.findall(r"\d+", template)):
        return unknown("%-formatting of values not known statically")
    try:
        return template % values
    except (TypeError, ValueError, KeyError) as exc:
        return unknown(f"%-formatting failed statically: {exc}")


def binary(op: str, left, right, unknown):
    if _too_big(op, left, right):
        return unknown(f"result of {op} too large to analyse")
    if op == "Modulo" and isinstance(left, str):
        result = _percent_format(left, right, unknown)
    else:
        try:
            result = _BINARY[op](left, right)
        except (TypeError, ValueError, ZeroDivisionError, OverflowError, KeyError) as exc:
            return unknown(f"{op} failed statically: {exc}")
    if isinstance(result, (str, list, tuple)) and len(result) > MAX_ITEMS:  # `s = "%s%s" % (s, s)` in a loop
        return unknown(f"result of {op} too large to analyse")
    return result


_COMPARE = {
    "Equal": operator.eq, "NotEqual": operator.ne, "LessThan": operator.lt, "LessThanEqual": operator.le,
    "GreaterThan": operator.gt, "GreaterThanEqual": operator.ge, "Is": operator.is_, "IsNot": operator.is_not,
    "In": lambda a, b: a in b, "NotIn": lambda a, b: a not in b,
}


def holds_unknown(*values) -> bool:
    """Whether a value, or an item, key or value of a container among them, is not known statically: Python's own
    comparison of it (`==`, a dict's or set's hashing) says nothing of the value it stands for (`[num_classes] ==
    [2]` is False, but the number read from data may be 2)."""
    seen, pending = set(), list(values)
    while pending:
        value = pending.pop()
        if isinstance(value, Unknown):
            return True
        if isinstance(value, _CONTAINERS) and id(value) not in seen:
            seen.add(id(value))
            pending.extend(value.items() if isinstance(value, dict) else value)
    return False


def unsure_keys(keys) -> bool:
    """Whether keys of a set or dict may be equal without Python seeing it, or equal to a key looked up later: one is
    not known statically."""
    return holds_unknown(list(keys))


def compare(op: str, left, right) -> bool | None:
    """The comparison's result, or None when an operand is unknown (or holds one)."""
    if isinstance(left, Unknown) or isinstance(right, Unknown):
        return None
    if op in ("In", "NotIn"):  # a set's or dict's keys are not walked (a loop filling one would be quadratic):
        # one with a key not known statically among others is unknown itself (unsure_keys)
        if holds_unknown(left) or not isinstance(right, (dict, set, frozenset)) and holds_unknown(right):
            return None
    elif op not in ("Is", "IsNot") and holds_unknown(left, right):
        return None
    hashed = op in ("In", "NotIn") and isinstance(right, (dict, set))  # only `left` is walked
    if costly(left) or not hashed and costly(right):
        return None
    if op in ("In", "NotIn") and isinstance(right, range) and not isinstance(left, int) \
            and length(right) > MAX_ITEMS:
        return None  # Python would compare with each of its numbers
    if op in ("Is", "IsNot") and (left is None or right is None or isinstance(left, bool) or isinstance(right, bool)):
        return _COMPARE[op](left, right)
    try:
        result = _COMPARE[op](left, right)
    except TypeError:
        return None
    return result if isinstance(result, bool) else None
