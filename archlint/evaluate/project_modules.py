"""Finding the checked project's own modules: `from .blocks import conv_block`, `from mypkg import stem`.

A module is followed when it is a file of the project (next to the checked file, or in the
package tree the checked file belongs to) and not a part of Keras that archlint models itself. Nothing
is imported: the evaluator reads and evaluates the file.
"""

from __future__ import annotations

import os

from archlint.keras_names import canonical

# Keras modules whose source archlint reads like user code: the model definitions.
_FOLLOWED_KERAS = ("keras.applications.",)
# Keras helpers archlint models itself (archlint.evaluate.keras_helpers).
_MODELLED_KERAS = ("keras.applications.imagenet_utils",)


def _top_package(directory: str) -> str | None:
    """The topmost package directory containing `directory`, if it is inside a package."""
    top = None
    while os.path.exists(os.path.join(directory, "__init__.py")):
        top = directory
        parent = os.path.dirname(directory)
        if parent == directory:
            break
        directory = parent
    return top


def _module_file(base: str, parts: list[str]) -> str | None:
    path = os.path.join(base, *parts)
    for candidate in (path + ".py", os.path.join(path, "__init__.py")):
        if os.path.isfile(candidate):
            return os.path.realpath(candidate)
    return None


def find(importing_file: str, dotted: str, level: int) -> str | None:
    """The file of module `dotted` (relative by `level` dots) as the importing file sees it, or None."""
    here = os.path.dirname(os.path.abspath(importing_file))
    parts = [p for p in dotted.split(".") if p]
    if level:
        base = here
        for _ in range(level - 1):
            base = os.path.dirname(base)
        return _module_file(base, parts)
    name = canonical(dotted)
    if name == "keras" or name.startswith("keras."):
        if not name.startswith(_FOLLOWED_KERAS) or name.startswith(_MODELLED_KERAS):
            return None
    found = _module_file(here, parts)  # a module next to the checked file, as `python file.py` sees it
    top = _top_package(here)
    if found is None and top is not None and parts and parts[0] == os.path.basename(top):
        found = _module_file(os.path.dirname(top), parts)  # the checked file's own package tree
    return found
