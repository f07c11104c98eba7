"""Models as the evaluator builds them: Sequential and functional, each also usable as a layer."""

from __future__ import annotations

from archlint.graph import Node, Tensor, application_macs, functional_order
from archlint.layers.base import Layer


def unique_layers(layers):
    seen: dict[int, Layer] = {}
    for layer in layers:
        seen.setdefault(id(layer), layer)
    return list(seen.values())


class Model(Layer):
    """What Sequential and functional models share: a name, layers and a source position."""

    def __init__(self, name=None, trainable=True, **kwargs):
        super().__init__(name=name, trainable=trainable)
        self.compile_args: dict = {}

    def listed_layers(self) -> list[Layer]:
        raise NotImplementedError

    def all_weights(self):
        found = []
        for layer in unique_layers(self.listed_layers()):
            if layer is not self:
                found.extend(layer.all_weights())
        return found

    def is_trainable(self, owner, weight) -> bool:
        return self.trainable and owner.trainable and weight.trainable

    def inner_layers(self):
        return list(self.listed_layers())

    def rows(self) -> list[tuple[Layer, list[Node]]]:
        """What Keras's model.summary() lists, each layer with the nodes that applied it here."""
        raise NotImplementedError

    def count_macs(self, input_shapes, output_shapes):
        # A model used as a layer costs what its own layer applications cost.
        total = 0
        for _, nodes in self.rows():
            for node in nodes:
                macs = application_macs(node)
                if macs is None:
                    return None
                total += macs
        return total


class SequentialModel(Model):
    def __init__(self, layers=None, trainable=True, name=None, **kwargs):
        super().__init__(name=name, trainable=trainable)
        self.layers: list[Layer] = []
        self.input_tensor: Tensor | None = None
        self.nodes: dict[int, list[Node]] = {}
        self.output_tensor: Tensor | None = None

    @property
    def type_name(self) -> str:
        return "Sequential"

    def listed_layers(self):
        return self.layers

    def rows(self):
        return [(layer, self.nodes.get(id(layer), [])) for layer in self.layers]

    def compute_output_shape(self, input_shape, **kwargs):
        return None if self.output_tensor is None else self.output_tensor.shape


class FunctionalModel(Model):
    def __init__(self, inputs, outputs, name=None, trainable=True, **kwargs):
        super().__init__(name=name, trainable=trainable)
        self.inputs: list[Tensor] = inputs
        self.outputs: list[Tensor] = outputs
        self.single_output = True
        self._rows = functional_order(inputs, outputs)

    @property
    def type_name(self) -> str:
        return "Functional"

    def listed_layers(self):
        return [layer for layer, nodes in self._rows if nodes and nodes[0].listed]

    def rows(self):
        return [(layer, nodes) for layer, nodes in self._rows if nodes and nodes[0].listed]

    def operations(self) -> list[tuple[Layer, list[Node]]]:
        """The tensor operators between the listed layers (`x + y`, `ops.relu(x)`), which Keras does not list."""
        return [(layer, nodes) for layer, nodes in self._rows if nodes and not nodes[0].listed]

    def compute_output_shape(self, *input_shapes, **kwargs):
        shapes = [t.shape for t in self.outputs]
        return shapes[0] if self.single_output else shapes
