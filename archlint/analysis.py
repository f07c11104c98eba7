"""One file in, one analysis out: parse, evaluate, find the models, tabulate their layers.

The analysis holds the evaluator's live objects (layers, their applications, the layer graph):
the rules and --verify read it. `file_report` turns it into the plain report (results.py) that
the report formats and the API's users see.
"""

from __future__ import annotations

import gc
import sys
from collections.abc import Callable
from contextlib import contextmanager
from dataclasses import dataclass, field, replace

import libcst as cst

from archlint import dims, sizes
from archlint.errors import IncompatibleShapes, MissingInputShape, NegativeDimension, ReshapeMismatch, Unresolved
from archlint.evaluate.interpreter import Evaluator
from archlint.evaluate.keras_api import axis_letters
from archlint.evaluate.objects import Event, Function, default_line_name
from archlint.evaluate.keras_api import Sighting, trainable_state
from archlint.evaluate.source import Refused, parse
from archlint.evaluate.user_classes import UserLayer
from archlint.graph import LayerGraph, Node, application_macs, counted_shapes
from archlint.layers.base import Layer
from archlint.layers.opaque import OpaqueLayer
from archlint.models import FunctionalModel, Model, SequentialModel, unique_layers
from archlint.results import FLOAT32_BYTES, Diagnostic, FileReport, LayerRow, ModelReport
from archlint.rules import severity_of


@dataclass
class LayerAnalysis:
    """A row of a model's table, with the layer and its applications (nodes)."""

    name: str
    type: str
    line: int | None
    output_shape: object  # a shape tuple, a list of them for several outputs, or None when unknown
    params: int | None
    trainable_params: int | None
    inbound: list[str]
    layer: Layer = field(repr=False)
    nodes: list[Node] = field(repr=False)
    cell: int | None = None  # in a notebook, the code cell `line` counts in
    via: tuple[str, ...] = ()  # the helper calls and loop iterations that led to the layer's creation
    call_ids: tuple[int | None, ...] = ()  # per `via` step: Position.call_ids
    nested: "ModelAnalysis | None" = field(default=None, repr=False)  # a model used as a layer: its own rows


@dataclass
class ModelAnalysis:
    """A model found in the file, with the evaluator's model object."""

    symbol: str
    name: str
    kind: str
    line: int | None
    inputs: list[tuple[str, object]]
    layers: list[LayerAnalysis]
    total_params: int
    trainable_params: int
    complete: bool
    verified: bool | None = None
    model: Model | None = field(default=None, repr=False)
    factory: str | None = None  # the top-level function whose call built it, if any
    cell: int | None = None
    # A functional model's tensor operators, which `layers` leaves out as Keras does but `inbound` may name.
    operations: list[LayerAnalysis] = field(default_factory=list)
    # Per named size of its inputs the sizes the model accepts (empty without named sizes); None with
    # `sizes_unknown` saying why when some layer saw a named size as None.
    accepted_sizes: dict | None = field(default_factory=dict)
    joint_size_conditions: list[str] = field(default_factory=list)  # conditions relating several sizes
    sizes_unknown: str | None = None
    # The numbers read from data its shapes and counts are expressions of: name -> {"line", "reason"}.
    data_sizes: dict = field(default_factory=dict)

    @property
    def non_trainable_params(self) -> int:
        return self.total_params - self.trainable_params


@dataclass
class FileAnalysis:
    """The file's models and findings, with every layer application the evaluator made (`graph`)."""

    path: str
    models: list[ModelAnalysis] = field(default_factory=list)
    diagnostics: list[Diagnostic] = field(default_factory=list)
    graph: LayerGraph | None = field(default=None, repr=False)  # every layer application the evaluator made
    line_name: Callable[[int], str] = field(default=default_line_name, repr=False)  # for messages: "line 7"
    stopped: bool = field(default=False, repr=False)  # the analysis budget ended the evaluation (AL301)


def analyze_file(path: str, display_path: str | None = None) -> FileAnalysis:
    with open(path, "rb") as handle:
        data = handle.read()
    return analyze_source(data, display_path or path)


def analyze_source(source: bytes | str, path: str, input_shapes: dict | None = None,
                   line_name: Callable[[int], str] = default_line_name, assume_imports: bool = False,
                   max_seconds: float | None = None) -> FileAnalysis:
    """The file's models and findings; `input_shapes` names inputs (or models) and the shapes to give them;
    The analysis ends within `max_seconds` (default: the interpreter's MAX_SECONDS) with an AL301, see there.

    A size error on an input of given sizes names the nearest sizes the model accepts, found by analysing
    the file again with those sizes named."""
    with collector_spaced():
        report = _analyze(source, path, input_shapes, line_name, assume_imports, max_seconds)
        named = _sizes_named(report)
        # Not after a stop: the same code again would take the whole budget again.
        if named and not report.stopped and any(d.code in SIZE_ERRORS for d in report.diagnostics):
            shapes = {**(input_shapes or {}), **{name: shape for name, (shape, _) in named.items()}}
            _add_nearest_sizes(report, _analyze(source, path, shapes, line_name, assume_imports, max_seconds), named)
    return report


# The cyclic collector's thresholds while a file is analysed: allocations between two young collections, and
# young collections between two older ones (Python's defaults: 700, 10, 10).
COLLECTOR_THRESHOLDS = (200_000, 30, 30)


@contextmanager
def collector_spaced():
    """The analysis makes many small objects that live until the file is done (syntax nodes, values, layers,
    tensors): at Python's default threshold the cyclic collector walks them again and again, so that the time
    per layer doubled from 1,000 to 10,000 layers. The caller's threshold is restored afterwards."""
    threshold = gc.get_threshold()
    gc.set_threshold(*map(max, threshold, COLLECTOR_THRESHOLDS))
    try:
        yield
    finally:
        gc.set_threshold(*threshold)


# The errors an input size can cause (a window larger than its input, a merge or reshape of mismatched sizes).
SIZE_ERRORS = (NegativeDimension.code, IncompatibleShapes.code, ReshapeMismatch.code)


def _sizes_named(report: FileAnalysis) -> dict[str, tuple]:
    """Per input of a given size: its shape with each spatial size named (`image.H`), and those names' sizes."""
    named = {}
    made = {node.layer.name: getattr(node.layer, "axis_letters", None) for node in report.graph.nodes if node.is_input} \
        if report.graph is not None else {}
    for model in report.models:
        for name, shape in model.inputs:
            if not isinstance(shape, tuple) or not all(isinstance(d, int) for d in shape[1:]) or not 2 <= len(shape) <= 5:
                continue
            letters = made.get(name) or axis_letters(len(shape) - 1, "channels_last")
            # Every axis but a channel axis: its size named, with the size given.
            given = {f"{name}.{letter}": d for letter, d in zip(letters, shape[1:]) if letter != "C"}
            named[name] = (tuple(f"{name}.{letter}" if letter != "C" else d for letter, d in zip(letters, shape[1:])),
                           given)
    return named


def _add_nearest_sizes(report: FileAnalysis, renamed: FileAnalysis, named: dict) -> None:
    """Each size error of a model says which accepted sizes lie nearest the given ones."""
    given = {size_name: size for _, sizes_given in named.values() for size_name, size in sizes_given.items()}
    accepted = {m.symbol: m.accepted_sizes for m in renamed.models if m.accepted_sizes}
    for index, diagnostic in enumerate(report.diagnostics):
        found = accepted.get(diagnostic.symbol)
        if diagnostic.code not in SIZE_ERRORS or not found:
            continue
        nearest = [f"{name} = {', '.join(map(str, found[name].nearest(given[name])))} instead of {given[name]}"
                   for name in sorted(found) if name in given and given[name] not in found[name] and not found[name].empty]
        if nearest:
            message = f"{diagnostic.message} (the nearest input sizes the model accepts: {'; '.join(nearest)})"
            report.diagnostics[index] = replace(diagnostic, message=message)


def _analyze(source, path, input_shapes, line_name, assume_imports, max_seconds) -> FileAnalysis:
    report = FileAnalysis(path, line_name=line_name)
    dims.take_conditions()  # none left from an analysis that stopped half-way
    try:
        module = parse(source)
    except Refused as exc:
        report.diagnostics.append(_diagnostic(exc.code, exc.message, exc.line, exc.column))
        return report
    try:
        with _stack_budget():
            evaluator = Evaluator(module, cst.MetadataWrapper(module, unsafe_skip_copy=True), path)
            evaluator.input_shapes = input_shapes or {}
            evaluator.line_name = line_name
            evaluator.track_undefined_names(assume_imports)
            if max_seconds is not None:
                evaluator.max_seconds = max_seconds
            evaluator.run_module()
            handed_over = evaluator.keras.code_handed_over
            found = _module_models(evaluator)
            found += _factory_models(evaluator, {id(model) for _, model, _ in found})
            _build_with_given_shapes(evaluator, found)
    except RecursionError:
        report.diagnostics.append(_diagnostic(Unresolved.code, "code nested too deeply to analyse", 1, 1))
        return report
    models = [_tabulate_as_of(symbol, model, state, evaluator.keras.graph) for symbol, model, state in found]
    impossible = []
    for model_report in models:
        model_report.factory = evaluator.keras.model_origin.get(id(model_report.model))
        impossible += _solve_sizes(model_report)
        model_report.data_sizes = _data_sizes(model_report, evaluator.data_numbers.origins)
    eager = next((m for m in models if m.symbol == "<module>" and m.kind == "eager"), None)
    if eager is not None and handed_over is not None:
        position, what = handed_over
        evaluator.report(Unresolved.code, f"{what} is given a function, layer or model of this file and archlint does "
                                          "not follow what it runs: layers it calls on tensors outside a model are "
                                          "not listed under <module>", position)
        eager.complete = False
    report.models = models
    report.graph = evaluator.keras.graph
    report.stopped = evaluator.stopped
    # A library's module-level set-up is never the checked code's concern; what its layers' code could not
    # follow is said only when a model is left incomplete.
    complete = all(model_report.complete for model_report in models)
    events = [event for event in evaluator.events
              if id(event) not in evaluator.library_events or not (complete or evaluator.library_events[id(event)])]
    report.diagnostics = _diagnostics(events, models, impossible)
    return report


def _model_nodes(model) -> list[Node]:
    """Every application between a functional or Sequential model's inputs and outputs, inputs first."""
    if isinstance(model, FunctionalModel):
        outputs = model.outputs
    elif isinstance(model, SequentialModel) and model.output_tensor is not None:
        outputs = [model.output_tensor]
    else:
        return []
    found, seen, stack = [], set(), [t.node for t in outputs if t.node is not None]
    while stack:
        node = stack.pop()
        if id(node) in seen:
            continue
        seen.add(id(node))
        found.append(node)
        stack.extend(t.node for t in node.inputs if t.node is not None)
    return found[::-1]


def _data_sizes(report: ModelAnalysis, origins: dict) -> dict:
    """Where each number read from data that the model's shapes and parameter counts depend on came from."""
    rows = report.layers + report.operations
    names = dims.data_names([[shape for _, shape in report.inputs], [row.output_shape for row in rows],
                             [row.params for row in rows]])
    return {name: origins[name] for name in sorted(names) if name in origins}


def _condition_symbols(relation) -> set:
    if relation[0] == "or":
        return set().union(*(_condition_symbols(r) for r in relation[1]))
    return set().union(*(v.symbols() for v in relation[1:] if dims.is_size(v)))


def _solve_sizes(report: ModelAnalysis) -> list[tuple[Node, dims.Condition, str]]:
    """The model's accepted sizes per named input size, and per number read from data a check depends on
    (Add of Dense(num_classes) and Dense(10)); each size none can take, with the first condition that leaves
    none."""
    nodes = _model_nodes(report.model)
    names = set().union(*(dims.Size.names(d) for node in nodes if node.is_input
                          for t in node.outputs if t.shape for d in t.shape if dims.is_size(d)))
    names |= {s.name for node in nodes for condition in node.conditions
              for s in _condition_symbols(condition.relation) if s.from_data}
    if not names:
        return []
    if not report.complete:
        report.accepted_sizes = None
        report.sizes_unknown = "some layers are unresolved"
        return []
    blind = next((node for node in nodes if node.sizes_lost or node.sizes_read or not getattr(node.layer, "named_sizes", False)
                  and any(dims.has_sizes(t.shape) for t in node.inputs)), None)
    if blind is not None:
        how = "reads the shape as Keras gives it, None" if blind.sizes_read else "does not compute with named sizes"
        report.accepted_sizes = None
        report.sizes_unknown = f"{blind.layer.name} ({blind.layer.type_name}) {how}"
        return []
    conditions = [(node, condition) for node in nodes for condition in node.conditions]
    solution = sizes.solve([condition for _, condition in conditions])
    if solution.unsolved:
        report.accepted_sizes = None
        report.sizes_unknown = f"conditions on {', '.join(solution.unsolved)} beyond linear ones"
        return []
    report.accepted_sizes = {name: solution.sets.get(name, sizes.ANY_SIZE) for name in sorted(names)}
    report.joint_size_conditions = solution.joint
    impossible: dict[int, tuple] = {}  # one finding per layer application, naming every size it leaves empty
    for name, found in report.accepted_sizes.items():
        if found.empty:
            culprit = sizes.first_impossible([c for _, c in conditions], name)
            node = next(node for node, condition in conditions if condition is culprit)
            impossible.setdefault(id(node), (node, culprit, []))[2].append(name)
    return list(impossible.values())


# Python frames the evaluation may use: the same nesting is "too deep" whoever calls archlint and whatever
# recursion limit the process has (importing Keras raises it to 3,000).
EVALUATION_FRAMES = 950


@contextmanager
def _stack_budget():
    frame, depth = sys._getframe(), 0
    while frame is not None:
        frame, depth = frame.f_back, depth + 1
    limit = sys.getrecursionlimit()
    sys.setrecursionlimit(depth + EVALUATION_FRAMES)
    try:
        yield
    finally:
        sys.setrecursionlimit(limit)


def _build_with_given_shapes(evaluator: Evaluator, found) -> None:
    """A Sequential without an input shape gets the one given for its symbol, as model.build would."""
    for symbol, model, _ in found:
        given = evaluator.given_shape(symbol)
        if isinstance(model, SequentialModel) and model.input_tensor is None and given is not None:
            evaluator.keras.build_sequential(model, (None,) + given, model.origin)


def _is_model(value) -> bool:
    return isinstance(value, Model) or isinstance(value, UserLayer) and value.is_model


def _module_models(evaluator: Evaluator) -> list[tuple[str, object, dict | None]]:
    """Every model the file binds to a module-level name or calls summary(), compile() or fit() on, in the
    order the code does so: as it stood at each summary() call, and as it ends unless the last summary()
    showed that already. A model ends under a module-level name still bound to it, else the last one it had."""
    final_names: dict[int, str] = {}
    for name, value in evaluator.globals.names.items():
        if _is_model(value):
            final_names.setdefault(id(value), name)
    seen: dict[int, list[tuple[int, Sighting]]] = {}
    for index, sighting in enumerate(evaluator.keras.sightings):
        seen.setdefault(id(sighting.model), []).append((index, sighting))
    entries = []
    for sightings in seen.values():
        model = sightings[0][1].model
        bound = [s.symbol for _, s in sightings if s.bound]
        symbol = final_names.get(id(model)) or (bound[-1] if bound else sightings[0][1].symbol)
        snapshots = []  # a summary() showing what the one before it showed adds nothing
        for index, s in sightings:
            if s.trainable is not None and not (snapshots and _same_state(snapshots[-1][1].trainable, s.trainable)):
                snapshots.append((index, s))
        final_state = trainable_state(model)
        for position, (index, sighting) in enumerate(snapshots):
            last = position == len(snapshots) - 1
            as_final = last and _same_state(sighting.trainable, final_state)
            entries.append((index, symbol if as_final else sighting.symbol, model, None if as_final else sighting.trainable))
        if not snapshots or not _same_state(snapshots[-1][1].trainable, final_state):
            entries.append((sightings[-1][0], symbol, model, None))
    found = [(symbol, model, state) for _, symbol, model, state in sorted(entries, key=lambda e: e[0])]
    if evaluator.keras.eager_nodes:
        found.append(("<module>", list(evaluator.keras.eager_nodes), None))
    return found


def _same_state(state: dict, other: dict) -> bool:
    return {key: flag for key, (_, flag) in state.items()} == {key: flag for key, (_, flag) in other.items()}


def _factory_models(evaluator: Evaluator, reported: set[int]) -> list[tuple[str, object]]:
    """Top-level functions that return a model when called with their defaults; then those with parameters
    without a default that build a model themselves (`def build_model(num_classes)` calling keras.Sequential or
    keras.Model): called with each such parameter as the named size of its name, one is a factory when every
    count of the model it returns is then known (a function taking a shape or a layer there is not)."""
    keras = evaluator.keras
    already_built = {keras.model_origin.get(id(m)) for m in keras.models if id(m) in reported}
    found = []
    functions = [(name, value) for name, value in list(evaluator.globals.names.items())
                 if isinstance(value, Function) and value.path == evaluator.path and not name.startswith("_")
                 and name not in already_built]
    bare = [(name, value) for name, value in functions if _callable_bare(value)]
    for name, value in bare + [(name, value) for name, value in functions if (name, value) not in bare
                               and _builds_a_model(value.node)]:
        if evaluator.budget_spent():  # each function after would stop at once
            break
        events_before = len(evaluator.events)
        sightings_before = len(keras.sightings)
        keras.reset_names()
        keras.eager_nodes = []
        result = evaluator.call_factory(value)
        # Where the budget ran out is said, whatever the function would have made.
        kept = evaluator.events[-1:] if evaluator.budget_spent() and len(evaluator.events) > events_before else []
        if not _callable_bare(value):
            if _is_model(result) and _tabulate(name, result, keras.graph).complete:
                found.append((name, result, None))
            else:
                evaluator.forget_events(events_before)
                evaluator.events += kept
            continue
        # A function that builds and trains a model without returning it still yields that model.
        used = {id(s.model): (s.symbol, s.model) for s in keras.sightings[sightings_before:]}
        if _is_model(result):
            found.append((name, result, None))
        elif keras.eager_nodes:
            found.append((name, list(keras.eager_nodes), None))
        elif used:
            found.extend((symbol, model, None) for symbol, model in used.values())
        else:
            evaluator.forget_events(events_before)  # not a model factory: its findings are noise
            evaluator.events += kept
    return found


def _builds_a_model(function: cst.CSTNode) -> bool:
    """Whether a function's own code calls a model's constructor (`Sequential(...)`, `keras.Model(...)`) and
    returns a value."""
    found = set()

    class Finder(cst.CSTVisitor):
        def visit_Call(self, node: cst.Call) -> None:
            func = node.func
            leaf = func.value if isinstance(func, cst.Name) else func.attr.value if isinstance(func, cst.Attribute) else ""
            if leaf in ("Sequential", "Model"):
                found.add("constructor")

        def visit_Return(self, node: cst.Return) -> None:
            if node.value is not None:
                found.add("return")

    function.visit(Finder())
    return found == {"constructor", "return"}


def _callable_bare(function: Function) -> bool:
    params = function.node.params
    positional = [*params.posonly_params, *params.params]
    return all(p.name.value in function.defaults for p in positional) and \
        all(p.name.value in function.kw_defaults for p in params.kwonly_params)


def _shape_of(node: Node):
    shapes = [t.shape for t in node.outputs]
    return shapes[0] if len(shapes) == 1 else shapes


def _params_known(layer: Layer) -> bool:
    """Whether every weight of the layer, and of the layers and models inside it, has a known size."""
    if layer.unknown_params_reason or isinstance(layer, OpaqueLayer) and not layer.weightless:
        return False  # an opaque layer held by a custom layer (a subclass of a Keras layer that changes its call)
    inner = list(layer.sublayers)
    if isinstance(layer, UserLayer):
        inner += layer.held_layers()
    if isinstance(layer, Model):
        inner += list(layer.listed_layers())
    return all(_params_known(sub) for sub in inner)


def _first_application(layer: Layer, nodes: list[Node], graph) -> Node | None:
    """The layer's first symbolic application anywhere, when it comes before its first one in this model (a
    layer of a nested model applied again on its own)."""
    if not nodes or graph is None:
        return None
    applications = [n for n in graph.nodes_of(layer) if n.listed and not all(t.eager for t in n.outputs)]
    return applications[0] if applications and applications[0] is not nodes[0] else None


def _row(layer: Layer, nodes: list[Node], first: Node | None = None) -> LayerAnalysis:
    # Keras's layer.output: the layer's first application, which may be in another model it is shared with.
    shape = _shape_of(first or nodes[0]) if first or nodes else None
    sized = layer.built and _params_known(layer)
    params = layer.count_params() if sized else 0 if layer.weightless else None
    trainable = layer.count_trainable() if sized else 0 if layer.weightless else None
    inbound = []
    if nodes:
        for tensor in nodes[0].inputs:
            if tensor.node is not None:
                inbound.append(tensor.node.layer.name)
    origin = getattr(layer, "origin", None)
    line = origin.line if origin else None
    return LayerAnalysis(layer.name, layer.type_name, line, shape, params, trainable, inbound, layer, nodes,
                    via=origin.chain if origin else (), call_ids=origin.call_ids if origin else ())


def _tabulate_as_of(symbol: str, model, state: dict | None, graph) -> ModelAnalysis:
    """The model's table; with a summary() call's state (its layers then, and their trainable flags), as that
    call showed it."""
    if state is None:
        return _tabulate(symbol, model, graph)
    now = {**{key: (layer, layer.trainable) for key, (layer, _) in state.items()}, **trainable_state(model)}
    layers = model.layers if isinstance(model, SequentialModel) else None
    try:
        for layer, flag in state.values():
            layer.trainable = flag
        if layers is not None:  # the layers added by then
            model.layers = [layer for layer in layers if id(layer) in state]
        return _tabulate(symbol, model, graph)
    finally:
        for layer, flag in now.values():
            layer.trainable = flag
        if layers is not None:
            model.layers = layers


def _tabulate(symbol: str, model, graph, nesting: frozenset = frozenset()) -> ModelAnalysis:
    """The model's report; a model used as one of its layers gets its own, on that layer's row."""
    report = _tabulate_rows(symbol, model, graph)
    inside = nesting | {id(model)}
    for row in report.layers:
        if _is_model(row.layer) and id(row.layer) not in inside:
            row.nested = _tabulate(row.name, row.layer, graph, inside)
    return report


def _tabulate_rows(symbol: str, model, graph) -> ModelAnalysis:
    if isinstance(model, list):  # layers called on concrete tensors, in call order
        rows = [_row(node.layer, [node]) for node in model]
        layers = unique_layers(row.layer for row in rows)
        line = rows[0].line if rows else None
        return _report(symbol, symbol, "eager", line, [], rows, layers, None)
    if isinstance(model, UserLayer) and isinstance(model.functional, Model):  # a functional model of a Model subclass
        report = _tabulate_rows(symbol, model.functional, graph)
        report.name = model.name
        return report
    if isinstance(model, UserLayer):  # a subclassed model lists the layers it holds
        rows = [_row(layer, graph.nodes_of(layer)) for layer in model.held_layers()]
        line = model.origin.line if model.origin else None
        report = _report(symbol, model.name, "subclassed", line, [], rows, model.held_layers(), model)
        # Keras creates a subclassed model's weights when it is first called or built.
        report.complete = report.complete and model.built
        return report
    rows = [_row(layer, nodes, _first_application(layer, nodes, graph)) for layer, nodes in model.rows()]
    operations = []
    if isinstance(model, FunctionalModel):
        inputs = [(t.node.layer.name, t.shape) for t in model.inputs if t.node is not None]
        kind = "functional"
        operations = [_row(layer, nodes) for layer, nodes in model.operations()]
    else:
        inputs = [] if model.input_tensor is None else [(model.input_tensor.node.layer.name, model.input_tensor.shape)]
        kind = "sequential"
    line = model.origin.line if model.origin else None
    report = _report(symbol, model.name, kind, line, inputs, rows, unique_layers(model.listed_layers()), model)
    report.operations = operations
    return report


def _report(symbol, name, kind, line, inputs, rows, layers, model) -> ModelAnalysis:
    # Each weight once: a layer used both inside a nested model and on its own (GPT-2's token embedding, applied
    # again reversed by the language model head) holds one set of weights, as Keras counts them.
    # (Layers called outside a model keep a total per layer called, as the "<module>" entry has always listed.)
    weights = {}
    for layer in layers:
        if layer.built:
            for owner, weight in layer.all_weights():
                weights.setdefault(id(weight) if model is not None else (id(layer), id(weight)), (owner, weight))
    total = sum(weight.size for _, weight in weights.values())
    if model is not None and not model.trainable:
        trainable = 0
    else:
        # Keras asks each weight, not the models between: a layer unfrozen inside a frozen nested model counts.
        trainable = sum(weight.size for owner, weight in weights.values() if owner.trainable and weight.trainable)
    # Every application counts: a shared layer whose later call Keras refuses (AL101, AL111, AL112) has a known
    # first output, but the model has a tensor of unknown shape.
    complete = all(row.params is not None and _known(row.output_shape)
                   and all(_known(_shape_of(node)) for node in row.nodes) for row in rows) and \
        (kind != "sequential" or bool(inputs))
    return ModelAnalysis(symbol, name, kind, line, inputs, rows, total, trainable, complete, model=model)


def _known(shape) -> bool:
    if isinstance(shape, list):
        return all(_known(s) for s in shape)
    return shape is not None


def _diagnostic(code, message, line, column, end_line=None, end_column=None, **extra) -> Diagnostic:
    return Diagnostic(code, severity_of(code), message, line, column, end_line or line, end_column or column, **extra)


def _diagnostics(events: list[Event], models: list[ModelAnalysis], impossible=()) -> list[Diagnostic]:
    owner = {}
    for report in models:
        for row in report.layers:
            owner.setdefault(id(row.layer), report.symbol)
    found = []
    for event in events:  # the evaluator reports each finding once per place (Evaluator.report)
        symbol = owner.get(id(event.layer)) if event.layer is not None else None
        symbol = symbol or event.function or "<module>"
        where = event.position
        line, column = (where.line, where.column) if where else (1, 1)
        end = (where.end_line, where.end_column) if where else (line, column)
        found.append(_diagnostic(event.code, event.message, line, column, *end, symbol=symbol,
                                 layer=event.layer.name if event.layer is not None else None,
                                 chain=where.chain if where else ()))
    for report in models:
        # (A Model subclass given inputs and outputs not known statically has its own AL301 already.)
        if report.kind == "subclassed" and not report.model.built and report.model.origin is not None \
                and report.model.functional is None:
            where = report.model.origin
            found.append(_diagnostic(Unresolved.code,
                                     f"subclassed model `{report.symbol}` is never called on an input nor "
                                     "built with a shape: Keras has not created its weights, so its "
                                     "parameters are unknown", where.line, where.column, where.end_line,
                                     where.end_column, symbol=report.symbol))
        if report.kind == "sequential" and not report.inputs and report.layers \
                and not getattr(report.model.layers[0] if report.model.layers else None, "input_shape_given", False):
            model = report.model
            where = model.origin
            found.append(_diagnostic(MissingInputShape.code,
                                     f"Sequential model `{report.symbol}` has no input shape: add "
                                     "keras.Input(shape=...) as its first element, or pass --input-shape",
                                     where.line, where.column,
                                     where.end_line, where.end_column, symbol=report.symbol))
    for node, condition, names in impossible:  # a check no input size passes: the model accepts none
        where = node.position
        line, column = (where.line, where.column) if where else (1, 1)
        end = (where.end_line, where.end_column) if where else (line, column)
        symbol = owner.get(id(node.layer)) or "<module>"
        found.append(_diagnostic(condition.code, f"{node.layer.name} ({node.layer.type_name}) fails whatever the size of "
                                                 f"{' and '.join(names)}: {condition.text()} never holds together "
                                                 "with the checks before it, so the model accepts no input size",
                                 line, column, *end, symbol=symbol, layer=node.layer.name,
                                 chain=where.chain if where else ()))
    found.sort(key=lambda d: (d.line, d.column, d.code))
    return found


# -- the plain report -------------------------------------------------------------------------------------------

def file_report(analysis: FileAnalysis) -> FileReport:
    """The analysis as plain data: what the report formats show, without the evaluator's objects."""
    return FileReport(analysis.path, tuple(_model_report(model) for model in analysis.models),
                      tuple(analysis.diagnostics))


def _model_report(model: ModelAnalysis) -> ModelReport:
    return ModelReport(
        model.symbol, model.name, model.kind, model.line, tuple(tuple(item) for item in model.inputs),
        tuple(_layer_row(row, model.total_params) for row in model.layers), model.total_params,
        model.trainable_params, model.complete, model.verified, model.factory, model.cell,
        tuple(_layer_row(row, model.total_params) for row in model.operations), model.accepted_sizes,
        tuple(model.joint_size_conditions), model.sizes_unknown, model.data_sizes)


def _layer_row(row: LayerAnalysis, total_params: int) -> LayerRow:
    share = None if row.params is None or dims.is_size(row.params) or dims.is_size(total_params) or not total_params \
        else row.params / total_params
    return LayerRow(row.name, row.type, row.line, row.output_shape, row.params, row.trainable_params,
                    tuple(row.inbound), row.cell, tuple(row.via), tuple(row.call_ids), len(row.nodes),
                    row_macs(row.nodes), row_activation_bytes(row.nodes), share,
                    None if row.nested is None else _model_report(row.nested))


def _known_sum(values) -> int | None:
    total = 0
    for value in values:
        if value is None:
            return None
        total += value
    return total


def row_macs(nodes: list[Node]) -> int | None:
    """The MACs of a row's applications; None when some are unknown, or the layer was never applied."""
    return _known_sum(application_macs(node) for node in nodes) if nodes else None


def row_activation_bytes(nodes: list[Node]) -> int | None:
    """The float32 bytes of a row's outputs: what its applications hand on to the next layers."""
    if not nodes:
        return None
    outputs = []
    for node in nodes:
        shapes = counted_shapes(node)
        outputs.append(None if shapes is None else _known_sum(dims.product(shape) for shape in shapes[1]))
    total = _known_sum(outputs)
    return None if total is None else total * FLOAT32_BYTES
