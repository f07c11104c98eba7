"""One file through the rule engine: the analysis's findings, the graph rules, the settings and inline suppressions."""

from __future__ import annotations

import io
import re
import tokenize
from dataclasses import dataclass, field, replace

from archlint.analysis import FileAnalysis, analyze_source, collector_spaced
from archlint.config import Settings
from archlint.errors import InvalidSyntax, Unresolved
from archlint.evaluate.objects import default_line_name
from archlint.sources import SourceError, read_source
from archlint.results import Diagnostic
from archlint.rules import all_rules, resolve
from archlint.rules.al901_unused_suppression import unused_suppressions

ARCHLINT_IGNORE = re.compile(r"archlint:\s*ignore(?:\[([^\]]*)\])?", re.IGNORECASE)
NOQA = re.compile(r"noqa:\s*([A-Z]+[0-9]+(?:[\s,]+[A-Z]+[0-9]+)*)", re.IGNORECASE)
LONG_WORD = re.compile(rb"[\w.]{100,}")
EVERYTHING = ("",)  # the prefix of every code


def lint_file(path: str, settings: Settings, display_path: str | None = None) -> FileAnalysis:
    with open(path, "rb") as handle:
        source = handle.read()
    return lint_data(source, path, settings, display_path)


def lint_data(source: bytes | str, path: str, settings: Settings, display_path: str | None = None) -> FileAnalysis:
    """A file's contents as its reader (sources/) hands them on: one program text, analysed, then every finding
    and layer row moved back to the file's own cells, lines and columns."""
    try:
        program = read_source(source, path)
    except SourceError as exc:
        return _unreadable(str(exc), path, settings, display_path)
    report = program.place(lint_source(program.source, path, settings, display_path, program.line_name))
    if program.left_out and settings.selected(InvalidSyntax.code, path):
        report.diagnostics += [
            Diagnostic(InvalidSyntax.code, settings.severity_of(InvalidSyntax.code, "error"),
                       f"this Python block is not Python on its own ({block.reason}): it is left out",
                       block.line, block.column, block.line, block.column + 1)
            for block in program.left_out]
        report.diagnostics.sort(key=lambda d: (d.line, d.column, d.code))
    return report


def _unreadable(message: str, path: str, settings: Settings, display_path: str | None) -> FileAnalysis:
    report = FileAnalysis(display_path or path)
    if settings.selected(InvalidSyntax.code, path):
        report.diagnostics.append(Diagnostic(InvalidSyntax.code, settings.severity_of(InvalidSyntax.code, "error"),
                                             message, 1, 1, 1, 1))
    return report


def lint_source(source: bytes | str, path: str, settings: Settings, display_path: str | None = None,
                line_name=default_line_name) -> FileAnalysis:
    """Every finding for the file at `path` (settings match it), reported under `display_path`."""
    with collector_spaced():  # the rules walk the same many objects
        report = analyze_source(source, display_path or path, settings.input_shapes, line_name,
                                settings.assume_imports, settings.max_analysis_seconds)
        for rule in all_rules():
            if rule.check is not None and settings.selected(rule.code, path):
                try:
                    report.diagnostics += list(rule.check(report, settings))
                except Unresolved:  # the rule would decide by a named size, which has no value: it says nothing
                    pass
    if settings.verify_budget is not None:
        from archlint.runtime import verify_file  # NumPy and the layers' forwards only when asked for
        report.diagnostics += verify_file(report, settings.verify_budget)
    silenced = suppressions(source)
    kept = [d for d in report.diagnostics if settings.selected(d.code, path)
            and not (d.line in silenced and silenced[d.line].silences(d.code))]
    kept += unused_suppressions(silenced.values(), settings, path)
    report.diagnostics = sorted((replace(d, severity=settings.severity_of(d.code, d.severity)) for d in kept),
                                key=lambda d: (d.line, d.column, d.code))
    return report


@dataclass
class Suppression:
    """A comment that silences findings on its line, and which of its codes did."""

    line: int
    column: int  # where the comment starts and ends, 1-based as findings are
    end_column: int
    codes: tuple[str, ...]  # codes and prefixes; EVERYTHING for a bare `# archlint: ignore`
    unknown: tuple[str, ...] = ()  # what `# archlint: ignore[...]` names that is no rule
    used: set[str] = field(default_factory=set)

    def silences(self, code: str) -> bool:
        matching = {prefix for prefix in self.codes if code.startswith(prefix)}
        self.used |= matching
        return bool(matching)


def suppressions(source: bytes | str) -> dict[int, Suppression]:
    """Line -> its comment's suppression: `# archlint: ignore[AL201]`, `# archlint: ignore` (everything) or
    `# noqa: AL201`. A bare `# noqa`, or one naming only other linters' codes, is left to them."""
    data = source.encode() if isinstance(source, str) else source
    lowered = data.lower()
    if b"archlint" not in lowered and b"noqa" not in lowered:
        return {}  # no comment can silence anything: the file is not tokenized
    # tokenize's number patterns take ~500 bytes per digit of a long number (a megabyte of digits, half a
    # gigabyte): long words become a short one padded with spaces, so lines and columns stay as they were.
    data = LONG_WORD.sub(lambda word: b"0" + b" " * (len(word.group()) - 1), data)
    found: dict[int, Suppression] = {}
    try:
        for token in tokenize.tokenize(io.BytesIO(data).readline):
            if token.type == tokenize.COMMENT:
                codes, unknown = _silenced(token.string)
                if codes or unknown:
                    (line, start), (_, end) = token.start, token.end
                    found[line] = Suppression(line, start + 1, end + 1, codes, unknown)
    except (tokenize.TokenError, SyntaxError, UnicodeDecodeError):
        pass  # the comments read before the error still count
    return found


def _silenced(comment: str) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """The codes a comment silences, and the names in its `archlint: ignore[...]` that are no rule."""
    codes: list[str] = []
    unknown: list[str] = []
    for match in ARCHLINT_IGNORE.finditer(comment):
        if match.group(1) is None:
            return EVERYTHING, ()
        for token in filter(None, (token.strip() for token in match.group(1).split(","))):
            code = resolve(token)
            if code:
                codes.append(code)
            else:
                unknown.append(token)
    for match in NOQA.finditer(comment):
        codes += filter(None, (resolve(token) for token in re.split(r"[\s,]+", match.group(1))))
    return tuple(dict.fromkeys(codes)), tuple(unknown)
