"""`--output-format github`: workflow commands that GitHub Actions shows as annotations.

An annotation is drawn on the file's own text: a notebook's finding points at the .ipynb text where
its code is written, and its message names the cell and the line within it.
"""

from archlint.report import workspace_path
from archlint.report.notebook_text import file_span, read_notebook_text

LEVELS = {"error": "error", "warning": "warning", "info": "notice"}


def _escape_data(text: str) -> str:
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _escape_property(text: str) -> str:
    return _escape_data(text).replace(":", "%3A").replace(",", "%2C")


def render(files) -> str:
    lines = []
    for f in files:
        path = _escape_property(workspace_path(f.path))
        notebook = read_notebook_text(f.path) if any(d.cell is not None for d in f.diagnostics) else None
        for d in f.diagnostics:
            (line, column), (end_line, end_column) = \
                ((d.line, d.column), (d.end_line, d.end_column)) if d.cell is None else file_span(notebook, d)
            properties = ",".join([
                f"file={path}", f"line={line}", f"col={column}",
                f"endLine={end_line}", f"endColumn={end_column}", f"title={_escape_property(d.code)}",
            ])
            message = d.message if d.cell is None else f"cell {d.cell}, line {d.line}: {d.message}"
            lines.append(f"::{LEVELS[d.severity]} {properties}::{_escape_data(message)}")
    return "".join(line + "\n" for line in lines)
