"""Failures a layer reports while its shape or weights are computed.

Each carries the catalog code of the rule it belongs to; the evaluator turns it into a
diagnostic at the layer's source position and goes on with an unknown output.
"""


class LayerError(Exception):
    """A condition real Keras rejects when it builds the model."""

    code = "AL106"

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


class NegativeDimension(LayerError):
    code = "AL101"


class IncompatibleShapes(LayerError):
    code = "AL102"


class WrongRank(LayerError):
    code = "AL103"


class UnknownDimension(LayerError):
    code = "AL104"


class ReshapeMismatch(LayerError):
    code = "AL105"


class InvalidArgument(LayerError):
    code = "AL106"


class InputUnlikeWeights(LayerError):
    code = "AL112"


class Unresolved(Exception):
    """Something needed is not known statically: reported as AL301, never guessed."""

    code = "AL301"

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason
