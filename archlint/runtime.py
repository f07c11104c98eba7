"""`--verify`: run each model with the layers' NumPy forwards and compare with the static result.

Every model runs on random inputs of its inferred input shapes, with weights of the inferred
shapes drawn from a seeded generator, in float32. Each node's output shape must be the one
the static analysis gives for that input, and each layer's weights must hold its static
parameter count; a disagreement is an AL401 naming the layer and both results.

A first pass over shapes alone fixes what the static result leaves open (the batch axis runs
as 1, unknown spatial or time sizes take the smallest value the model accepts) and the memory
the run needs: weights plus the peak of the activations alive at once, each freed after its
last reader. A model over the budget allocates nothing and gets an AL303 instead, as does a
model with parts the runtime cannot execute (a custom layer's call, an opaque Lambda).
"""

from __future__ import annotations

from dataclasses import dataclass

from archlint.analysis import FileAnalysis, ModelAnalysis
from archlint.config import DEFAULT_BUDGET, SIZE_UNITS, parse_size  # noqa: F401  (parse_size: beside the budget it reads)
from archlint.dims import Shape, data_names, format_shape, has_sizes, is_size, product
from archlint.errors import LayerError, NotVerified, Unresolved, VerifyMismatch
from archlint.evaluate.user_classes import TracedLambda, UserLayer
from archlint.graph import Node, Position, Tensor
from archlint.kernels import parallel
from archlint.layers.base import Layer, Weight, np, weight_arrays
from archlint.models import Model, SequentialModel
from archlint.results import Diagnostic
from archlint.rules import severity_of
from archlint.values import Unknown

ITEM_BYTES = 4  # float32 throughout
BATCH = 1  # what an unknown batch axis runs as
LARGEST_TRIED_SIZE = 1024  # unknown spatial and time sizes are tried from 1 up to this
BOOKKEEPING_BYTES = 1024 ** 2  # the run's own Python objects and array headers, beyond weights and activations


def format_bytes(count: int) -> str:
    for unit in ("GiB", "MiB", "KiB"):
        scale = SIZE_UNITS[unit[0]]
        if count >= scale:
            return f"{count / scale:.1f} {unit}"
    return f"{count} bytes"


class NotVerifiable(Exception):
    """Something the runtime cannot execute or size: the static result stands, with an AL303 saying why."""


class SizeRefused(Exception):
    """The tried input size gives some layer an empty or invalid output: a larger one may do."""


# -- what runs: the nodes between a model's inputs and outputs ---------------------------------


@dataclass
class Program:
    """Nodes in an order where each comes after the nodes it reads, and the tensors wanted at the end."""

    nodes: list[Node]
    outputs: list[Tensor]


def program(sources: list[Tensor], outputs: list[Tensor]) -> Program:
    """The nodes that compute `outputs` from `sources` (and from constants and inputs they reach)."""
    stop = {id(t) for t in sources}
    ordered: list[Node] = []
    state: dict[int, bool] = {}  # node id -> finished
    for tensor in outputs:
        if id(tensor) in stop or tensor.node is None or tensor.node.is_input:
            continue
        stack = [(tensor.node, False)]
        while stack:  # iterative depth-first search: deep models must not exhaust Python's stack
            node, expanded = stack.pop()
            if expanded:
                state[id(node)] = True
                ordered.append(node)
                continue
            if id(node) in state:
                continue
            state[id(node)] = False
            stack.append((node, True))
            for t in reversed(node.inputs):
                if id(t) not in stop and t.node is not None and not t.node.is_input and id(t.node) not in state:
                    stack.append((t.node, False))
    return Program(ordered, outputs)


def model_program(model: Layer) -> Program:
    """A model used as a layer: its own nodes, from its inputs to its outputs."""
    if isinstance(model, SequentialModel):
        if model.input_tensor is None:
            raise NotVerifiable(f"Sequential {model.name} has no input shape")
        return program([model.input_tensor], [model.output_tensor])
    return program(model.inputs, model.outputs)


def model_inputs(model: Layer) -> list[Tensor]:
    return [model.input_tensor] if isinstance(model, SequentialModel) else model.inputs


def report_programs(report: ModelAnalysis) -> list[Program]:
    """What runs for one reported model: its graph, or each layer call on its own for layers called
    outside a model and for the layers a subclassed model's call traced."""
    if report.kind in ("functional", "sequential"):
        return [model_program(report.model)]
    nodes = {id(node): node for row in report.layers for node in row.nodes}
    if not nodes:
        raise NotVerifiable(f"`{report.symbol}` was never called on an input")
    return [program(node.inputs, node.outputs) for node in nodes.values()]


def forward_missing(node: Node) -> str | None:
    """Why the runtime cannot call this node's forward, or None when it can."""
    layer = node.layer
    if isinstance(layer, UserLayer):
        return f"{describe(node)} is a custom layer, whose call() archlint does not execute"
    if isinstance(layer, TracedLambda):
        return f"{describe(node)} is a Lambda over the checked file's function, which archlint does not execute"
    if type(layer).forward is Layer.forward and not isinstance(layer, Model):
        return f"{describe(node)} has no NumPy forward"
    if not layer.built and type(layer).build is not Layer.build and not isinstance(layer, Model):
        return f"{describe(node)} has no weights: the static analysis refused its input"
    if any(isinstance(value, Unknown) for value in _leaves((node.args, node.kwargs))):
        return f"{describe(node)} is called with values not known statically"
    return None


def describe(node: Node) -> str:
    layer = node.layer
    return f"{layer.name} ({layer.type_name})" if layer.name else layer.type_name


# -- the two passes: shapes first, arrays second --------------------------------------------


class Pass:
    """Runs programs over some kind of value, freeing each value after its last reader.

    `live` counts the elements of the values held at once; a model called as a layer runs its
    own program inside the caller's.
    """

    def __init__(self, size: int, batch: int):
        self.size = size  # what unknown spatial and time sizes run as
        self.batch = batch  # what an unknown batch axis runs as
        self.live = 0
        self.peak = 0

    def run(self, prog: Program, values: dict[int, object]) -> list:
        """Run `prog` with `values` holding its sources (missing ones are made); the outputs' values."""
        given = set(values)
        produced = {id(t) for node in prog.nodes for t in node.outputs}
        wanted = {id(t) for t in prog.outputs}
        last_read: dict[int, int] = {}
        for index, node in enumerate(prog.nodes):
            for tensor in node.inputs:
                last_read[id(tensor)] = index
                if id(tensor) not in values and id(tensor) not in produced:
                    values[id(tensor)] = self.source(tensor)
                    self.live += self.elements(values[id(tensor)])
        for index, node in enumerate(prog.nodes):
            if isinstance(node.layer, Model):
                outputs = self.call_model(node, values)
            else:
                arguments = (_substitute(node.args, values), _substitute(node.kwargs, values))
                outputs = self.apply(node, *arguments, [values[id(t)] for t in node.inputs])
            for tensor, value in zip(node.outputs, outputs):
                values[id(tensor)] = value
                self.live += self.elements(value)
            for tensor in [*node.inputs, *node.outputs]:
                done = last_read.get(id(tensor), index) <= index
                if done and id(tensor) in values and id(tensor) not in wanted and id(tensor) not in given:
                    self.live -= self.elements(values.pop(id(tensor)))
        for tensor in prog.outputs:
            if id(tensor) not in given and id(tensor) not in values:
                values[id(tensor)] = self.source(tensor)  # an output that is also a constant
                self.live += self.elements(values[id(tensor)])
        results = [values[id(t)] for t in prog.outputs]
        # What stays is handed to the caller, which counts it again as its node's outputs.
        for key in set(values) - given:
            self.live -= self.elements(values.pop(key))
        return results

    def call_model(self, node: Node, values: dict[int, object]) -> list:
        inputs = model_inputs(node.layer)
        if len(inputs) != len(node.inputs):
            raise NotVerifiable(f"{describe(node)} is called on {len(node.inputs)} tensors for {len(inputs)} inputs")
        return self.run(model_program(node.layer), {id(inner): values[id(outer)] for inner, outer in zip(inputs, node.inputs)})

    def concrete(self, shape: Shape | None, what: str) -> tuple[int, ...]:
        """A static shape with its unknown axes as this run sizes them (every named size too)."""
        if shape is None:
            raise NotVerifiable(f"the shape of {what} is not known statically")
        return tuple(self.batch if d is None and axis == 0 else self.size if d is None else self.sized(d)
                     for axis, d in enumerate(shape))

    def sized(self, d):
        """A dimension on this run's input: an expression of named sizes with each of them `size`."""
        return d.value(dict.fromkeys(d.names(), self.size)) if is_size(d) else d

    # What each pass does with values.
    def source(self, tensor: Tensor):
        raise NotImplementedError

    def apply(self, node: Node, args, kwargs, inputs: list) -> list:
        raise NotImplementedError

    def elements(self, value) -> int:
        raise NotImplementedError


class ShapePass(Pass):
    """The static shape rules on concrete shapes: what every node will output, and the memory the run needs."""

    def __init__(self, size: int, batch: int):
        super().__init__(size, batch)
        self.expected: list[tuple[Node, list[tuple[int, ...]]]] = []  # in the order the array pass meets them
        self.weights: dict[int, Weight] = {}

    def source(self, tensor):
        return self.concrete(tensor.shape, "an input")

    def elements(self, shape) -> int:
        return product(shape)

    def apply(self, node, args, kwargs, inputs):
        self.add_weights(node.layer)
        runnable = forward_missing(node) is None
        if not runnable:  # the static shapes stand in for what it would compute
            outputs = [self.concrete(t.shape, describe(node) + "'s output") for t in node.outputs]
        else:
            try:
                # The run computes concrete arrays: the shapes a call on them gives (EinsumDense's einsum fills in
                # the None its symbolic shape keeps).
                result = node.layer.eager_output_shape(node.layer.compute_output_shape(*args, **kwargs), *args, **kwargs)
            except (LayerError, Unresolved) as exc:
                raise SizeRefused(f"{describe(node)}: {getattr(exc, 'message', None) or exc}") from None
            outputs = result if isinstance(result, list) else [result]
            for shape in outputs:
                numbers = data_names(shape)
                if numbers:  # Dense(num_classes): no array can be made for a number the run is not given
                    raise NotVerifiable(f"{describe(node)} is sized by {', '.join(sorted(numbers))}, a number "
                                        "not known statically")
                if shape is None or any(not isinstance(d, int) for d in shape):
                    raise NotVerifiable(f"{describe(node)} has an output shape not known statically")
                if any(d < 1 for d in shape):
                    raise SizeRefused(f"{describe(node)} gives an empty output {format_shape(shape)}")
        outputs = [tuple(shape) for shape in outputs]
        scratch = node.layer.scratch_size(inputs, outputs) if runnable else 0
        self.peak = max(self.peak, self.live + sum(map(product, outputs)) + scratch)
        self.expected.append((node, outputs))
        return outputs

    def call_model(self, node, values):
        self.add_weights(node.layer)
        return super().call_model(node, values)

    def add_weights(self, layer: Layer) -> None:
        for _, weight in layer.all_weights():
            self.weights.setdefault(id(weight), weight)

    @property
    def weight_bytes(self) -> int:
        return sum(w.size for w in self.weights.values()) * ITEM_BYTES

    @property
    def activation_bytes(self) -> int:
        return self.peak * ITEM_BYTES


@dataclass
class Disagreement:
    node: Node
    message: str


class ArrayPass(Pass):
    """The forwards on arrays, each output compared with what the shape pass expects of it."""

    def __init__(self, shapes: ShapePass, rng):
        super().__init__(shapes.size, shapes.batch)
        self.rng = rng
        self.expected = iter(shapes.expected)
        self.disagreements: list[Disagreement] = []
        self.not_run: list[str] = []
        self.outputs: list = []  # the last program's results

    def random(self, shape):
        # In [0, 1): valid wherever an input goes, including as indices for a lookup (they truncate to 0).
        return self.rng.random(shape, dtype=np.float32)

    def source(self, tensor):
        return self.random(self.concrete(tensor.shape, "an input"))

    def elements(self, array) -> int:
        return array.size

    def apply(self, node, args, kwargs, inputs):
        expected_node, expected = next(self.expected)
        assert expected_node is node, "the passes must meet the nodes in the same order"
        missing = forward_missing(node)
        if missing:
            self.not_run.append(missing)
            return [self.random(shape) for shape in expected]
        try:
            result = node.layer.forward(*args, **kwargs)
        except NotImplementedError as exc:
            self.not_run.append(f"{describe(node)}: {exc}")
            return [self.random(shape) for shape in expected]
        except Exception as exc:  # any failure of a forward on the static shapes is a disagreement
            inputs_text = ", ".join(format_shape(a.shape) for a in inputs)
            self.disagree(node, f"its NumPy forward fails on input {inputs_text}, which the static analysis "
                                f"accepts: {type(exc).__name__}: {exc}")
            return [self.random(shape) for shape in expected]
        outputs = list(result) if isinstance(result, (list, tuple)) else [result]
        actual = [tuple(np.shape(a)) for a in outputs]
        static = [t.shape for t in node.outputs]
        if actual != expected or not all(_compatible(a, s, self.sized) for a, s in zip(actual, static)):
            said = format_shape(static[0] if len(static) == 1 else static)
            if any(None in s[1:] or has_sizes(s) for s in static if s is not None):
                said += f", which is {_listed(expected)} on this input,"
            self.disagree(node, f"output shape {said} statically, {_listed(actual)} from the NumPy runtime")
            # The layers after it are judged on the input the static analysis gave them.
            return [self.random(shape) for shape in expected]
        return [np.asarray(a, dtype=np.float32) for a in outputs]

    def disagree(self, node: Node, message: str) -> None:
        self.disagreements.append(Disagreement(node, f"{describe(node)}: {message}"))


def _compatible(actual: tuple[int, ...], static: Shape | None, sized) -> bool:
    return static is not None and len(actual) == len(static) and all(s is None or sized(s) == a for a, s in zip(actual, static))


def _listed(shapes) -> str:
    return format_shape(shapes[0] if len(shapes) == 1 else [tuple(s) for s in shapes])


def _substitute(value, values: dict[int, object]):
    """The call's structure with each tensor replaced by its value."""
    if isinstance(value, Tensor):
        return values[id(value)]
    if isinstance(value, list):
        return [_substitute(v, values) for v in value]
    if isinstance(value, tuple):
        return tuple(_substitute(v, values) for v in value)
    if isinstance(value, dict):
        return {k: _substitute(v, values) for k, v in value.items()}
    return value


def _leaves(value):
    if isinstance(value, (list, tuple)):
        return [x for item in value for x in _leaves(item)]
    if isinstance(value, dict):
        return [x for item in value.values() for x in _leaves(item)]
    return [value]


# -- one model, one file ---------------------------------------------------------------------------


def plan(programs: list[Program], batch: int = BATCH) -> ShapePass:
    """The shape pass at the smallest size for unknown axes that every layer accepts."""
    unknown = any(t.shape is not None and (None in t.shape[1:] or has_sizes(t.shape)) for prog in programs for t in _sources(prog))
    refused = None
    for size in range(1, LARGEST_TRIED_SIZE + 1 if unknown else 2):
        shapes = ShapePass(size, batch)
        try:
            for prog in programs:
                shapes.run(prog, {})
            return shapes
        except SizeRefused as exc:
            refused = exc
    if unknown:
        raise NotVerifiable(f"no size up to {LARGEST_TRIED_SIZE} for its unknown input axes is accepted "
                            f"by every layer ({refused})")
    raise NotVerifiable(f"its layers refuse the static shapes with a batch of {batch} ({refused})")


def _sources(prog: Program) -> list[Tensor]:
    produced = {id(t) for node in prog.nodes for t in node.outputs}
    return [t for node in prog.nodes for t in node.inputs if id(t) not in produced]


class Execution:
    """One reported model made runnable: its shapes planned at construction (nothing allocated),
    its weights by `allocate`, after which `run` may be called any number of times.

    The arrays are the execution's own (`arrays`, by id of the weight): the analysis it runs is
    left as it was, so that several executions of one analysis never see each other's weights.
    """

    def __init__(self, report: ModelAnalysis, batch: int = BATCH, seed: int = 0):
        self.report = report
        self.programs = report_programs(report)
        self.shapes = plan(self.programs, batch)
        self.weights = list(self.shapes.weights.values())
        self.arrays: dict[int, object] = {}
        self.rng = np.random.default_rng(seed)

    @property
    def bytes_needed(self) -> int:
        return self.shapes.weight_bytes + self.shapes.activation_bytes + BOOKKEEPING_BYTES

    def allocate(self) -> None:
        self.arrays = {id(weight): random_weight(weight.shape, self.rng) for weight in self.weights}

    def release(self) -> None:
        self.arrays = {}

    def run(self, inputs: list | None = None) -> ArrayPass:
        """Every program on random inputs, or a model's graph on `inputs` (arrays for its inputs in order);
        the pass returned holds the findings and the results."""
        arrays = ArrayPass(self.shapes, self.rng)
        given = {} if inputs is None else {id(t): x for t, x in zip(model_inputs(self.report.model), inputs)}
        # Random weights may overflow; only the shapes matter here.
        with parallel.on_every_cpu(), np.errstate(all="ignore"), weight_arrays(self.arrays):
            for prog in self.programs:
                arrays.outputs = arrays.run(prog, dict(given))
        return arrays


@dataclass
class Outcome:
    verified: bool | None
    findings: list[tuple[str, str, Node | None]]  # (code, message, node to point at or None for the model)


def verify_model(report: ModelAnalysis, budget: int = DEFAULT_BUDGET, seed: int = 0) -> Outcome:
    """Execute one reported model and compare every node with the static result."""
    try:
        execution = Execution(report, seed=seed)
    except NotVerifiable as exc:
        return Outcome(None, [(NotVerified.code, f"`{report.symbol}` not verified: {exc}", None)])
    except Exception as exc:  # the runtime's own failure must not cost the file its static findings
        return Outcome(None, [(NotVerified.code, f"`{report.symbol}` not verified: the runtime could not plan its run "
                                                 f"({type(exc).__name__}: {exc}); please report this", None)])
    shapes = execution.shapes
    if execution.bytes_needed > budget:
        return Outcome(None, [(NotVerified.code,
                               f"`{report.symbol}` not verified: running it needs about "
                               f"{format_bytes(execution.bytes_needed)} ({format_bytes(shapes.weight_bytes)} "
                               f"of weights, {format_bytes(shapes.activation_bytes)} of activations at the "
                               f"peak), over the --verify-budget of {format_bytes(budget)}", None)])
    try:
        execution.allocate()
        arrays = execution.run()
        findings = [(VerifyMismatch.code, d.message, d.node) for d in arrays.disagreements]
        findings += [(VerifyMismatch.code, message, node)
                     for message, node in parameter_disagreements(report, execution.arrays)]
    finally:
        execution.release()
    if arrays.not_run:
        shown = "; ".join(dict.fromkeys(arrays.not_run))
        findings.append((NotVerified.code,
                         f"`{report.symbol}` verified only in part: {shown}; their static output shapes "
                         "were taken as given", None))
    verified = False if any(code == VerifyMismatch.code for code, _, _ in findings) else None if findings else True
    return Outcome(verified, findings)


def random_weight(shape: tuple[int, ...], rng):
    """Positive values (a variance must be) scaled by the fan-in, so that activations stay finite through deep stacks."""
    value = rng.random(shape, dtype=np.float32)
    value += np.float32(0.5)
    value /= np.float32(product(shape[:-1]) if len(shape) > 1 else 1)
    return value


def parameter_disagreements(report: ModelAnalysis, arrays: dict[int, object]) -> list[tuple[str, Node | None]]:
    """Layers whose allocated weights (`arrays`, by id of the weight) do not hold the parameter count
    the static analysis reported."""
    found = []
    for row in report.layers:
        ids = {id(w) for _, w in row.layer.all_weights()}
        if row.params is None or not ids <= arrays.keys():
            continue  # not built, or not part of the run
        allocated = sum(arrays[i].size for i in ids)
        if allocated != row.params:
            node = row.nodes[0] if row.nodes else None
            found.append((f"{row.name} ({row.type}): {row.params:,} parameters statically, "
                          f"{allocated:,} in the weights the NumPy runtime allocated", node))
    return found


def verify_file(report: FileAnalysis, budget: int = DEFAULT_BUDGET, seed: int = 0) -> list[Diagnostic]:
    """Verify every model of a file: sets each model's `verified` and returns the findings."""
    found = []
    for model in report.models:
        outcome = verify_model(model, budget, seed)
        model.verified = outcome.verified
        for code, message, node in outcome.findings:
            found.append(_diagnostic(code, message, model, node))
    return found


def _diagnostic(code: str, message: str, model: ModelAnalysis, node: Node | None) -> Diagnostic:
    """A finding at the layer call (else the layer's construction), or for the whole model at the model."""
    candidates = [node.position, getattr(node.layer, "origin", None)] if node is not None else []
    candidates += [getattr(model.model, "origin", None), *(n.position for row in model.layers for n in row.nodes)]
    where = next((p for p in candidates if p is not None), Position(model.line or 1, 1, model.line or 1, 1))
    return Diagnostic(code, severity_of(code), message, where.line, where.column, where.end_line, where.end_column,
                      symbol=model.symbol, layer=None if node is None else node.layer.name, chain=where.chain)
