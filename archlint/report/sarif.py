"""`--output-format sarif`: SARIF 2.1.0 as GitHub code scanning reads it.

Code scanning shows a finding on the file's own text and fingerprints the line it names, so a
notebook's finding points at the .ipynb text where its code is written (the JSON string of that
line), with the cell in a logical location and in the message.
"""

import json
import os
import pathlib
import urllib.parse

from archlint.version import __version__
from archlint.report import workspace_path
from archlint.report.notebook_text import NotebookText, file_span, read_notebook_text

LEVELS = {"error": "error", "warning": "warning", "info": "note"}
SCHEMA = "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json"
ROOT = "%SRCROOT%"


def _rule(rule) -> dict:
    example = f"\n\nExample:\n\n{rule.fires[0]}" if rule.fires else ""
    markdown_example = f"\n\n**Example.**\n\n```python\n{rule.fires[0]}```" if rule.fires else ""
    return {
        "id": rule.code,
        "name": rule.name,
        "shortDescription": {"text": rule.summary},
        "fullDescription": {"text": rule.what},
        "help": {"text": f"{rule.what}\n\nWhy: {rule.why}{example}\n\nFix: {rule.fix}",
                 "markdown": f"{rule.what}\n\n**Why.** {rule.why}{markdown_example}\n\n**Fix.** {rule.fix}"},
        # No hosted documentation: a stable URN names the rule; `archlint rule CODE` prints it.
        "helpUri": f"urn:archlint:rule:{rule.code}",
        "defaultConfiguration": {"level": LEVELS[rule.severity]},
    }


def _location(path: str) -> dict:
    """Relative to %SRCROOT% (the working directory) when the file is under it, else an absolute file URI."""
    workspace = workspace_path(path)
    if os.path.isabs(workspace):
        return {"uri": pathlib.Path(workspace).as_uri()}
    return {"uri": urllib.parse.quote(workspace), "uriBaseId": ROOT}


def _region(start: tuple[int, int], end: tuple[int, int]) -> dict:
    """SARIF regions are 1-based with an exclusive end column, as archlint's positions are."""
    start_line, start_column = max(start[0], 1), max(start[1], 1)
    end_line = max(end[0], start_line)
    end_column = max(end[1], start_column if end_line == start_line else 1)
    return {"startLine": start_line, "startColumn": start_column, "endLine": end_line, "endColumn": end_column}


def _result(d, location: dict, notebook: NotebookText | None, index: dict) -> dict:
    """A finding; in a notebook, at the .ipynb text where its code is written, naming its cell."""
    result = {"ruleId": d.code, "ruleIndex": index[d.code], "level": LEVELS[d.severity],
              "message": {"text": d.message}}
    start, end = (d.line, d.column), (d.end_line, d.end_column)
    if d.cell is not None:
        result["message"]["text"] = f"cell {d.cell}, line {d.line}: {d.message}"
        start, end = file_span(notebook, d)
    place = {"physicalLocation": {"artifactLocation": location, "region": _region(start, end)}}
    if d.cell is not None:
        place["logicalLocations"] = [{"name": f"cell {d.cell}"}]
    result["locations"] = [place]
    return result


def render(files) -> str:
    from archlint.rules import all_rules

    catalog = all_rules()
    index = {rule.code: i for i, rule in enumerate(catalog)}
    results = []
    for f in files:
        location = _location(f.path)
        notebook = read_notebook_text(f.path) if any(d.cell is not None for d in f.diagnostics) else None
        results += [_result(d, location, notebook, index) for d in f.diagnostics]
    document = {
        "$schema": SCHEMA,
        "version": "2.1.0",
        "runs": [{
            "tool": {"driver": {"name": "archlint", "version": __version__, "semanticVersion": __version__,
                                "rules": [_rule(rule) for rule in catalog]}},
            "originalUriBaseIds": {ROOT: {"uri": pathlib.Path(os.getcwd()).as_uri().rstrip("/") + "/"}},
            "columnKind": "unicodeCodePoints",  # libcst counts columns in characters
            "results": results,
        }],
    }
    return json.dumps(document, indent=2) + "\n"
