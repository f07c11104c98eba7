"""Names a file never binds (NameError), and files that are fragments of a program: Keras names used, never imported.

A Stack Overflow snippet or a notebook cell uses `Sequential` and `Dense` without the import
lines; it gets one finding saying so, and `--assume-imports` analyses it with the usual
Keras imports in front of it.
"""

from __future__ import annotations

import builtins

import libcst as cst

from archlint.errors import UndefinedName
from archlint.values import Ref

# What --assume-imports puts in front of a fragment: the imports Keras examples begin with.
ASSUMED_IMPORTS = """\
import numpy as np
import tensorflow as tf
import keras
from keras import layers, models, optimizers, losses, activations, regularizers, initializers, callbacks
from keras.layers import *
from keras.models import Sequential, Model, load_model
from keras.optimizers import SGD, Adam, RMSprop, Adagrad, Adadelta, Adamax, Nadam
"""
KERAS_MODULES = ("keras.layers", "keras.models", "keras.optimizers")
IPYTHON_NAMES = {"display", "get_ipython", "In", "Out"}


class BoundNames(cst.CSTVisitor):
    """Every name the module binds anywhere (assignments, loop and `with` targets, functions, classes,
    parameters, imports, `global`), and whether it imports Keras or binds names in ways not seen (exec)."""

    def __init__(self):
        self.names: set[str] = set()
        self.imports_keras = False
        self.dynamic = False  # exec(), globals()[...] = ..., setattr on a module: any name may exist

    def add(self, target) -> None:
        if isinstance(target, cst.Name):
            self.names.add(target.value)
        elif isinstance(target, (cst.Tuple, cst.List)):
            for element in target.elements:
                self.add(element.value)
        elif isinstance(target, cst.StarredElement):
            self.add(target.value)

    def visit_AssignTarget(self, node):
        self.add(node.target)

    def visit_AnnAssign(self, node):
        self.add(node.target)

    def visit_AugAssign(self, node):
        self.add(node.target)

    def visit_For(self, node):
        self.add(node.target)

    def visit_CompFor(self, node):
        self.add(node.target)

    def visit_NamedExpr(self, node):
        self.add(node.target)

    def visit_AsName(self, node):
        self.add(node.name)

    def visit_Param(self, node):
        self.names.add(node.name.value)

    def visit_FunctionDef(self, node):
        self.names.add(node.name.value)

    def visit_ClassDef(self, node):
        self.names.add(node.name.value)

    def visit_MatchAs(self, node):
        if node.name is not None:
            self.names.add(node.name.value)

    def visit_MatchStar(self, node):
        if node.name is not None:
            self.names.add(node.name.value)

    def visit_Global(self, node):
        self.names.update(item.name.value for item in node.names)

    def visit_Nonlocal(self, node):
        self.names.update(item.name.value for item in node.names)

    def visit_Import(self, node):
        for alias in node.names:
            dotted = cst.helpers.get_full_name_for_node(alias.name) or ""
            self.imports_keras |= dotted.split(".")[0] in ("keras", "tensorflow", "tf_keras")
            if alias.asname is None:
                self.names.add(dotted.split(".")[0])

    def visit_ImportFrom(self, node):
        module = cst.helpers.get_full_name_for_node(node.module) if node.module is not None else ""
        self.imports_keras |= (module or "").split(".")[0] in ("keras", "tensorflow", "tf_keras")
        if isinstance(node.names, cst.ImportStar):
            self.dynamic = True  # any name may come from it
            return
        for alias in node.names:
            if alias.asname is None:
                self.names.add(cst.helpers.get_full_name_for_node(alias.name) or "")

    def visit_Call(self, node):
        called = cst.helpers.get_full_name_for_node(node.func) or ""
        self.dynamic |= called in ("exec", "globals", "locals", "vars", "setattr", "__import__", "get_ipython")


class UndefinedNames:
    """Reports AL108 for a name the checked module never binds; a fragment's Keras names once, together."""

    def __init__(self, module: cst.Module, assume_imports: bool):
        visitor = BoundNames()
        module.visit(visitor)
        self.bound = visitor.names
        self.silent = visitor.dynamic or assume_imports  # a fragment the user told us about: the rest is elsewhere
        self.fragment = not visitor.imports_keras
        self.fragment_reported = False
        self.reported: set[str] = set()  # each missing name once: Python stops at its first use
        self.lines: set[int] = set()  # and at the first missing name of a line

    def check(self, ev, name: str, node) -> Ref | None:
        """Report an unbound name; a Keras name is what the analysis goes on with, as if it were imported."""
        if self.silent or name in self.bound or name in IPYTHON_NAMES or name.startswith("__") or hasattr(builtins, name):
            return None
        meant = keras_name(name)
        if self.fragment:
            if meant is not None and not self.fragment_reported:
                self.fragment_reported = True
                ev.report(UndefinedName.code,
                          f"name `{name}` is not defined: the file uses Keras names without importing "
                          "Keras, as a fragment of a program does; run archlint with --assume-imports to "
                          f"analyse it as if `import keras` and `from keras.layers import *` were there", node)
            return meant
        line = ev.line_of(node) if node is not None else None
        if name in self.reported or line in self.lines:
            return meant
        self.reported.add(name)
        self.lines.add(line)
        imported = f": import it (from {meant.qualname.rsplit('.', 1)[0]} import {name})" if meant else ""
        ev.report(UndefinedName.code, f"name `{name}` is not defined (Python raises NameError here){imported}", node)
        return meant


def keras_name(name: str) -> Ref | None:
    """The Keras layer, model or optimizer `name` is, when it is one."""
    from archlint import keras3_names as api  # 1,500 names: loaded only for a name the file never binds

    return next((Ref(f"{module}.{name}") for module in KERAS_MODULES if f"{module}.{name}" in api.NAMES), None)
