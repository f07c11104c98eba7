"""Compare archlint's report of a file with what real Keras built (keras_truth.py's entry for it)."""

from archlint.analysis import FileReport
from archlint.dims import without_sizes


def _shape(value):
    """A shape as Keras's symbolic build gives it: a named size (an Input's None axis) is None there."""
    if value is None:
        return None
    if isinstance(value, (list, tuple)) and value and isinstance(value[0], (list, tuple)):
        return [_shape(v) for v in value]
    return list(without_sizes(tuple(value)))


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
        for mine, theirs in zip(got, want):
            where = f"{symbol}/{theirs['name']}"
            if mine.type != theirs["type"]:
                problems.append(f"{where}: type {mine.type}, Keras {theirs['type']}")
            want_shape = KERAS_SYMBOLIC_SHAPE_BUGS.get((stem, theirs["name"]), theirs["output_shape"])
            if want_shape is not None and _shape(mine.output_shape) != _shape(want_shape):
                problems.append(f"{where}: output shape {mine.output_shape}, Keras {want_shape}")
            if mine.params != theirs["params"]:
                problems.append(f"{where}: {mine.params} params, Keras {theirs['params']}")
        total = _unique_total(expected["layers"]) if symbol == "<module>" else expected["total"]
        if model.total_params != total:
            problems.append(f"{symbol}: total {model.total_params}, Keras {total}")
        if "trainable" in expected and model.trainable_params != expected["trainable"]:
            problems.append(f"{symbol}: trainable {model.trainable_params}, Keras {expected['trainable']}")
    return problems
