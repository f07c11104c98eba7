"""`--output-format markdown`: the findings, then per model the layer table and totals, for a job summary
($GITHUB_STEP_SUMMARY) or a pull-request comment (GitHub-flavoured markdown)."""

from archlint.dims import format_shape
from archlint.report import expanded_rows, plural, position
from archlint.report.costs import (
    byte_size, count_text, macs_text, model_activation_bytes, model_macs, param_share, unknown_layers,
)
from archlint.report.text import accepted_sizes, closing_line, data_size_origin
from archlint.results import FLOAT32_BYTES

DIAGRAM_NODES = 60  # beyond this, a diagram is hard to follow on a pull-request page
MERMAID_CHARACTERS = 45_000  # GitHub draws no Mermaid diagram longer than 50,000 characters,
MERMAID_EDGES = 500  # nor one of more than 500 edges


def _text(text: str) -> str:
    """Plain text in a table cell: a pipe would end the cell and `<module>` would vanish as an HTML tag.
    Backticks stay, as messages quote code with them."""
    text = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return " ".join(text.replace("|", "\\|").split())


def _code(text: str) -> str:
    """A code span; inside a table a pipe still needs its backslash."""
    return f"`{text.replace('|', chr(92) + '|')}`"


def _sized(count: int) -> str:
    return f"{count:,} ({byte_size(count * FLOAT32_BYTES)})"


def _diagram(path: str, model, diagnostics, expand_nested: bool = False) -> list[str]:
    """The model's layer graph as a Mermaid diagram, folded away in <details>; past DIAGRAM_NODES nodes, each
    helper call's layers folded into one node. With `expand_nested`, a model used as a layer is a cluster of its
    own layers."""
    from archlint.diagram import build, mermaid
    from archlint.report.json_report import diagnostic_json, model_json

    data, findings = model_json(model, nested=expand_nested), [diagnostic_json(d) for d in diagnostics]
    drawing = build(data, findings, expand_nested=expand_nested)
    folded = len(drawing.boxes) > DIAGRAM_NODES
    if folded:
        drawing = build(data, findings, collapse=True, expand_nested=expand_nested)
    text = mermaid(drawing, show_shapes=True, show_params=True)
    summary = f"Diagram ({plural(len(drawing.boxes), 'node')}{', one per helper call' if folded else ''})"
    if len(text) > MERMAID_CHARACTERS or len(drawing.edges) > MERMAID_EDGES:
        command = f"archlint graph {path} --symbol {model.symbol} --collapse" + \
            " --expand-nested" * expand_nested + f" -o {model.symbol}.svg"
        body = [f"Too large for GitHub to draw ({plural(len(drawing.edges), 'edge')}): {_code(command)} draws it "
                "with Graphviz."]
    else:
        body = ["```mermaid", text.rstrip("\n"), "```"]
    return [f"<details><summary>{summary}</summary>", "", *body, "", "</details>", ""]


def _model(path: str, model, diagnostics, expand_nested: bool = False) -> list[str]:
    where = path if model.line is None else f"{path}:{'' if model.cell is None else f'cell {model.cell}:'}{model.line}"
    title = _code(model.symbol) + ("" if model.symbol == model.name else f" ({_code(model.name)})")
    out = [f"### {title} · {_code(where)}", "",
           "| Layer (type) | Output shape | Param # | Share | MACs | Activations |",
           "|---|---|---:|---:|---:|---:|"]
    for depth, row in expanded_rows(model, expand_nested):
        shape = "?" if row.output_shape is None else _code(format_shape(row.output_shape))
        share = param_share(row, model)
        activations = row.activation_bytes
        indent = "&nbsp;&nbsp;" * (depth - 1) + "└ " if depth else ""
        out.append(f"| {indent}{_code(row.name)} ({_text(row.type)}) | {shape} | {count_text(row.params)} | "
                   f"{'-' if share is None else f'{100 * share:.1f}%'} | {count_text(row.macs)} | "
                   f"{'?' if activations is None else byte_size(activations)} |")
    macs, macs_unknown = model_macs(model)
    activations, activations_unknown = model_activation_bytes(model)
    out += ["",
            f"**Total params:** {_sized(model.total_params)} · **Trainable:** {_sized(model.trainable_params)} · "
            f"**Non-trainable:** {_sized(model.non_trainable_params)}"
            + ("" if model.complete else " · *incomplete: some layers could not be resolved statically*"),
            "",
            f"**MACs:** {macs_text(macs)}{unknown_layers(macs_unknown)} · "
            f"**Activations:** {byte_size(activations)}{unknown_layers(activations_unknown)} "
            "(every layer's float32 outputs; an unknown batch counts as 1)",
            ""]
    if model.accepted_sizes != {}:
        parts = [("also " if " also need: " in line else "") + _code(line.split(": ", 1)[1]) for line in accepted_sizes(model)]
        out += [f"**Accepted sizes:** {'; '.join(parts)}", ""]
    if model.data_sizes:
        parts = [f"{_code(name)} ({_text(data_size_origin(origin))})" for name, origin in model.data_sizes.items()]
        out += [f"**Not known statically:** {'; '.join(parts)}", ""]
    if model.layers:
        out += _diagram(path, model, diagnostics, expand_nested)
    return out


def render(files, expand_nested: bool = False) -> str:
    from archlint.rules import find_rule

    models = sum(len(f.models) for f in files)
    out = ["## archlint report", "",
           f"{plural(len(files), 'file')}, {plural(models, 'model')}. {closing_line(files)}", ""]
    findings = [(f.path, d) for f in files for d in f.diagnostics]
    if findings:
        out += ["| Severity | Rule | Location | Message |", "|---|---|---|---|"]
        for path, d in findings:
            out.append(f"| {d.severity} | {d.code} {find_rule(d.code).name} | {_code(f'{path}:{position(d)}')} "
                       f"| {_text(d.message)} |")
        out.append("")
    for f in files:
        for model in f.models:
            out += _model(f.path, model, f.diagnostics, expand_nested)
    return "\n".join(out).rstrip("\n") + "\n"
