"""What archlint finds, as plain data: nothing here refers to the evaluator's live objects."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Diagnostic:
    """One finding: a rule code, its severity and message, and where (1-based lines and columns)."""

    code: str
    severity: str
    message: str
    line: int
    column: int
    end_line: int
    end_column: int
    symbol: str | None = None  # the model (or function) it belongs to
    layer: str | None = None  # the layer's name, when it is about one
    chain: tuple[str, ...] = ()  # in an imported module: the import or call lines that lead there
    cell: int | None = None  # in a notebook, the code cell `line` counts in
