"""A layer archlint does not model: its shape and parameters are unknown, with the reason why."""

from archlint.errors import Unresolved
from archlint.layers.base import Layer


class OpaqueLayer(Layer):
    """A layer archlint does not model (Lambda, a custom class, an unmodelled Keras layer); its parameters are
    unknown too, unless it can hold none (`weightless`, as a Lambda)."""

    def __init__(self, kind: str, reason: str, weightless: bool = False, **common):
        super().__init__(**common)
        self.kind = kind
        self.reason = reason
        self.weightless = weightless

    @property
    def type_name(self) -> str:
        return self.kind

    def build(self, *args, **kwargs):
        if not self.weightless:
            raise Unresolved(self.reason)

    def compute_output_shape(self, *args, **kwargs):
        raise Unresolved(self.reason)
