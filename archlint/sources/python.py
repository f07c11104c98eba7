"""Python files: the file is its own program text, at its own lines and columns."""

from __future__ import annotations

from dataclasses import dataclass

from archlint.evaluate.objects import default_line_name


@dataclass
class PythonSource:
    source: bytes | str
    left_out = ()  # a Python file is never read in part
    line_name = staticmethod(default_line_name)

    @staticmethod
    def place(report):
        return report  # its positions are the file's


def read_python(data: bytes | str) -> PythonSource:
    return PythonSource(data)
