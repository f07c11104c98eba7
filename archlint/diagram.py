"""Diagrams of a model's layer graph, in Mermaid and Graphviz DOT, from the report's data alone.

A diagram is built from one model as the JSON report holds it (rows with `inbound`, the tensor operators,
the `via`/`call_ids` of each layer's creation) and the findings located at its layers. Grouped by calls,
the layers one call of a helper function created are drawn as one cluster (nested as the calls were);
collapsed, each innermost cluster is one node with its totals.
"""

from __future__ import annotations

import shutil
import subprocess
from dataclasses import dataclass, field

from archlint.report.costs import count_text

SEVERITY_RANK = {"info": 0, "warning": 1, "error": 2}
# Fill and border per severity, for both writers.
SEVERITY_COLOURS = {"error": ("#ffebe9", "#cf222e"), "warning": ("#fff8c5", "#bf8700"), "info": ("#ddf4ff", "#0969da")}
NAME_SEPARATORS = "_./-"
GRAPHVIZ_HINT = ("needs Graphviz's `dot` on PATH: install Graphviz (apt-get install graphviz, brew install graphviz, "
                 "or https://graphviz.org/download/), or write --format dot or mermaid")


@dataclass
class Box:
    """One node: a layer, a tensor operator, an input, or a folded cluster."""

    key: str
    name: str
    type: str
    shape: object = None  # the JSON report's output shape
    params: int | str | None = 0  # a string: the expression of a number read from data
    severity: str | None = None
    codes: tuple[str, ...] = ()
    operation: bool = False
    layers: int = 1  # a folded cluster: how many layers it holds


@dataclass
class Cluster:
    key: str
    label: str
    boxes: list[str] = field(default_factory=list)  # keys of the boxes directly inside
    clusters: list["Cluster"] = field(default_factory=list)

    def all_boxes(self) -> list[str]:
        return self.boxes + [key for inner in self.clusters for key in inner.all_boxes()]


@dataclass
class Diagram:
    title: str
    boxes: dict[str, Box]
    edges: list[tuple[str, str]]
    clusters: list[Cluster] = field(default_factory=list)

    def ungrouped(self) -> list[str]:
        inside = {key for cluster in self.clusters for key in cluster.all_boxes()}
        return [key for key in self.boxes if key not in inside]


def build(model: dict, diagnostics: list[dict] = (), group_calls: bool = False, collapse: bool = False,
          expand_nested: bool = False, inner: bool = False) -> Diagram:
    """The diagram of one model of the JSON report, its layers marked with the findings located at them. With
    `expand_nested`, a model used as a layer (its row holding "nested") is drawn as a cluster of its own
    layers. `inner`: the model is nested in another; its findings are known by layer name alone."""
    rows = model["layers"]
    operations = model.get("operations", [])
    boxes: dict[str, Box] = {}
    by_name: dict[str, str] = {}

    def add(name, type_name, shape, params, operation=False) -> str:
        key = f"n{len(boxes)}"
        boxes[key] = Box(key, name, type_name, shape, params, operation=operation)
        by_name.setdefault(name, key)
        return key

    listed = {row["name"] for row in rows} | {op["name"] for op in operations}
    for given in model.get("inputs", []):  # a Sequential lists no InputLayer, yet it is drawn
        if given["name"] not in listed:
            add(given["name"], "InputLayer", given["shape"], 0)
    keys = [add(row["name"], row["type"], row["output_shape"], row["params"]) for row in rows]
    keys += [add(op["name"], op["type"], op["output_shape"], 0, operation=True) for op in operations]
    edges: dict[tuple[str, str], None] = {}  # in order, once each
    for key, item in zip(keys, rows + operations):
        for name in item["inbound"]:
            if name not in by_name:  # made outside the model's view (a subclassed model's other call)
                add(name, "?", None, None)
            edges[(by_name[name], key)] = None
    _mark_findings(boxes, by_name, None if inner else model["symbol"], diagnostics)
    diagram = Diagram(model["name"] if model["name"] == model["symbol"] else f"{model['symbol']} ({model['name']})",
                      boxes, list(edges))
    if group_calls or collapse:
        diagram.clusters = _call_clusters(dict(zip(keys, rows + operations)), boxes)
    if expand_nested:
        for key, row in zip(keys, rows):
            if row.get("nested"):
                inside = build(row["nested"], diagnostics, group_calls or collapse, expand_nested=True, inner=True)
                _expand(diagram, key, inside)
    if collapse:
        _fold_innermost(diagram)
    return diagram


def _mark_findings(boxes, by_name, symbol, diagnostics) -> None:
    for finding in diagnostics:
        key = by_name.get(finding.get("layer")) if symbol is None or finding.get("symbol") == symbol else None
        if key is None:
            continue
        box = boxes[key]
        if finding["code"] not in box.codes:
            box.codes += (finding["code"],)
        if box.severity is None or SEVERITY_RANK[finding["severity"]] > SEVERITY_RANK[box.severity]:
            box.severity = finding["severity"]


def _expand(diagram: Diagram, key: str, inside: Diagram) -> None:
    """The box `key` (a model used as a layer) replaced by a cluster of the nested model's own diagram: the
    tensors entering it go where its inputs went, those leaving it come from its outputs."""
    box = diagram.boxes.pop(key)
    renamed = {old: f"{key}_{old}" for old in inside.boxes}
    inputs = {old for old, inner in inside.boxes.items() if inner.type == "InputLayer"}
    edges = [(renamed[a], renamed[b]) for a, b in inside.edges if a not in inputs]
    sources, targets = {a for a, _ in inside.edges}, {b for _, b in inside.edges}
    entries = [renamed[b] for a, b in inside.edges if a in inputs] or \
        [renamed[old] for old in inside.boxes if old not in inputs and old not in targets]
    exits = [renamed[old] for old in inside.boxes if old not in inputs and old not in sources]
    for old, inner in inside.boxes.items():
        if old not in inputs:
            inner.key = renamed[old]
            diagram.boxes[inner.key] = inner

    def moved(cluster: Cluster) -> Cluster:
        return Cluster(f"{key}_{cluster.key}", cluster.label, [renamed[b] for b in cluster.boxes if b not in inputs],
                       [moved(c) for c in cluster.clusters])

    nested = Cluster(f"{key}_model", f"{box.name} ({box.type})",
                     [renamed[b] for b in inside.ungrouped() if b not in inputs], [moved(c) for c in inside.clusters])
    if not _replace_in(diagram.clusters, key, nested):
        diagram.clusters.append(nested)
    rewired: dict[tuple[str, str], None] = {}
    for a, b in diagram.edges:
        for edge in ([(a, entry) for entry in entries] if b == key else
                     [(exit, b) for exit in exits] if a == key else [(a, b)]):
            rewired[edge] = None
    diagram.edges = list(rewired) + edges


def _replace_in(clusters: list[Cluster], key: str, nested: Cluster) -> bool:
    """Put `nested` in place of the box `key` in the cluster holding it; False when no cluster does."""
    for cluster in clusters:
        if key in cluster.boxes:
            cluster.boxes.remove(key)
            cluster.clusters.append(nested)
            return True
        if _replace_in(cluster.clusters, key, nested):
            return True
    return False


# -- clusters by call -------------------------------------------------------------------------------------------

@dataclass
class _Call:
    call_id: int
    function: str
    where: str
    iteration: str = ""  # of the loop the call was made in, when it was: "iteration 2"
    boxes: list[str] = field(default_factory=list)
    calls: dict[int, "_Call"] = field(default_factory=dict)

    def size(self) -> int:
        return len(self.boxes) + sum(inner.size() for inner in self.calls.values())


def _call_clusters(items: dict[str, dict], boxes: dict[str, Box]) -> list[Cluster]:
    """One cluster per function call that created two or more of the layers, nested as the calls were. A call
    that created every layer of the model (the factory, a backbone builder) only builds the model: no cluster."""
    root = _Call(0, "", "")
    for key, item in items.items():
        call, iteration = root, ""
        for text, call_id in zip(item.get("via", ()), item.get("call_ids", ())):
            if call_id is None:  # a loop iteration: the calls inside it tell the iterations apart
                iteration = text.partition(" of ")[0]
                continue
            function, _, where = text.partition("()")
            call = call.calls.setdefault(call_id, _Call(call_id, function, where.removeprefix(" called at ").strip(),
                                                        iteration))
            iteration = ""
        call.boxes.append(key)
    built = sum(1 for key in items if boxes[key].type != "InputLayer")

    def clusters_of(call: _Call) -> tuple[list[str], list[Cluster]]:
        """The boxes `call` holds directly once its unclustered calls are opened, and its clusters."""
        direct, inner = list(call.boxes), []
        for sub in call.calls.values():
            sub_direct, sub_clusters = clusters_of(sub)
            layers = [key for key in sub_direct + [k for c in sub_clusters for k in c.all_boxes()]
                      if boxes[key].type != "InputLayer"]
            if len(sub_direct) + len(sub_clusters) < 2 or len(layers) >= built:
                direct += sub_direct
                inner += sub_clusters
            else:
                cluster = Cluster("", "", sub_direct, sub_clusters)
                cluster.label = _label(sub, [boxes[key].name for key in cluster.all_boxes()])
                inner.append(cluster)
        return direct, inner

    clusters = clusters_of(root)[1]
    numbers = iter(range(len(items) + 1))

    def renumber(cluster: Cluster) -> None:  # outer clusters first, as they are written
        cluster.key = f"c{next(numbers)}"
        for inner in cluster.clusters:
            renumber(inner)

    for cluster in clusters:
        renumber(cluster)
    return clusters


def _label(call: _Call, names: list[str]) -> str:
    """The function and what its layers' names share (`residual_block_v1(): conv2_block1`), else where it was
    called (`block(), line 11`)."""
    prefix = _common_prefix(names)
    if prefix:
        return f"{call.function}(): {prefix}"
    return ", ".join(part for part in (f"{call.function}()", call.where, call.iteration) if part)


def _common_prefix(names: list[str]) -> str:
    """The longest run of whole name parts every name starts with: `conv2_block1` of `conv2_block1_0_conv` and
    `conv2_block1_out`; '' when they share less than two characters."""
    if len(names) < 2:
        return ""
    first, last = min(names), max(names)
    length = 0
    while length < min(len(first), len(last)) and first[length] == last[length]:
        length += 1
    prefix = first[:length]
    if not all(len(name) == length or name[length] in NAME_SEPARATORS for name in names):
        cut = max(prefix.rfind(separator) for separator in NAME_SEPARATORS)
        prefix = prefix[:max(cut, 0)]
    prefix = prefix.rstrip(NAME_SEPARATORS)
    return prefix if len(prefix) >= 2 else ""


def _fold_innermost(diagram: Diagram) -> None:
    """Each cluster with no cluster inside becomes one box holding its layers' totals."""
    folded: dict[str, str] = {}

    def fold(cluster: Cluster) -> Cluster | str:
        if cluster.clusters:
            inner = [fold(c) for c in cluster.clusters]
            cluster.boxes += [item for item in inner if isinstance(item, str)]
            cluster.clusters = [item for item in inner if isinstance(item, Cluster)]
            return cluster
        members = [diagram.boxes[key] for key in cluster.boxes]
        params = _sum_counts([box.params for box in members])
        worst = max((box.severity for box in members if box.severity), key=SEVERITY_RANK.get, default=None)
        codes = tuple(dict.fromkeys(code for box in members for code in box.codes))
        last = members[-1]  # the rows are in Keras's order: the block's output comes last
        box = Box(cluster.key, cluster.label, f"{sum(box.layers for box in members)} layers", last.shape, params,
                  worst, codes, layers=sum(box.layers for box in members))
        for member in members:
            folded[member.key] = box.key
        diagram.boxes[box.key] = box
        return box.key

    top = [fold(c) for c in diagram.clusters]
    diagram.clusters = [item for item in top if isinstance(item, Cluster)]
    for key in folded:
        del diagram.boxes[key]
    edges: dict[tuple[str, str], None] = {}
    for source, target in diagram.edges:
        edge = (folded.get(source, source), folded.get(target, target))
        if edge[0] != edge[1]:
            edges[edge] = None
    diagram.edges = list(edges)


# -- writers ----------------------------------------------------------------------------------------------------

def shape_text(shape) -> str:
    """A JSON report shape as Keras prints it: (None, 28, 28, 1); several outputs in brackets; ? when unknown."""
    if shape is None:
        return "?"
    if any(isinstance(item, list) for item in shape):
        return "[" + ", ".join(shape_text(s) for s in shape) + "]"
    inner = ", ".join("None" if d is None else str(d) for d in shape)
    return f"({inner},)" if len(shape) == 1 else f"({inner})"


def _sum_counts(counts: list[int | str | None]) -> int | str | None:
    """The sum of a block's counts; where some are expressions, the expressions joined to the numbers' sum."""
    if any(count is None for count in counts):
        return None
    expressions = [count for count in counts if isinstance(count, str)]
    number = sum(count for count in counts if not isinstance(count, str))
    if not expressions:
        return number
    return " + ".join(expressions + ([f"{number:,}"] if number else []))


def _lines(box: Box, show_shapes: bool, show_params: bool) -> list[str]:
    lines = [box.name if box.operation else f"{box.name} ({box.type})"]
    if show_shapes:
        lines.append(shape_text(box.shape))
    if show_params and not box.operation:
        lines.append(f"{count_text(box.params)} params")
    if box.codes:
        lines.append(" ".join(box.codes))
    return lines


def _mermaid_text(text: str) -> str:
    """Text inside a quoted Mermaid label: its entity codes for what would end or mark up the label."""
    return text.replace("&", "#amp;").replace('"', "#quot;").replace("<", "#lt;").replace(">", "#gt;")


def mermaid(diagram: Diagram, show_shapes: bool = False, show_params: bool = False, rankdir: str = "TB") -> str:
    """A Mermaid flowchart (GitHub renders it in Markdown inside a ```mermaid block)."""
    out = [f"flowchart {rankdir}"]

    def box_line(key: str, indent: str) -> str:
        box = diagram.boxes[key]
        label = "<br/>".join(_mermaid_text(line) for line in _lines(box, show_shapes, show_params))
        opening, closing = ("([", "])") if box.operation else ("[", "]")
        return f'{indent}{key}{opening}"{label}"{closing}'

    def cluster_opening(cluster: Cluster, indent: str) -> list[str]:
        return [f'{indent}subgraph {cluster.key}["{_mermaid_text(cluster.label)}"]']

    out += _boxes_in_clusters(diagram, box_line, cluster_opening, "end")
    out += [f"  {source} --> {target}" for source, target in diagram.edges]
    marked = {}
    for box in diagram.boxes.values():
        if box.severity:
            marked.setdefault(box.severity, []).append(box.key)
    for severity, keys in marked.items():
        fill, stroke = SEVERITY_COLOURS[severity]
        out.append(f"  classDef {severity} fill:{fill},stroke:{stroke},stroke-width:2px")
        out.append(f"  class {','.join(keys)} {severity}")
    return "\n".join(out) + "\n"


def _boxes_in_clusters(diagram: Diagram, box_line, cluster_opening, cluster_closing: str) -> list[str]:
    """The lines of every box, those of a cluster (and the clusters inside it) between its opening lines and its
    closing one, each level indented two spaces more: what Mermaid and DOT write alike."""
    out = []

    def cluster_lines(cluster: Cluster, indent: str) -> None:
        out.extend(cluster_opening(cluster, indent))
        out.extend(box_line(key, indent + "  ") for key in cluster.boxes)
        for inner in cluster.clusters:
            cluster_lines(inner, indent + "  ")
        out.append(indent + cluster_closing)

    out.extend(box_line(key, "  ") for key in diagram.ungrouped())
    for cluster in diagram.clusters:
        cluster_lines(cluster, "  ")
    return out


def _dot_text(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def dot(diagram: Diagram, show_shapes: bool = False, show_params: bool = False, rankdir: str = "TB") -> str:
    """Graphviz DOT, for `dot -Tsvg`."""
    out = [f"digraph {_dot_text(diagram.title)} {{",
           f"  rankdir={rankdir};",
           '  graph [ranksep=0.3, nodesep=0.3, labeljust=l];',
           '  node [shape=box, style="rounded,filled", fillcolor="#ffffff", color="#57606a", '
           'fontname="Helvetica", fontsize=10];',
           '  edge [color="#57606a", arrowsize=0.7];']

    def box_line(key: str, indent: str) -> str:
        box = diagram.boxes[key]
        label = "\\n".join(_dot_text(line)[1:-1] for line in _lines(box, show_shapes, show_params))
        attributes = [f'label="{label}"']
        if box.operation:
            attributes.append("shape=ellipse")
        if box.layers > 1:
            attributes.append("peripheries=2")
        if box.severity:
            fill, stroke = SEVERITY_COLOURS[box.severity]
            attributes += [f'fillcolor="{fill}"', f'color="{stroke}"', "penwidth=2"]
        return f"{indent}{key} [{', '.join(attributes)}];"

    def cluster_opening(cluster: Cluster, indent: str) -> list[str]:
        return [f"{indent}subgraph cluster_{cluster.key} {{",
                f'{indent}  label={_dot_text(cluster.label)}; style="rounded,dashed"; color="#8c959f"; '
                'fontname="Helvetica"; fontsize=10;']

    out += _boxes_in_clusters(diagram, box_line, cluster_opening, "}")
    out += [f"  {source} -> {target};" for source, target in diagram.edges]
    out.append("}")
    return "\n".join(out) + "\n"


class GraphvizFailed(Exception):
    """Graphviz's `dot` is not on PATH, or failed."""


def render(dot_source: str, image_format: str, timeout: float = 120) -> bytes:
    """The DOT drawn by Graphviz's `dot` as `svg` or `png`."""
    program = shutil.which("dot")
    if program is None:
        raise GraphvizFailed(f"{image_format.upper()} output {GRAPHVIZ_HINT}")
    try:
        done = subprocess.run([program, f"-T{image_format}"], input=dot_source.encode(), capture_output=True,
                              timeout=timeout, check=False)
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise GraphvizFailed(f"Graphviz's dot failed: {exc}") from None
    if done.returncode != 0:
        reason = " ".join(done.stderr.decode(errors="replace").split())
        raise GraphvizFailed(f"Graphviz's dot failed: {reason or f'exit status {done.returncode}'}")
    return done.stdout
