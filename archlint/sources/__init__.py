"""Readers of the files archlint checks: each hands on one Python program text and where its lines are.

- `.py`: the file itself (lint.lint_source).
- `.ipynb` (notebook.py): the code cells joined into one program; `Notebook.locate` maps a line of
  it back to (cell, line within the cell).
- `.md` (markdown.py): the fenced Python blocks at their own lines, everything else blank lines;
  `MarkdownSource.column` maps a column back to the Markdown line's.

Nothing after a reader knows which kind of file it was: the analysis sees the program text, and
findings and layer rows are moved back to the file's own cells, lines and columns afterwards.
"""
