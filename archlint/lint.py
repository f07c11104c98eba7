"""One file through the rule engine: the analysis's findings, the graph rules, the settings and inline suppressions."""

from __future__ import annotations

import io
import re
import tokenize
from dataclasses import replace

from archlint.analysis import FileReport, analyze_source
from archlint.config import Settings
from archlint.rules import all_rules, resolve

ARCHLINT_IGNORE = re.compile(r"archlint:\s*ignore(?:\[([^\]]*)\])?", re.IGNORECASE)
NOQA = re.compile(r"noqa:\s*([A-Z]+[0-9]+(?:[\s,]+[A-Z]+[0-9]+)*)", re.IGNORECASE)
EVERYTHING = ("",)  # the prefix of every code


def lint_file(path: str, settings: Settings, display_path: str | None = None) -> FileReport:
    with open(path, "rb") as handle:
        source = handle.read()
    return lint_source(source, path, settings, display_path)


def lint_source(source: bytes | str, path: str, settings: Settings, display_path: str | None = None) -> FileReport:
    """Every finding for the file at `path` (settings match it), reported under `display_path`."""
    report = analyze_source(source, display_path or path, settings.input_shapes)
    for rule in all_rules():
        if rule.check is not None and settings.selected(rule.code, path):
            report.diagnostics += rule.check(report, settings)
    if settings.verify_budget is not None:
        from archlint.runtime import verify_file  # NumPy and the layers' forwards only when asked for
        report.diagnostics += verify_file(report, settings.verify_budget)
    silenced = suppressions(source)
    report.diagnostics = sorted(
        (replace(d, severity=settings.severity_of(d.code, d.severity)) for d in report.diagnostics
         if settings.selected(d.code, path) and not d.code.startswith(silenced.get(d.line, ()))),
        key=lambda d: (d.line, d.column, d.code))
    return report


def suppressions(source: bytes | str) -> dict[int, tuple[str, ...]]:
    """Line -> the codes and prefixes its comment silences: `# archlint: ignore[AL201]`, `# archlint: ignore`
    (everything) or `# noqa: AL201`. A bare `# noqa` is meant for other linters and silences nothing here."""
    data = source.encode() if isinstance(source, str) else source
    silenced: dict[int, tuple[str, ...]] = {}
    try:
        for token in tokenize.tokenize(io.BytesIO(data).readline):
            if token.type == tokenize.COMMENT:
                codes = _silenced(token.string)
                if codes:
                    silenced[token.start[0]] = codes
    except (tokenize.TokenError, SyntaxError, UnicodeDecodeError):
        pass  # the comments read before the error still count
    return silenced


def _silenced(comment: str) -> tuple[str, ...]:
    codes: list[str] = []
    for match in ARCHLINT_IGNORE.finditer(comment):
        if match.group(1) is None:
            return EVERYTHING
        codes += [resolve(token) for token in match.group(1).split(",")]
    for match in NOQA.finditer(comment):
        codes += [resolve(token) for token in re.split(r"[\s,]+", match.group(1))]
    return tuple(code for code in codes if code)
