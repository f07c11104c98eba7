"""What archlint finds, as plain data: the report of a check, its files, models, layer rows and findings.

Everything here is frozen and picklable, and refers to nothing the evaluator made: a report can be
cached, sent between processes and compared. `FileReport.to_data()` is a file's report as plain JSON data
and `FileReport.from_data()` makes the equal report back from it (the results cache keeps reports so). The costs the reports show (MACs, activation bytes,
each layer's share of the parameters) are computed once, when a row is made from the analysis
(`archlint.analysis.file_report`). A shape is a tuple of dimensions (int, None when unknown, or a
symbolic size); a layer with several outputs has a list of them.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import Iterator

SEVERITY_RANK = {"info": 0, "warning": 1, "error": 2}
FLOAT32_BYTES = 4  # what a parameter or an activation takes: Keras's default dtype


@dataclass(frozen=True)
class Diagnostic:
    """One finding: a rule code, its severity and message, and where (1-based lines and columns)."""

    code: str
    severity: str
    message: str
    line: int
    column: int
    end_line: int
    end_column: int
    symbol: str | None = None  # the model (or function) it belongs to
    layer: str | None = None  # the layer's name, when it is about one
    chain: tuple[str, ...] = ()  # the helper calls and loop iterations that led there, outermost first
    cell: int | None = None  # in a notebook, the code cell `line` counts in


@dataclass(frozen=True)
class LayerRow:
    """One layer of a model, as Keras's model.summary() lists it, with its costs."""

    name: str
    type: str
    line: int | None  # where the layer was made
    output_shape: object  # a shape, a list of them for several outputs, or None when unknown
    params: int | None  # None when unknown
    trainable_params: int | None
    inbound: tuple[str, ...]  # the layers its first application reads from
    cell: int | None = None  # in a notebook, the code cell `line` counts in
    via: tuple[str, ...] = ()  # the helper calls and loop iterations that led to the layer's creation
    call_ids: tuple[int | None, ...] = ()  # per `via` step, a number per call (two calls on one line differ)
    applications: int = 0  # how many times the model applies the layer (a shared layer: several)
    macs: int | None = None  # multiply-accumulates of all its applications; None when unknown
    activation_bytes: int | None = None  # float32 bytes of all its applications' outputs; None when unknown
    param_share: float | None = None  # its parameters as a fraction of the model's; None when unknown
    nested: ModelReport | None = field(default=None, repr=False)  # a model used as a layer: its own report

    @property
    def non_trainable_params(self) -> int | None:
        return None if self.params is None else self.params - self.trainable_params


@dataclass(frozen=True)
class ModelReport:
    """One model of a file: how it was made, its layers and its parameter totals."""

    symbol: str  # the variable (or factory function) that holds it
    name: str
    kind: str  # "sequential", "functional", "subclassed" or "eager" (layers called on concrete tensors)
    line: int | None
    inputs: tuple[tuple[str, object], ...]  # (input layer name, shape)
    layers: tuple[LayerRow, ...]
    total_params: int  # of the layers whose size is known
    trainable_params: int
    complete: bool  # every shape and parameter count known
    verified: bool | None = None  # --verify's outcome; None when not verified
    factory: str | None = None  # the top-level function whose call built it, if any
    cell: int | None = None
    operations: tuple[LayerRow, ...] = ()  # a functional model's tensor operators, which Keras does not list
    # Per named size of its inputs the sizes the model accepts (empty without named sizes); None with
    # `sizes_unknown` saying why when some layer saw a named size as None.
    accepted_sizes: dict | None = field(default_factory=dict)
    joint_size_conditions: tuple[str, ...] = ()  # conditions relating several sizes
    sizes_unknown: str | None = None
    # The numbers read from data (`num_classes = len(class_names)`) its shapes and parameter counts are
    # expressions of: name -> {"line": where the value came from, "reason": why it is not known statically}.
    data_sizes: dict = field(default_factory=dict)

    @property
    def non_trainable_params(self) -> int:
        return self.total_params - self.trainable_params

    def to_networkx(self):
        """The model's layer graph as a networkx DiGraph, for graph algorithms on it (paths, depths,
        dominators): a node per layer and tensor operator, with the row's type, output shape, params and
        trainable params as attributes, and an edge from each layer a node reads from. networkx is
        imported here, on the first call: a check never needs it."""
        import networkx

        graph = networkx.DiGraph(name=self.name, symbol=self.symbol)
        for row in (*self.layers, *self.operations):
            graph.add_node(row.name, type=row.type, output_shape=row.output_shape, params=row.params,
                           trainable_params=row.trainable_params)
        for row in (*self.layers, *self.operations):
            graph.add_edges_from((source, row.name) for source in row.inbound)
        return graph


@dataclass(frozen=True)
class FileReport:
    """The models and findings of one checked file (or source text)."""

    path: str
    models: tuple[ModelReport, ...] = ()
    diagnostics: tuple[Diagnostic, ...] = ()

    def to_data(self):
        """The report as JSON data from which `from_data` makes an equal report (tuples, named sizes and all).
        Raises TypeError on a value it cannot write."""
        return _data(self)

    @staticmethod
    def from_data(data) -> "FileReport":
        """The report `to_data` wrote. Data that is not such a report raises ValueError (or TypeError)."""
        report = _value(data)
        if not isinstance(report, FileReport):
            raise ValueError("not a file report")
        return report


@dataclass(frozen=True)
class FileFailure:
    """A file archlint could not check: unreadable, or archlint itself failed on it."""

    path: str
    message: str  # one line: "cannot read PATH: reason" or "internal error on PATH: Type: reason"
    traceback: str | None = None  # archlint's own traceback, for an internal error


@dataclass(frozen=True)
class Report:
    """The result of a check: a report per file checked, and the files that could not be.

    `to_json()` is the JSON report `archlint check --format json` prints; `fails` says whether
    the findings reach the settings' `fail-on` severity (exit status 1 on the command line), and
    `failures` lists the files archlint could not check (exit status 2).
    """

    files: tuple[FileReport, ...] = ()
    failures: tuple[FileFailure, ...] = ()
    fail_on: str = "warning"  # the lowest severity that fails the check, or "never"

    @property
    def diagnostics(self) -> Iterator[Diagnostic]:
        return (d for f in self.files for d in f.diagnostics)

    @property
    def worst_severity(self) -> str | None:
        """The most severe finding's severity, None without findings."""
        return max((d.severity for d in self.diagnostics), key=SEVERITY_RANK.__getitem__, default=None)

    @property
    def fails(self) -> bool:
        threshold = SEVERITY_RANK.get(self.fail_on)
        worst = self.worst_severity
        return threshold is not None and worst is not None and SEVERITY_RANK[worst] >= threshold

    def to_json(self) -> str:
        from archlint.report import json_report

        return json_report.render(self.files)


# What a report holds, as JSON: a value is a number, string, bool or None; a JSON array is a tuple (shapes, rows:
# the most of a report); other values are objects naming their kind: {"l": items} a list, {"d": [[key, value],
# ...]} a dict, {"s": terms} a named size, {"n": [name, whether read from data]} and {"f": [content, divisor]} the
# atoms of its terms, {"z": [...]} a set of accepted sizes, and {"c": class name, "v": {field: value}} one of the
# classes above. A plain value is written and read in place, without a call (a report holds hundreds of thousands).
_CLASSES = {cls.__name__: cls for cls in (FileReport, ModelReport, LayerRow, Diagnostic)}
_PLAIN = (type(None), bool, int, float, str)


def _data(report: FileReport):
    from archlint.dims import Floor, Size, Symbol
    from archlint.sizes import SizeSet

    def data(value):
        kind = type(value)
        if kind is tuple:
            return [item if type(item) in _PLAIN else data(item) for item in value]
        if kind in _PLAIN:
            return value
        if kind is list:
            return {"l": [data(item) for item in value]}
        if kind is dict:
            return {"d": [[data(key), data(item)] for key, item in value.items()]}
        if kind in _FIELDS:
            return {"c": kind.__name__, "v": {name: data(getattr(value, name)) for name in _FIELDS[kind]}}
        if kind is Size:
            return {"s": [[[data(atom) for atom in monomial], coefficient] for monomial, coefficient in value.terms.items()]}
        if kind is Symbol:
            return {"n": [value.name, value.from_data]}
        if kind is Floor:
            return {"f": [data(value.content), value.divisor]}
        if kind is SizeSet:
            return {"z": [value.below, value.start, value.period, value.residues]}
        raise TypeError(f"a report holds no {kind.__name__}")

    return data(report)


def _value(document):
    from archlint.dims import Floor, Size, Symbol
    from archlint.sizes import SizeSet

    def value(data):
        kind = type(data)
        if kind is list:
            return tuple([item if type(item) in _PLAIN else value(item) for item in data])
        if kind in _PLAIN:
            return data
        if kind is not dict or len(data) not in (1, 2):
            raise ValueError(f"not a report value: {data!r:.80}")
        if "c" in data:
            return _CLASSES[data["c"]](**{name: value(item) for name, item in data["v"].items()})
        (tag, body), = data.items()
        if tag == "l":
            return [value(item) for item in body]
        if tag == "d":
            return {value(key): value(item) for key, item in body}
        if tag == "s":
            terms = {tuple(value(atom) for atom in monomial): coefficient for monomial, coefficient in body}
            if not all(type(c) is int and c and all(type(a) in (Symbol, Floor) for a in m) for m, c in terms.items()):
                raise ValueError("not the terms of a named size")
            return Size(terms)
        if tag == "n":
            name, from_data = body
            if type(name) is not str or type(from_data) is not bool:
                raise ValueError("not a named size")
            return Symbol(name, from_data)
        if tag == "f":
            content, divisor = body
            content = value(content)
            if type(content) is not Size or type(divisor) is not int:
                raise ValueError("not a floor division")
            return Floor(content, divisor)
        if tag == "z":
            below, start, period, residues = body
            return SizeSet(list(below), start, period, list(residues))
        raise ValueError(f"not a report value: {data!r:.80}")

    return value(document)


_FIELDS = {cls: tuple(f.name for f in dataclasses.fields(cls)) for cls in _CLASSES.values()}
