"""Values the static evaluator passes around besides plain Python data."""

from dataclasses import dataclass


@dataclass(frozen=True)
class Unknown:
    """A value that cannot be known without running the code, and why."""

    reason: str
    line: int | None = None

    def __repr__(self) -> str:
        return f"<unknown: {self.reason}>"


@dataclass(frozen=True)
class Ref:
    """An attribute of a library the checked file imports, by its qualified name.

    `tf.keras.layers.MaxPool2D` evaluates to Ref("tensorflow.keras.layers.MaxPool2D");
    nothing is ever imported.
    """

    qualname: str

    @property
    def leaf(self) -> str:
        return self.qualname.rsplit(".", 1)[-1]

    def attr(self, name: str) -> "Ref":
        return Ref(f"{self.qualname}.{name}")


@dataclass(frozen=True)
class LossObject:
    """A loss instance such as keras.losses.CategoricalCrossentropy(from_logits=True), with its arguments.

    Kept (not made Unknown) so that rules can compare the compiled loss with the model's output.
    """

    qualname: str
    args: tuple
    kwargs: dict
