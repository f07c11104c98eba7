"""What the reports add to Keras's summary: per layer its MACs, share of the parameters and activation size.

A row counts every application of its layer in the model (a shared layer is paid each time it
runs). Batch axes count as given, and as 1 where unknown, so a model built on `keras.Input`
is costed per sample. The rows carry their costs (results.LayerRow); here they are summed and
written out.
"""

from __future__ import annotations

from archlint.dims import is_size
from archlint.report import plural

def param_share(row, model) -> float | None:
    """The row's parameters as a fraction of the model's (the outer model's, for a nested model's row); None
    when unknown or the model has none."""
    if row.params is None or is_size(row.params) or is_size(model.total_params) or not model.total_params:
        return None
    return row.params / model.total_params


def known_total(values) -> tuple[int, int]:
    """(the sum of the known values, how many are unknown)."""
    known = [value for value in values if value is not None]
    return sum(known), len(values) - len(known)


def model_macs(model) -> tuple[int, int]:
    return known_total([row.macs for row in model.layers])


def model_activation_bytes(model) -> tuple[int, int]:
    return known_total([row.activation_bytes for row in model.layers])


def count_text(count) -> str:
    """A count as the reports write it: with thousands separators, an expression of named sizes as it reads
    (a Size, or the string the JSON report holds), or ? when unknown."""
    return "?" if count is None else count if isinstance(count, str) else f"{count:,}"


def unknown_layers(count: int) -> str:
    """What a total leaves out: nothing, or " + ? from N layers"."""
    return f" + ? from {plural(count, 'layer')}" if count else ""


def byte_size(count: int) -> str:
    """Bytes as Keras's summary prints sizes: 1024-based units, two decimals; an expression of named sizes as it is."""
    if is_size(count):
        return f"{count} B"
    scale = 1
    for unit in ("B", "KB", "MB", "GB"):
        if count < 1024 * scale:
            return f"{_scaled(count, scale)} {unit}"
        scale *= 1024
    return f"{_scaled(count, scale)} TB"


def macs_text(count: int) -> str:
    """A MAC count with commas, and in thousands, millions or billions (decimal, as MACs are quoted) from 1,000;
    an expression of named sizes as it is."""
    if is_size(count):
        return str(count)
    for unit, scale in (("G", 10 ** 9), ("M", 10 ** 6), ("K", 10 ** 3)):
        if count >= scale:
            return f"{count:,} ({_scaled(count, scale)} {unit})"
    return f"{count:,}"


def _scaled(count: int, scale: int) -> str:
    """count / scale with two decimals; past 10**15, as a power of ten (a float could not even hold some)."""
    quotient = count // scale
    if quotient < 10 ** 15:
        return f"{count / scale:.2f}"
    digits = str(quotient)
    return f"{digits[0]}.{digits[1:3]}e+{len(digits) - 1}"
