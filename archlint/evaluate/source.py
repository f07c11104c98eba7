"""Source text to libcst's tree, for the checked file and the project modules it imports.

Every input ends as a tree or as a refusal with a finding; none may crash or exhaust the process.
CPython's parser and compiler read the file first (the bytecode is thrown away: nothing runs). They
refuse what Python itself refuses (AL001), including nesting too deep for their own stack. Two
limits then protect libcst, whose native parser has no such guard: it nests an `and`/`or` chain
one level per operand (CPython keeps it flat), so a long chain would overflow its stack and kill
the process; its memory grows with the square of the nesting, and by kilobytes per syntax node.
"""

from __future__ import annotations

import ast

import libcst as cst

from archlint.errors import InvalidSyntax, Unresolved

MAX_NODES = 100_000  # syntax nodes in one file; Keras's largest non-test module has 45,000
MAX_DEPTH = 500  # nesting as libcst builds it (its memory grows with the square); real code stays below 50


class Refused(Exception):
    """A source archlint does not analyse, with the finding that says why."""

    def __init__(self, code: str, message: str, line: int, column: int):
        super().__init__(message)
        self.code, self.message, self.line, self.column = code, message, line, column


def parse(source: bytes | str) -> cst.Module:
    try:
        tree = ast.parse(source)
    except SyntaxError as exc:
        raise Refused(InvalidSyntax.code, f"cannot parse: {exc.msg}", exc.lineno or 1, exc.offset or 1) from None
    except (RecursionError, MemoryError):
        raise Refused(InvalidSyntax.code, "cannot parse: the code is nested too deeply", 1, 1) from None
    except ValueError as exc:
        raise Refused(InvalidSyntax.code, f"cannot parse: {exc}", 1, 1) from None
    _check_size(tree)
    try:
        # Python's checks past the grammar (`return` outside a function, a repeated argument): compiling
        # to bytecode that is thrown away; nothing runs.
        compile(tree, "<checked file>", "exec", dont_inherit=True)
    except SyntaxError as exc:
        raise Refused(InvalidSyntax.code, f"cannot compile: {exc.msg}", exc.lineno or 1, exc.offset or 1) from None
    except (RecursionError, MemoryError):
        raise Refused(InvalidSyntax.code, "cannot compile: the code is nested too deeply", 1, 1) from None
    # Python accepts the file from here on: what libcst cannot read is archlint's limit, not a syntax error.
    try:
        return cst.parse_module(source)
    except cst.ParserSyntaxError as exc:
        raise Refused(Unresolved.code, f"archlint's parser cannot read this file: {exc.message}", exc.raw_line,
                      exc.raw_column + 1) from None
    except (UnicodeDecodeError, ValueError) as exc:
        raise Refused(Unresolved.code, f"archlint's parser cannot read this file: {exc}", 1, 1) from None


def _check_size(tree: ast.Module) -> None:
    count = 0
    pending = [(tree, 0)]
    while pending:
        node, depth = pending.pop()
        count += 1
        if count > MAX_NODES:
            raise Refused(Unresolved.code, f"file too large to analyse: more than {MAX_NODES} syntax nodes", 1, 1)
        depth += len(node.values) if isinstance(node, ast.BoolOp) else 1
        if depth > MAX_DEPTH:
            raise Refused(Unresolved.code, "code nested too deeply to analyse", getattr(node, "lineno", 1),
                          getattr(node, "col_offset", 0) + 1)
        pending.extend((child, depth) for child in ast.iter_child_nodes(node))
