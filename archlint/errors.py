"""The kinds of findings the parser, the evaluator and the runtime report, each with its rule's code.

This is the one place those codes are written: the rule modules (rules/alNNN_*.py) take their code
from their kind here, and the code that finds them reports `Kind.code`. Rules over the finished layer
graph (AL2xx) and AL901 write their code once, in their own module.

A layer computing its shape or weights raises a LayerError (or Unresolved); the evaluator turns it
into a diagnostic at the layer's source position and goes on with an unknown output.
"""


class Finding:
    """A kind of finding, by the code of the rule it belongs to."""

    code: str


class LayerError(Finding, Exception):
    """A condition real Keras rejects when it builds the model; raised as itself, an invalid argument."""

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
    """An argument, or a combination of them, Keras refuses (LayerError's own code)."""


class InputUnlikeWeights(LayerError):
    code = "AL112"


class Unresolved(Finding, Exception):
    """Something needed is not known statically: reported as AL301, never guessed."""

    code = "AL301"

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


# Found where they happen, and reported there.

class InvalidSyntax(Finding):
    """Python itself refuses the file (or a Markdown block, a notebook that cannot be read)."""

    code = "AL001"


class NotInKeras3(Finding):
    code = "AL107"


class UndefinedName(Finding):
    code = "AL108"


class RejectedByKeras3(Finding):
    code = "AL109"


class MeaningChangedInKeras3(Finding):
    code = "AL110"


class ModelInputMismatch(Finding):
    code = "AL111"


class MissingInputShape(Finding):
    code = "AL302"


class NotVerified(Finding):
    code = "AL303"


class VerifyMismatch(Finding):
    code = "AL401"
