"""Markdown: its fenced Python blocks as one Python source, every line where it is in the Markdown file.

Tutorials, READMEs and blog posts show a model in blocks fenced with ```` ```python ```` (or `py`,
`python3`, `ipython`, `ipython3`, Quarto's `{python}`, MyST's `{code-cell} ipython3`), read in
order as one module. Every other line (prose, blocks in other languages, plain ```` ``` ```` fences)
becomes an empty line, so the source has the Markdown file's lines and a finding's line is the
Markdown's own. IPython syntax (`!pip install ...`, `%matplotlib inline`) is made inert as in
notebooks. A block that is still not Python on its own (pseudo-code, console output) is left out,
and said so, instead of losing the whole file.
"""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass, field, replace

from archlint.evaluate.objects import default_line_name
from archlint.sources.notebook import python_text

PYTHON_LANGUAGES = {"python", "py", "python3", "py3", "ipython", "ipython3"}
# An opening fence: three or more backticks or tildes; a backtick fence's info string has no backtick.
OPENING_FENCE = re.compile(r"^( *)(`{3,}(?=[^`]*$)|~{3,})[ \t]*(.*)$")
MYST_OPTION = re.compile(r"^\s*:[\w-]+:")  # `:tags: [hide-input]` heading a MyST code cell


class MarkdownError(Exception):
    """A file named .md that archlint cannot read as text."""


@dataclass
class LeftOut:
    """A Python block that does not parse on its own, and where Python stopped reading it."""

    line: int
    column: int
    reason: str


@dataclass
class MarkdownSource:
    source: str  # one line per Markdown line; empty outside the Python blocks
    indents: dict[int, int] = field(default_factory=dict)  # line -> spaces of fence indentation taken off it
    left_out: list[LeftOut] = field(default_factory=list)

    def column(self, line: int, column: int) -> int:
        """A column of the source as a column of the Markdown line."""
        return column + self.indents.get(line, 0)

    line_name = staticmethod(default_line_name)  # its lines are the Markdown file's

    def place(self, report):
        """The report with every finding at the Markdown line's own columns (its lines are the Markdown's)."""
        report.diagnostics = [replace(d, column=self.column(d.line, d.column),
                                      end_column=self.column(d.end_line, d.end_column)) for d in report.diagnostics]
        return report


def is_markdown(path: str) -> bool:
    return path.lower().endswith((".md", ".markdown"))


def read_markdown(data: bytes) -> MarkdownSource:
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise MarkdownError(f"not UTF-8 text: {exc.reason} at byte {exc.start}") from None
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    source = [""] * len(lines)
    result = MarkdownSource("")
    index = 0
    while index < len(lines):
        opening = OPENING_FENCE.match(lines[index])
        if not opening:
            index += 1
            continue
        indent, fence, info = len(opening.group(1)), opening.group(2), opening.group(3)
        start = index + 1
        end = _closing_fence(lines, start, fence)
        if _is_python(info):
            body = [_unindented(line, indent) for line in lines[start:end]]
            taken = [len(line) - len(kept) for line, kept in zip(lines[start:end], body)]
            if info.lstrip().startswith("{code-cell}"):
                _blank_myst_options(body)
            _place(result, source, start, body, taken)
        index = end + 1
    result.source = "\n".join(source)
    return result


def _closing_fence(lines: list[str], start: int, fence: str) -> int:
    """The index of the line closing the block opened by `fence`; without one the block runs to the end."""
    closing = re.compile(rf"^ *{re.escape(fence[0])}{{{len(fence)},}}[ \t]*$")
    return next((i for i in range(start, len(lines)) if closing.match(lines[i])), len(lines))


def _is_python(info: str) -> bool:
    words = [word.strip("{}.").lower() for word in info.split()]
    if words[:1] == ["code-cell"]:
        words = words[1:]
    return bool(words) and words[0] in PYTHON_LANGUAGES


def _unindented(line: str, indent: int) -> str:
    """The line without up to `indent` leading spaces, as a fence indented `indent` spaces reads its content."""
    spaces = len(line) - len(line.lstrip(" "))
    return line[min(spaces, indent):]


def _blank_myst_options(body: list[str]) -> None:
    """MyST's options before a code cell's code (`:tags: [...]` lines, or a `---` block) are not Python."""
    if body and body[0].strip() == "---":
        closing = next((i for i in range(1, len(body)) if body[i].strip() == "---"), None)
        if closing is not None:
            body[:closing + 1] = [""] * (closing + 1)
            return
    for i, line in enumerate(body):
        if not MYST_OPTION.match(line):
            break
        body[i] = ""


def _place(result: MarkdownSource, source: list[str], start: int, body: list[str], taken: list[int]) -> None:
    """The block's Python at its lines (`start` is the 0-based index of its first line), or why it is left out."""
    block = python_text("\n".join(body))
    if not body or block is None:
        return  # an empty block, or a cell magic running another language (`%%bash`)
    problem = _syntax_problem(block)
    if problem is not None:
        line, column, reason = problem
        line = min(max(line, 1), len(body) or 1)
        result.left_out.append(LeftOut(start + line, column + taken[line - 1], reason))
        return
    for offset, line in enumerate(block.split("\n")):
        source[start + offset] = line
        if taken[offset]:
            result.indents[start + offset + 1] = taken[offset]


def _syntax_problem(block: str) -> tuple[int, int, str] | None:
    """Where and why Python refuses the block on its own; None when it reads it."""
    try:
        ast.parse(block)
    except SyntaxError as exc:
        return exc.lineno or 1, exc.offset or 1, exc.msg
    except (RecursionError, MemoryError):
        return 1, 1, "the code is nested too deeply"
    except ValueError as exc:
        return 1, 1, str(exc)
    return None
