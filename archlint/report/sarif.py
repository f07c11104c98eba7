"""`--output-format sarif`: SARIF 2.1.0 as GitHub code scanning reads it."""

import json
import os

from archlint import __version__

LEVELS = {"error": "error", "warning": "warning", "info": "note"}


def _rule(rule) -> dict:
    help_text = f"{rule.what}\n\nWhy: {rule.why}\n\nFix: {rule.fix}"
    return {
        "id": rule.code,
        "name": rule.name,
        "shortDescription": {"text": rule.summary},
        "fullDescription": {"text": rule.what},
        "help": {"text": help_text, "markdown": f"{rule.what}\n\n**Why.** {rule.why}\n\n**Fix.** {rule.fix}"},
        # No hosted documentation: a stable URN names the rule; `archlint rule CODE` prints it.
        "helpUri": f"urn:archlint:rule:{rule.code}",
        "defaultConfiguration": {"level": LEVELS[rule.severity]},
    }


def _uri(path: str) -> str:
    """The path relative to the working directory, with forward slashes, as code scanning expects."""
    relative = os.path.relpath(os.path.abspath(path))
    return relative.replace(os.sep, "/") if not relative.startswith("..") else os.path.abspath(path).replace(os.sep, "/")


def render(files) -> str:
    from archlint.rules import all_rules

    catalog = all_rules()
    index = {rule.code: i for i, rule in enumerate(catalog)}
    results = []
    for f in files:
        for d in f.diagnostics:
            results.append({
                "ruleId": d.code,
                "ruleIndex": index[d.code],
                "level": LEVELS[d.severity],
                "message": {"text": d.message},
                "locations": [{"physicalLocation": {
                    "artifactLocation": {"uri": _uri(f.path), "uriBaseId": "%SRCROOT%"},
                    "region": {"startLine": max(d.line, 1), "startColumn": max(d.column, 1),
                               "endLine": max(d.end_line, d.line, 1), "endColumn": max(d.end_column, 1)},
                }}],
            })
    document = {
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
        "version": "2.1.0",
        "runs": [{
            "tool": {"driver": {"name": "archlint", "version": __version__, "semanticVersion": __version__,
                                "rules": [_rule(rule) for rule in catalog]}},
            "originalUriBaseIds": {"%SRCROOT%": {"uri": "file://" + os.getcwd().replace(os.sep, "/") + "/"}},
            "results": results,
        }],
    }
    return json.dumps(document, indent=2) + "\n"
