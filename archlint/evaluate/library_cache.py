"""What archlint reads from installed libraries, kept on disk between runs (`.archlint_cache/libraries/`).

Each entry is keyed on what it was read from (`archlint.disk_cache.file_key`: a file's path, size, modification
time and content digest, or `tree_key`: a whole source tree's paths, sizes and times) and signed, as every cache
of archlint (`archlint.disk_cache`).
"""

from __future__ import annotations

from archlint.disk_cache import Folder, file_key, tree_key

__all__ = ["LIBRARIES", "file_key", "load", "store", "tree_key"]

LIBRARIES = Folder("libraries")
load = LIBRARIES.load
store = LIBRARIES.store
