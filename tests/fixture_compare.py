"""Compare archlint's report of a file with what real Keras built (keras_truth.py's entry for it)."""

from archlint.analysis import FileReport
from archlint.dims import Size, from_data

# Sizes a number read from data is tried at, where its expression is not linear in it.
SEARCHED_SIZES = range(1, 4097)


def _shape(value, numbers: dict | None = None):
    """A shape as Keras's symbolic build gives it: a named size (an Input's None axis) is None there; a number
    read from data is the number Keras had, as `numbers` gives it."""
    if value is None:
        return None
    if isinstance(value, (list, tuple)) and value and isinstance(value[0], (list, tuple)):
        return [_shape(v, numbers) for v in value]
    return [_number(d, numbers or {}) if from_data(d) else None if isinstance(d, Size) else d for d in value]


def _number(value, numbers: dict):
    """A count as Keras had it: an expression of numbers read from data at the values Keras had for them (itself
    when they are not all known)."""
    if isinstance(value, Size) and value.names() <= numbers.keys():
        return value.value(numbers)
    return value


def _pairs(ours, theirs):
    """(archlint's, Keras's) for every dimension of two shapes, or lists of them."""
    if isinstance(ours, (list, tuple)) and isinstance(theirs, (list, tuple)) and len(ours) == len(theirs):
        for a, b in zip(ours, theirs):
            yield from _pairs(a, b)
    elif ours is not None and not isinstance(ours, (list, tuple)):
        yield ours, theirs


def data_numbers(pairs) -> dict:
    """Values of the numbers read from data under which archlint's expressions give Keras's numbers: each found
    from an expression in it alone (then checked against every other where it matters). Keras ran the code on its
    data; archlint names what it could not read, and this recovers what it was, so that each expression is checked."""
    numbers, pairs = {}, [(a, b) for a, b in pairs if isinstance(a, Size) and from_data(a) and isinstance(b, int)]
    found = True
    while found:
        found = False
        for ours, theirs in pairs:
            missing = ours.names() - numbers.keys()
            if len(missing) != 1:
                continue
            name = missing.pop()
            value = next((n for n in SEARCHED_SIZES if ours.value({**numbers, name: n}) == theirs), None)
            if value is not None:
                numbers[name], found = value, True
    return numbers


# Where Keras's symbolic shape is wrong and archlint gives what Keras computes when it runs.
# Keras 3.15's MultiHeadAttention.compute_output_spec sizes the attention scores
# (batch, heads, Tq, Tq) whatever the value's length; executing the layer gives
# (batch, heads, Tq, Tv), which tests/layers/test_rnn_attention.py checks against real Keras.
KERAS_SYMBOLIC_SHAPE_BUGS = {
    ("multi_head_attention_options", "multi_head_attention_3"): [[None, 10, 16], [None, 4, 10, 20]],
}


def _rows(layers):
    return [row for row in layers if row["type"] != "InputLayer"]


def _unique_total(rows) -> int:
    """Layers called outside a model: a layer applied twice holds one set of weights."""
    return sum({row["name"]: row["params"] or 0 for row in rows}.values())


def mismatches(report: FileReport, truth: dict, stem: str = "") -> list[str]:
    """Every difference between archlint and Keras, row by row: type, output shape, params, totals.

    A factory that a module-level call already used is not reported again (interface spec),
    so Keras's extra entry for it is not expected.
    """
    problems = []
    ours = {m.symbol: m for m in report.models}
    factories_used = {m.factory for m in report.models if getattr(m, "factory", None)}
    for symbol, expected in truth["models"].items():
        if "error" in expected or symbol in factories_used:
            continue  # a factory Keras could not call, or one whose model is reported under its variable
        model = ours.get(symbol)
        if model is None:
            problems.append(f"{symbol}: not found by archlint (found {sorted(ours)})")
            continue
        want = _rows(expected["layers"])
        got = [r for r in model.layers if r.type != "InputLayer"]
        if len(got) != len(want):
            problems.append(f"{symbol}: {len(got)} layers, Keras lists {len(want)}: "
                            f"{[r.name for r in got]} vs {[r['name'] for r in want]}")
            continue
        pairs = [(model.total_params, expected.get("total"))]
        for mine, theirs in zip(got, want):
            pairs += [(mine.params, theirs["params"]), *_pairs(mine.output_shape, theirs["output_shape"])]
        numbers = data_numbers(pairs)
        for mine, theirs in zip(got, want):
            where = f"{symbol}/{theirs['name']}"
            if mine.type != theirs["type"]:
                problems.append(f"{where}: type {mine.type}, Keras {theirs['type']}")
            want_shape = KERAS_SYMBOLIC_SHAPE_BUGS.get((stem, theirs["name"]), theirs["output_shape"])
            if want_shape is not None and _shape(mine.output_shape, numbers) != _shape(want_shape):
                problems.append(f"{where}: output shape {mine.output_shape}, Keras {want_shape}")
            if _number(mine.params, numbers) != theirs["params"]:
                problems.append(f"{where}: {mine.params} params, Keras {theirs['params']}")
        total = _unique_total(expected["layers"]) if symbol == "<module>" else expected["total"]
        if _number(model.total_params, numbers) != total:
            problems.append(f"{symbol}: total {model.total_params}, Keras {total}")
        if "trainable" in expected and _number(model.trainable_params, numbers) != expected["trainable"]:
            problems.append(f"{symbol}: trainable {model.trainable_params}, Keras {expected['trainable']}")
    return problems
