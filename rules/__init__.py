"""The rule catalog: one module per rule, found here without a list to keep up to date.

Each module `alNNN_rule_name.py` defines `RULE`, a `Rule` with its code, kebab-case name,
default severity, documentation and examples. Rules found while parsing, evaluating or
running the model (AL0xx, AL1xx, AL3xx, AL4xx) only document themselves; rules over the
finished layer graph (AL2xx) also carry the `check` that finds them, and declare their own
`options` (settings.option(name) reads one). What the parser, evaluator and runtime find takes its
code from its kind in archlint/errors.py. Importing the catalog imports no layers: the rules that
check graphs do, when they are loaded.
"""

from __future__ import annotations

import importlib
import pkgutil
import textwrap
from dataclasses import dataclass
from typing import TYPE_CHECKING, Callable, Iterable, Iterator

from archlint.results import Diagnostic

if TYPE_CHECKING:
    from archlint.analysis import FileAnalysis
    from archlint.config import Settings
    from archlint.graph import Node, Position
    from archlint.layers.base import Layer


@dataclass(frozen=True)
class Option:
    """A setting of one rule: `name = value` in [tool.archlint], read by `read` (which raises config.ConfigError
    on a value it cannot use); `default` when unset."""

    name: str
    default: object
    read: Callable[[object], object]
    help: str  # one line: what it sets, as `archlint rule CODE` lists it under Options


@dataclass
class Rule:
    code: str
    name: str
    severity: str
    summary: str  # one line: when it fires, as the catalog in the interface spec says
    what: str
    why: str
    fix: str
    fires: tuple[str, ...]  # Keras sources it must flag; a trailing `# CODE` comment marks each flagged line
    passes: tuple[str, ...]  # near misses it must leave alone
    check: Callable[[FileAnalysis, Settings], Iterable[Diagnostic]] | None = None  # None: found by the evaluator
    options: tuple[Option, ...] = ()  # its own settings, which its check reads with settings.option(name)

    def __post_init__(self):
        self.what, self.why, self.fix = (textwrap.dedent(text).strip() for text in (self.what, self.why, self.fix))
        self.fires = tuple(_example(source) for source in self.fires)
        self.passes = tuple(_example(source) for source in self.passes)

    def documentation(self) -> str:
        """What `archlint rule CODE` prints."""
        sections = [("What it finds", self.what), ("Why it matters", self.why)]
        sections += [("Example", self.fires[0])] if self.fires else []
        sections += [("Fix", self.fix)]
        sections += [("Not flagged", self.passes[0])] if self.passes else []
        sections += [("Options", "\n".join(f"{o.name} (default {'none' if o.default is None else o.default}): {o.help}"
                                            for o in self.options))] if self.options else []
        text = f"{self.code} {self.name} ({self.severity} by default)\n{self.summary}\n"
        for title, body in sections:
            text += f"\n{title}\n{textwrap.indent(body.rstrip(), '    ')}\n"
        return text


def _example(source: str) -> str:
    return textwrap.dedent(source).lstrip("\n")


_catalog: dict[str, Rule] = {}


def all_rules() -> list[Rule]:
    """Every rule, by code. The modules import this package, so they are imported on first use, not with it."""
    if not _catalog:
        for module in pkgutil.iter_modules(__path__):
            rule = importlib.import_module(f"{__name__}.{module.name}").RULE
            _catalog[rule.code] = rule
    return [_catalog[code] for code in sorted(_catalog)]


def rule_options() -> dict[str, Option]:
    """Every rule's options, by name."""
    return {option.name: option for rule in all_rules() for option in rule.options}


def find_rule(code_or_name: str) -> Rule | None:
    wanted = code_or_name.strip()
    return next((r for r in all_rules() if wanted.upper() == r.code or wanted.lower() == r.name), None)


def severity_of(code: str) -> str:
    all_rules()
    return _catalog[code].severity


def resolve(token: str) -> str | None:
    """A code or prefix (`AL2`, `AL202`) as written, or a rule's name as its code; None if it names no rule."""
    rule = find_rule(token)
    if rule is not None:
        return rule.code
    prefix = token.strip().upper()
    return prefix if prefix and any(r.code.startswith(prefix) for r in all_rules()) else None


# -- what the graph rules share (the layers and models only when they run) ----------------


def applications(report: FileAnalysis) -> Iterator[tuple[str, Node]]:
    """Every layer application of the file's models, with the symbol of the first model listing it.

    A model used as a layer is one row of its parent: its own layers are visited through it. Layers
    that Keras's own code made (inside a keras.applications model) are left out: the checked code
    cannot change them.
    """
    from archlint.models import Model

    seen: set[int] = set()

    def walk(symbol, rows):
        for layer, nodes in rows:
            for node in nodes:
                if id(node) not in seen and not layer.library_made:
                    seen.add(id(node))
                    yield symbol, node
            if isinstance(layer, Model):
                yield from walk(symbol, layer.rows())

    for model in report.models:
        yield from walk(model.symbol, [(row.layer, row.nodes) for row in model.layers])


def producer(node: Node) -> Node | None:
    """The node whose output a single-input node consumes."""
    return node.inputs[0].node if len(node.inputs) == 1 else None


def upstream(node: Node, through: tuple[type, ...]) -> Node | None:
    """The producer of a single-input node, looking through single-input layers of the types `through`."""
    source = producer(node)
    while source is not None and isinstance(source.layer, through):
        source = producer(source)
    return source


def input_shape(node: Node):
    """The shape of a single-input node's input, or None when it is unknown or there are several."""
    return node.inputs[0].shape if len(node.inputs) == 1 else None


def output_shape(node: Node):
    return node.outputs[0].shape if len(node.outputs) == 1 else None


def where(node: Node) -> Position | None:
    """The source position to report for a layer application: its call, else the layer's construction."""
    return node.position or getattr(node.layer, "origin", None)


def finding(code: str, message: str, position: Position, symbol: str, layer: Layer | None = None) -> Diagnostic:
    return Diagnostic(code, severity_of(code), message, position.line, position.column, position.end_line,
                      position.end_column, symbol=symbol, layer=None if layer is None else layer.name,
                      chain=position.chain)


def describe(layer: Layer) -> str:
    return f"{layer.name} ({layer.type_name})"
