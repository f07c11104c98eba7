"""The layer graph: one node per layer application, one edge per tensor passed between them.

A model is a view of the graph: Sequential lists its layers in order, a functional model
lists the operations between its inputs and outputs in Keras's own order (by depth from
the outputs, ties broken by depth-first traversal order, as keras.src.ops.function.map_graph
does), and layers called on concrete tensors outside any model form one view in call order.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from archlint.dims import Shape, without_sizes
from archlint.errors import Unresolved
from archlint.layers.base import Layer


@dataclass(eq=False)
class Tensor:
    """A symbolic (or, when `eager`, concrete) tensor: its shape and the node that made it."""

    shape: Shape | None  # None: not even the rank is known
    node: "Node | None" = None
    index: int = 0
    eager: bool = False
    # An array of Python lists (keras.datasets' imdb and reuters sequences): an item is a list, not a tensor.
    of_sequences: bool = False


@dataclass(frozen=True)
class Position:
    line: int
    column: int
    end_line: int
    end_column: int
    chain: tuple[str, ...] = ()  # helper calls and loop iterations that led here
    # Per chain step: a number distinct for each function call of the analysis (None for a loop iteration),
    # so that the layers one call built can be told from those a call at the same line built.
    call_ids: tuple[int | None, ...] = ()


@dataclass(eq=False)
class Node:
    """One application of a layer (or a tensor operator such as `x + y`) to its inputs."""

    layer: Layer
    inputs: list[Tensor]
    outputs: list[Tensor] = field(default_factory=list)
    position: Position | None = None
    is_input: bool = False
    listed: bool = True  # Keras lists layers in model.layers, not tensor operators
    # The call as the source made it, tensors in place: the runtime calls the forward the same way.
    args: tuple = ()
    kwargs: dict = field(default_factory=dict)
    # What its shape computation requires of the named sizes (dims.Condition), and whether a named size
    # reached code that saw it as None (a layer that does not compute with them, or the source reading a shape).
    conditions: list = field(default_factory=list)
    sizes_lost: bool = False
    sizes_read: bool = False


class LayerGraph:
    """Every node in the order it was made, with each node's consumers and each layer's applications at hand."""

    def __init__(self):
        self.nodes: list[Node] = []
        self._consumers: dict[int, list[Node]] = {}
        self._applications: dict[int, list[Node]] = {}

    def add(self, node: Node) -> Node:
        self.nodes.append(node)
        self._applications.setdefault(id(node.layer), []).append(node)
        for tensor in node.inputs:
            if tensor.node is not None:
                consumers = self._consumers.setdefault(id(tensor.node), [])
                if not consumers or consumers[-1] is not node:  # a node reading two outputs of one node is one consumer
                    consumers.append(node)
        return node

    def nodes_of(self, layer: Layer) -> list[Node]:
        """The applications of a layer, in the order they were made."""
        return list(self._applications.get(id(layer), ()))

    def successors(self, node: Node) -> list[Node]:
        """The nodes reading an output of `node`, in the order they were made."""
        return list(self._consumers.get(id(node), ()))

    def predecessors(self, node: Node) -> list[Node]:
        return [t.node for t in node.inputs if t.node is not None]


def counted_shapes(node: Node) -> tuple[list[Shape], list[Shape]] | None:
    """The node's input and output shapes as costs are counted: an unknown batch axis as 1. None when
    some tensor's rank is unknown."""
    groups = [t.shape for t in node.inputs], [t.shape for t in node.outputs]
    if any(shape is None for group in groups for shape in group):
        return None
    inputs, outputs = ([(1, *shape[1:]) if shape and shape[0] is None else tuple(shape) for shape in group]
                       for group in groups)
    return inputs, outputs


def application_macs(node: Node):
    """The multiply-accumulates of one layer application, None when unknown; an expression of named sizes
    for a layer that computes with them (another sees them as None, as its shapes did)."""
    shapes = counted_shapes(node)
    if shapes is None:
        return None
    if not node.layer.named_sizes:
        shapes = without_sizes(list(shapes))
    try:
        return node.layer.count_macs(*shapes)
    except Unresolved:
        return None


def functional_order(inputs: list[Tensor], outputs: list[Tensor]) -> list[tuple[Layer, list[Node]]]:
    """The operations of a functional model in Keras's `model.layers` order, with their nodes."""
    input_ids = {id(t) for t in inputs}
    finished: set[int] = set()
    in_progress: set[int] = set()
    ordered: list[Node] = []
    first_seen: dict[int, int] = {}

    def visit(tensor: Tensor):
        # Iterative depth-first traversal: deep models must not exhaust Python's stack.
        stack = [(tensor, False)]
        while stack:
            current, expanded = stack.pop()
            node = current.node
            if node is None or id(node) in finished:
                continue
            if expanded:
                in_progress.discard(id(node))
                finished.add(id(node))
                ordered.append(node)
                continue
            if not node.is_input and id(current) in input_ids:
                finished.add(id(node))
                continue
            if id(node) in in_progress:
                continue
            first_seen.setdefault(id(node.layer), len(first_seen))
            in_progress.add(id(node))
            stack.append((current, True))
            if not node.is_input:
                # A concrete tensor is a constant of the graph: the layers that computed it are not in the model.
                stack.extend((t, False) for t in reversed(node.inputs) if not t.eager)

    for tensor in outputs:
        visit(tensor)

    in_graph = {id(n) for n in ordered}
    node_depth: dict[int, int] = {}
    layer_depth: dict[int, int] = {}
    layers: dict[int, Layer] = {}
    nodes_of: dict[int, list[Node]] = {}
    for node in reversed(ordered):
        depth = node_depth.setdefault(id(node), 0)
        depth = max(depth, layer_depth.get(id(node.layer), 0))
        layer_depth[id(node.layer)] = depth
        node_depth[id(node)] = depth
        layers[id(node.layer)] = node.layer
        nodes_of.setdefault(id(node.layer), []).insert(0, node)
        for parent in {id(t.node): t.node for t in node.inputs if t.node is not None}.values():
            if id(parent) in in_graph:
                node_depth[id(parent)] = max(depth + 1, node_depth.get(id(parent), 0))
    for tensor in inputs:
        node = tensor.node
        if node is not None and node.is_input and id(node.layer) not in layer_depth:
            layer_depth[id(node.layer)] = 0
            first_seen[id(node.layer)] = -1
            layers[id(node.layer)] = node.layer
            nodes_of[id(node.layer)] = [node]

    order = sorted(layer_depth, key=lambda key: (-layer_depth[key], first_seen[key]))
    return [(layers[key], nodes_of[key]) for key in order]
