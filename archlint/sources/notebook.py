"""Jupyter notebooks: their code cells as one Python source, and each line of it back to its cell.

The code cells are joined in order, as running the notebook top to bottom would see them. IPython's
own syntax (`%matplotlib inline`, `!pip install ...`, `x = !ls`, `model.summary?`) is not Python: such a
line becomes `...` (`x = ...` for `x = !ls`), which does nothing and keeps every line and column where
it was. A cell under a cell magic (`%%bash`, `%%writefile`) is another language and is left out,
except under the magics that run Python (`%%time`, `%%capture`, ...).
"""

from __future__ import annotations

import ast
import bisect
import json
import re
from dataclasses import dataclass, replace

from archlint.results import Diagnostic

# Cell magics whose body is Python, run as is.
PYTHON_CELL_MAGICS = {"time", "timeit", "capture", "prun", "debug"}
LINE_MAGIC = re.compile(r"^(\s*(?:[\w.]+\s*=\s*)?)[%!](?!=)")  # `x = !ls` keeps `x = `: x is bound, its value unknown
HELP = re.compile(r"^(\s*)[\w.]+\?\??\s*$")


class NotebookError(Exception):
    """A file named .ipynb that is not a notebook archlint can read."""


@dataclass
class Notebook:
    source: str
    cell_starts: list[int]  # the 1-based source line where each code cell begins
    cell_numbers: list[int]  # each of those cells' 1-based index among the notebook's code cells
    left_out = ()  # a cell in another language (%%bash) is not Python: left out without a finding

    def locate(self, line: int) -> tuple[int, int]:
        """A source line as (code cell number, line within that cell), both 1-based."""
        index = max(bisect.bisect_right(self.cell_starts, line) - 1, 0)
        return self.cell_numbers[index], line - self.cell_starts[index] + 1

    def line_name(self, line: int) -> str:
        cell, within = self.locate(line)
        return f"cell {cell}, line {within}"

    def place(self, report):
        """The report with every finding and layer row at its cell and line within the cell."""
        def moved(item, **changes):
            if item.line is None:
                return replace(item, **changes)
            cell, line = self.locate(item.line)
            if isinstance(item, Diagnostic):
                end_cell, end_line = self.locate(item.end_line)
                changes.update(zip(("end_line", "end_column"),
                                   (end_line, item.end_column) if end_cell == cell else (line, item.column)))
            return replace(item, cell=cell, line=line, **changes)

        report.diagnostics = [moved(d) for d in report.diagnostics]
        report.models = [moved(model, layers=[moved(row) for row in model.layers]) for model in report.models]
        return report


def is_notebook(path: str) -> bool:
    return path.endswith(".ipynb")


def read_notebook(data: bytes) -> Notebook:
    try:
        document = json.loads(data)
    except (UnicodeDecodeError, ValueError) as exc:
        raise NotebookError(f"not a notebook: {exc}") from None
    except RecursionError:
        raise NotebookError("not a notebook: JSON nested too deeply") from None
    cells = document.get("cells") if isinstance(document, dict) else None
    if not isinstance(cells, list):
        raise NotebookError("not a notebook in nbformat 4: no list of cells")
    parts, starts, numbers = [], [], []
    line = 1
    code_cells = (cell for cell in cells if isinstance(cell, dict) and cell.get("cell_type") == "code")
    for number, cell in enumerate(code_cells, start=1):
        text = python_text(_cell_text(cell.get("source", "")))
        if text is None:
            continue
        if not text.endswith("\n"):
            text += "\n"
        parts.append(text)
        starts.append(line)
        numbers.append(number)
        line += text.count("\n")
    return Notebook("".join(parts), starts or [1], numbers or [1])


def _cell_text(source) -> str:
    if isinstance(source, list):
        return "".join(piece for piece in source if isinstance(piece, str))
    return source if isinstance(source, str) else ""


def python_text(text: str) -> str | None:
    """The cell as Python, IPython syntax made inert; None for a cell in another language."""
    lines = text.split("\n")
    if lines[0].lstrip().startswith("%%"):
        magic = lines[0].lstrip()[2:].split(maxsplit=1)
        if not magic or magic[0] not in PYTHON_CELL_MAGICS:
            return None
        lines[0] = ""
    if _is_python("\n".join(lines)):
        return "\n".join(lines)  # a continued `% x` or `!= y` line is Python's, not a magic
    for index, line in enumerate(lines):
        inert = LINE_MAGIC.match(line) or HELP.match(line)
        if inert:
            lines[index] = inert.group(1) + "..."
    return "\n".join(lines)


def _is_python(text: str) -> bool:
    try:
        ast.parse(text)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return False
    return True
