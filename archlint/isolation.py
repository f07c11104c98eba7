"""One file checked with its failures isolated, in this process or a worker's (`archlint.workers`): its report and
what its analysis read, or a one-line failure. A file that cannot be read, or on which archlint itself fails, never
costs the others their report."""

from __future__ import annotations

import traceback

from archlint.config import Settings
from archlint.results import FileFailure


def analysed(path: str, data: bytes, settings: Settings):
    """The report of the file at `path` holding `data`, and what its analysis read (None when it failed)."""
    from archlint.analysis import file_report
    from archlint.evaluate import reads
    from archlint.lint import lint_data

    try:
        with reads.recording() as read:
            return file_report(lint_data(data, path, settings)), read
    except OSError as exc:
        return unreadable(path, exc), None
    except Exception as exc:  # one bad file must not lose the others' findings
        return internal_error(path, exc), None


def unreadable(path: str, exc: OSError) -> FileFailure:
    return FileFailure(path, f"cannot read {path}: {exc.strerror or exc}")


def internal_error(path: str, exc: Exception) -> FileFailure:
    reason = " ".join(str(exc).split())  # some messages (parser errors) span several lines
    return FileFailure(path, f"internal error on {path}: {type(exc).__name__}: {reason}",
                       "".join(traceback.format_exception(exc)))
