"""Readers of the files archlint checks: each hands on one Python program text and where its lines are.

- `.py` (python.py): the file itself.
- `.ipynb` (notebook.py): the code cells joined into one program; `Notebook.locate` maps a line of
  it back to (cell, line within the cell).
- `.md` (markdown.py): the fenced Python blocks at their own lines, everything else blank lines;
  `MarkdownSource.column` maps a column back to the Markdown line's.

What a reader hands on: `source` (the program text), `line_name(line)` (how messages name a line),
`left_out` (the blocks not read, each with its line, column and reason) and `place(report)` (the
report with its findings and layer rows moved back to the file's own cells, lines and columns).
Nothing after a reader knows which kind of file it was.
"""

from __future__ import annotations

from archlint.sources.markdown import MarkdownError, is_markdown, read_markdown
from archlint.sources.notebook import NotebookError, is_notebook, read_notebook
from archlint.sources.python import read_python


class SourceError(Exception):
    """A file its reader cannot read: the message says why."""


# By the path's suffix: (whether it is that kind, its reader, what the reader raises, the kind as messages name it).
READERS = (
    (is_notebook, read_notebook, NotebookError, "the notebook"),
    (is_markdown, read_markdown, MarkdownError, "the Markdown file"),
)


def read_source(data: bytes | str, path: str):
    """The program text of a file's contents, read as its path's suffix says: a notebook, Markdown, else Python."""
    for is_kind, read, error, kind in READERS:
        if is_kind(path):
            try:
                return read(data.encode() if isinstance(data, str) else data)
            except error as exc:
                raise SourceError(f"cannot read {kind}: {exc}") from None
    return read_python(data)
