"""`--output-format github`: workflow commands that GitHub Actions shows as annotations."""

from archlint.report import workspace_path

LEVELS = {"error": "error", "warning": "warning", "info": "notice"}


def _escape_data(text: str) -> str:
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _escape_property(text: str) -> str:
    return _escape_data(text).replace(":", "%3A").replace(",", "%2C")


def render(files) -> str:
    lines = []
    for f in files:
        path = _escape_property(workspace_path(f.path))
        for d in f.diagnostics:
            properties = ",".join([
                f"file={path}", f"line={d.line}", f"col={d.column}",
                f"endLine={d.end_line}", f"endColumn={d.end_column}", f"title={_escape_property(d.code)}",
            ])
            message = d.message if d.cell is None else f"cell {d.cell}: {d.message}"
            lines.append(f"::{LEVELS[d.severity]} {properties}::{_escape_data(message)}")
    return "".join(line + "\n" for line in lines)
