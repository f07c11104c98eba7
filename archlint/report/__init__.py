"""Report formats: each turns a list of FileReports into text."""

import os


def plural(count: int, word: str) -> str:
    return f"{count} {word}{'' if count == 1 else 's'}"


def position(d) -> str:
    """`line:column` of a finding; in a notebook `cell N:line:column`, the line counted within the cell."""
    return f"{'' if d.cell is None else f'cell {d.cell}:'}{d.line}:{d.column}"


def line_label(item) -> str:
    """Where a model or layer was made: `line 7`, or `cell 3, line 2` in a notebook."""
    return f"{'' if item.cell is None else f'cell {item.cell}, '}line {item.line}"


def workspace_path(path: str) -> str:
    """The path relative to the working directory with forward slashes, as CI annotations and code scanning
    locate files; an absolute path when the file lies outside it."""
    absolute = os.path.abspath(path)
    relative = os.path.relpath(absolute)
    return (absolute if relative.startswith("..") else relative).replace(os.sep, "/")


def expanded_rows(model, expand_nested: bool = False, depth: int = 0):
    """(depth, row) for each row of the model's table; with `expand_nested`, a model used as a layer is followed
    by its own rows one level deeper, as Keras's summary(expand_nested=True) lists them."""
    for row in model.layers:
        yield depth, row
        nested = getattr(row, "nested", None)
        if expand_nested and nested is not None:
            yield from expanded_rows(nested, True, depth + 1)
