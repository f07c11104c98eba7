"""Where the syntax nodes of an installed library's module are, kept on disk between runs.

libcst finds positions by generating the module's code again node by node, which costs more than parsing
it (keras_hub's thirty modules behind a BERT model: about half of their reading). A library file's positions
stay as they are while the file does, so they are kept in the library cache (`.archlint_cache/libraries/`,
signed plain data) as numbers, four per syntax node (start line and column, end line and column) in the
order a walk of the tree meets the nodes, and handed to the same file's tree when it is parsed again. An
entry whose count of nodes differs from the tree's is ignored: the positions are computed afresh.
"""

from __future__ import annotations

import dataclasses

import libcst as cst
from libcst._version import __version__ as libcst_version
from libcst.metadata import CodeRange, PositionProvider

from archlint.evaluate import library_cache
from archlint.version import __version__

FORMAT = 1
_NO_POSITION = -1  # a node libcst gives no position


def positions(path: str, module: cst.Module):
    """`module`'s positions, parsed from the library file at `path`: {node: CodeRange} (a mapping's `get`)."""
    try:
        key = [*library_cache.file_key(path), libcst_version, __version__, FORMAT]
    except OSError:
        key = None
    nodes = _walk(module)
    numbers = library_cache.load("positions", key) if key is not None else None
    if isinstance(numbers, list) and len(numbers) == 4 * len(nodes) and all(type(n) is int for n in numbers):
        return NodePositions(nodes, numbers)
    computed = cst.MetadataWrapper(module, unsafe_skip_copy=True).resolve(PositionProvider)
    if key is not None and len({id(node) for node in nodes} & {id(node) for node in computed}) == len(computed):
        numbers = []
        for node in nodes:
            where = computed.get(node)
            numbers += [where.start.line, where.start.column, where.end.line, where.end.column] if where else \
                [_NO_POSITION] * 4
        library_cache.store("positions", key, numbers)
    return computed


class NodePositions:
    """A tree's positions from stored numbers, each node's CodeRange made when it is asked for."""

    def __init__(self, nodes: list[cst.CSTNode], numbers: list[int]):
        self._index = {node: index for index, node in enumerate(nodes)}
        self._numbers = numbers

    def get(self, node, default=None):
        index = self._index.get(node)
        if index is None:
            return default
        line, column, end_line, end_column = self._numbers[4 * index:4 * index + 4]
        return default if line == _NO_POSITION else CodeRange((line, column), (end_line, end_column))


_CHILD_FIELDS: dict[type, tuple[str, ...]] = {}


def _walk(module: cst.Module) -> list[cst.CSTNode]:
    """Every node of the tree, parents before their children, children in their fields' order."""
    found, pending = [], [module]
    while pending:
        node = pending.pop()
        found.append(node)
        fields = _CHILD_FIELDS.get(type(node))
        if fields is None:
            fields = _CHILD_FIELDS[type(node)] = tuple(field.name for field in dataclasses.fields(node))
        children = []
        for name in fields:
            value = getattr(node, name)
            if isinstance(value, cst.CSTNode):
                children.append(value)
            elif isinstance(value, (list, tuple)):
                children += [item for item in value if isinstance(item, cst.CSTNode)]
        pending += reversed(children)
    return found
