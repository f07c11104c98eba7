"""What an analysis read besides its own file, so that a kept result can be told stale (`archlint.results_cache`).

Within `recording()`, the evaluator notes each module it looked up (`looked_up`: the importing file, the module and
the file found, or None: a module made later changes the result too), each file it read (`read`: by its content's
digest), each source tree it consulted as a whole (`tree`: what Keras's source defines anywhere, by its files'
`stat_key`s), and whether anything else decided the result (`unrepeatable`: an analysis stopped by its time budget
would stop elsewhere on another run). Outside `recording()` these notes cost a test of an empty list.
"""

from __future__ import annotations

import contextlib
import hashlib
from dataclasses import dataclass, field

from archlint.disk_cache import file_digest, stat_key, tree_key


@dataclass
class Reads:
    lookups: dict[tuple[str, str, int], str | None] = field(default_factory=dict)
    files: dict[str, str | None] = field(default_factory=dict)  # path: sha256 of its bytes (None: unreadable)
    trees: dict[str, list] = field(default_factory=dict)  # folder: its tree_key
    repeatable: bool = True


_recording: list[Reads] = []


@contextlib.contextmanager
def recording():
    """Within: what the analysis reads, noted in the Reads yielded."""
    reads = Reads()
    _recording.append(reads)
    try:
        yield reads
    finally:
        _recording.remove(reads)


def looked_up(importing_file: str, dotted: str, level: int, found: str | None) -> None:
    for reads in _recording:
        reads.lookups[(importing_file, dotted, level)] = found


def read(path: str, data: bytes | None = None) -> None:
    """`path` was read (`data`: its bytes, when at hand)."""
    for reads in _recording:
        if path not in reads.files:
            reads.files[path] = hashlib.sha256(data).hexdigest() if data is not None else digest(path)


def tree(folder: str) -> list:
    """`folder`'s .py files were consulted as a whole: their `tree_key`."""
    key = tree_key(folder)
    for reads in _recording:
        reads.trees[folder] = key
    return key


def unrepeatable() -> None:
    for reads in _recording:
        reads.repeatable = False


def digest(path: str) -> str | None:
    """The sha256 of a file's bytes now, None when it cannot be read."""
    try:
        return file_digest(path)
    except OSError:
        return None
