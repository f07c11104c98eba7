"""Report formats: each turns a list of FileReports into text."""

import os


def plural(count: int, word: str) -> str:
    return f"{count} {word}{'' if count == 1 else 's'}"


def workspace_path(path: str) -> str:
    """The path relative to the working directory with forward slashes, as CI annotations and code scanning
    locate files; an absolute path when the file lies outside it."""
    absolute = os.path.abspath(path)
    relative = os.path.relpath(absolute)
    return (absolute if relative.startswith("..") else relative).replace(os.sep, "/")
