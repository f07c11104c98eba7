"""The rule codes and their default severities, as ../spec/interface.md fixes them."""

SEVERITIES = {
    "AL001": "error", "AL101": "error", "AL102": "error", "AL103": "error", "AL104": "error", "AL105": "error",
    "AL106": "error", "AL201": "warning", "AL202": "warning", "AL203": "warning", "AL204": "warning",
    "AL205": "info", "AL206": "warning", "AL301": "info", "AL302": "warning", "AL401": "error",
}


def severity_of(code: str) -> str:
    return SEVERITIES[code]
