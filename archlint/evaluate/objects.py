"""The values the evaluator, the Keras model (keras_api) and user classes pass one another.

This module sits below all three and imports none of them: a function defined in the checked
code, a scope, an imported project module, a finding, a method of a value the evaluator owns.
`EvaluatorServices` and `KerasServices` say what keras_api and user_classes ask of the
evaluator and of one another, so neither needs to import the module that provides it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Protocol

import libcst as cst

if TYPE_CHECKING:
    from archlint.evaluate.data_numbers import DataNumbers
    from archlint.graph import LayerGraph, Position
    from archlint.layers.base import Layer

# Model methods that change nothing archlint models: calling one is accepted and has no effect.
MODEL_METHODS_WITHOUT_EFFECT = {"summary", "fit", "evaluate", "predict", "save", "save_weights", "load_weights",
                                "plot_model", "get_config", "to_json"}


@dataclass(eq=False)
class Function:
    """A function defined in the checked file, with its closure and evaluated defaults."""

    node: cst.FunctionDef | cst.Lambda
    name: str
    closure: "Frame"
    defaults: dict[str, object]
    kw_defaults: dict[str, object]
    path: str = ""  # the file that defines it
    method_kind: str = ""  # "staticmethod", "classmethod" or "property" when so decorated in a class

    @property
    def docstring(self) -> str | None:
        if isinstance(self.node, cst.FunctionDef):
            return self.node.get_docstring(clean=False)
        return None


@dataclass(eq=False)
class Frame:
    names: dict = field(default_factory=dict)
    parent: "Frame | None" = None
    globals_declared: set = field(default_factory=set)
    star_imports: list = field(default_factory=list)  # Refs of `from module import *`

    @property
    def module(self) -> "Frame":
        frame = self
        while frame.parent is not None:
            frame = frame.parent
        return frame


@dataclass(eq=False)
class PublicModule:
    """A public Keras API module: each name is read from its source module when first used."""

    name: str
    index: dict


@dataclass(eq=False)
class ModuleValue:
    """A module of the checked project, evaluated statically when imported."""

    name: str
    path: str
    frame: Frame


@dataclass(frozen=True)
class Event:
    """Something found while evaluating: a layer Keras would reject, or an unresolved value."""

    code: str
    message: str
    position: Position | None
    layer: Layer | None = None
    function: str | None = None


class StaticShape(tuple):
    """A tensor's shape, which TensorFlow code also reads as a TensorShape: `x.get_shape().as_list()`."""


class Method:
    """A method of a value the evaluator owns (a model's `add`, a list's `append`)."""

    def __init__(self, owner, name: str):
        self.owner = owner
        self.name = name


def default_line_name(line: int) -> str:
    return f"line {line}"


class EvaluatorServices(Protocol):
    """What keras_api and user_classes ask of the evaluator (interpreter.Evaluator provides it)."""

    path: str  # the checked file
    module: cst.Module  # its syntax tree
    current_path: str  # the file being evaluated: the checked file or a module it imports
    functions: list[str]  # names of the user functions being evaluated, innermost last
    method_classes: list  # (class, instance) of the methods being evaluated, innermost last
    data_numbers: DataNumbers  # numbers read from data, as named sizes

    def report(self, code: str, message: str, node, layer: Layer | None = None) -> None: ...

    def in_library_code(self) -> bool: ...

    def unknown(self, reason: str, node=None): ...

    def position(self, node) -> Position | None: ...

    def call(self, function, args: list, kwargs: dict, node): ...

    def call_function(self, function: Function, args: list, kwargs: dict, node): ...

    def get_attribute(self, obj, name: str, node): ...

    def import_module(self, dotted: str, level: int, node) -> ModuleValue | PublicModule | None: ...

    def iterate(self, value, node, what: str = ...) -> list | range | None: ...

    def given_shape(self, name: str) -> tuple | None: ...

    def check_size(self, size: int, node) -> None: ...

    def forget_container(self, container, reason: str, node) -> None: ...


class KerasServices(Protocol):
    """What user_classes asks of the Keras model (keras_api.KerasApi provides it)."""

    ev: EvaluatorServices
    graph: LayerGraph
    tracing: int  # depth of custom layer call() traces under way

    def auto_name(self, base: str) -> str: ...

    def name_layer(self, layer: Layer, node) -> Layer: ...

    def construct_layer(self, cls: type, args, kwargs, node) -> Layer: ...

    def make_functional(self, args: list, kwargs: dict, node): ...
