"""Where a notebook's code sits in the .ipynb file's own text, which is what code scanning shows.

A finding in a notebook is located by code cell and the line within it. Tools that show the file
itself (GitHub code scanning draws the alert on the raw JSON and fingerprints the line there) need
the line and column of the .ipynb text where that code is written: each source line is a JSON
string, usually on a line of its own (`    "x = layers.Conv2D(2, 5)(x)\\n",`), or all of a cell in one
string. This reads the JSON's structure only as far as the code cells' `source` strings, with
their offsets, and decodes those strings character by character to know where each one came from.
"""

from __future__ import annotations

import bisect
import re
from json.decoder import scanstring

SPACE = re.compile(r"[ \t\n\r]*")
PLAIN = re.compile(r'[^"\[\]{}]+')  # anything in a skipped value but strings and brackets
SCALAR = re.compile(r"[^\s,\]}]+")


def read_notebook_text(path: str) -> NotebookText | None:
    try:
        with open(path, "rb") as handle:
            return NotebookText(handle.read().decode("utf-8-sig"))
    except (OSError, UnicodeDecodeError, ValueError):
        return None


def file_span(notebook: NotebookText | None, d) -> tuple[tuple[int, int], tuple[int, int]]:
    """A notebook finding's start and end (line, column) in the .ipynb text; its first line when the file
    changed or went since it was checked."""
    start = notebook and notebook.position(d.cell, d.line, d.column) or (1, 1)
    end = notebook and notebook.position(d.cell, d.end_line, d.end_column) or start
    return start, end


class NotebookText:
    """Cell-relative positions (code cells counted from 1, as findings count them) to the file's positions."""

    def __init__(self, text: str):
        self.text = text
        self.newlines = [i for i, char in enumerate(text) if char == "\n"]
        self.cells = [_decoded_lines(text, spans) for spans in _code_cell_sources(text)]

    def position(self, cell: int, line: int, column: int) -> tuple[int, int] | None:
        """The file's 1-based (line, column) of a cell's 1-based line and column; None when there is none."""
        if not 1 <= cell <= len(self.cells) or not 1 <= line <= len(self.cells[cell - 1]):
            return None
        offsets = self.cells[cell - 1][line - 1]
        offset = offsets[min(max(column, 1), len(offsets)) - 1]
        file_line = bisect.bisect_left(self.newlines, offset)
        start = self.newlines[file_line - 1] + 1 if file_line else 0
        return file_line + 1, offset - start + 1


def _decoded_lines(text: str, spans: list[tuple[int, int]]) -> list[list[int]]:
    """Per line of the cell's code, the file offset of each of its characters, ending with its newline's
    (or, on the last line, the closing quote's): a column one past the end is found too."""
    lines: list[list[int]] = [[]]
    for start, end in spans:
        at = start
        while at < end:
            lines[-1].append(at)
            if text.startswith("\\n", at) or text[at:at + 6].lower() == "\\u000a":  # JSON holds no raw newline
                lines.append([])
            at += _escape_width(text, at) if text[at] == "\\" else 1
    lines[-1].append(spans[-1][1] if spans else 0)
    return lines


def _escape_width(text: str, at: int) -> int:
    """How many characters of the file one escaped character takes (`\\n`: 2, `\\u00e9`: 6, a surrogate pair: 12)."""
    if text[at + 1:at + 2] != "u":
        return 2
    if re.match(r"\\u[dD][89abAB][0-9a-fA-F]{2}\\u[dD][c-fC-F][0-9a-fA-F]{2}", text[at:at + 12]):
        return 12
    return 6


def _code_cell_sources(text: str) -> list[list[tuple[int, int]]]:
    """For each code cell, the spans (between the quotes) of the strings its `source` is made of."""
    reader = _Reader(text)
    found = []
    for key in reader.members():
        if key != "cells" or reader.peek() != "[":
            reader.skip_value()
            continue
        found = []  # a repeated key counts once, its last value, as json.loads reads it
        for _ in reader.items():
            if reader.peek() != "{":
                reader.skip_value()
                continue
            kind, spans = None, []
            for cell_key in reader.members():
                if cell_key == "cell_type" and reader.peek() == '"':
                    kind = reader.string()[0]
                elif cell_key == "source" and reader.peek() == "[":
                    spans = []
                    for _ in reader.items():
                        if reader.peek() == '"':
                            spans.append(reader.string()[1])
                        else:
                            reader.skip_value()
                elif cell_key == "source" and reader.peek() == '"':
                    spans = [reader.string()[1]]
                else:
                    reader.skip_value()
            if kind == "code":
                found.append(spans)
    return found


class _Reader:
    """JSON read in place, keeping offsets: objects' keys and arrays' items one by one, other values skipped."""

    def __init__(self, text: str):
        self.text, self.at = text, 0

    def peek(self) -> str:
        self.at = SPACE.match(self.text, self.at).end()
        return self.text[self.at:self.at + 1]

    def take(self, char: str) -> bool:
        if self.peek() == char:
            self.at += 1
            return True
        return False

    def string(self) -> tuple[str, tuple[int, int]]:
        """The string here and the span of its characters between the quotes."""
        if not self.take('"'):
            raise ValueError(f"expected a string at offset {self.at}")
        start = self.at
        value, self.at = scanstring(self.text, start)
        return value, (start, self.at - 1)

    def members(self):
        """Each key of the object here, the reader left at its value (which the caller must read or skip)."""
        if not self.take("{"):
            raise ValueError(f"expected an object at offset {self.at}")
        if self.take("}"):
            return
        while True:
            key = self.string()[0]
            if not self.take(":"):
                raise ValueError(f"expected ':' at offset {self.at}")
            yield key
            if self.take("}"):
                return
            if not self.take(","):
                raise ValueError(f"expected ',' or '}}' at offset {self.at}")

    def items(self):
        if not self.take("["):
            raise ValueError(f"expected an array at offset {self.at}")
        if self.take("]"):
            return
        while True:
            yield
            if self.take("]"):
                return
            if not self.take(","):
                raise ValueError(f"expected ',' or ']' at offset {self.at}")

    def skip_value(self) -> None:
        first = self.peek()
        if first == '"':
            self.string()
        elif first in ("[", "{"):
            depth = 0
            while self.at < len(self.text):
                char = self.text[self.at]
                if char == '"':
                    self.string()
                    continue
                depth += (char in "[{") - (char in "]}")
                self.at += 1
                if depth == 0:
                    return
                plain = PLAIN.match(self.text, self.at)
                if plain:
                    self.at = plain.end()
            raise ValueError("unterminated JSON value")
        else:
            scalar = SCALAR.match(self.text, self.at)
            if not scalar:
                raise ValueError(f"expected a value at offset {self.at}")
            self.at = scalar.end()
