"""The terminal report: per file, a table like Keras's model.summary() for each model (with the MACs,
parameter shares and activation sizes Keras does not give), then the findings; a closing count."""

from collections import Counter

from archlint.dims import format_shape
from archlint.report import expanded_rows, line_label, plural, position
from archlint.report.costs import (
    byte_size, count_text, macs_text, model_activation_bytes, model_macs, param_share, unknown_layers,
)
from archlint.results import FLOAT32_BYTES

SEVERITY_COLOURS = {"error": "31", "warning": "33", "info": "36"}
SEVERITIES = ("error", "warning", "info")


def _shape_text(shape) -> str:
    return "?" if shape is None else format_shape(shape)


def _share_text(share) -> str:
    return "-" if share is None else f"{100 * share:.1f}%"


def _bytes_text(count) -> str:
    return "?" if count is None else byte_size(count)


def _wrap_cell(text: str, width: int) -> list[str]:
    lines = []
    while len(text) > width:
        cut = text.rfind(", ", 0, width)
        cut = width if cut <= 0 else cut + 1
        lines.append(text[:cut])
        text = text[cut:].lstrip()
    lines.append(text)
    return lines


def _chain(model) -> bool:
    """Keras prints a functional model that is a plain chain without the "Connected to" column."""
    rows = model.layers
    return all(row.applications == 1 and list(row.inbound) == ([rows[i - 1].name] if i else [])
               for i, row in enumerate(rows))


def totals(model) -> list[str]:
    """Keras's three totals, then the model's MACs and the bytes of all its layers' outputs."""
    note = "" if model.complete else "  (incomplete: some layers are unresolved, see the findings)"
    macs, macs_unknown = model_macs(model)
    activations, activations_unknown = model_activation_bytes(model)
    return [
        f" Total params: {model.total_params:,} ({byte_size(model.total_params * FLOAT32_BYTES)}){note}",
        f" Trainable params: {model.trainable_params:,} ({byte_size(model.trainable_params * FLOAT32_BYTES)})",
        f" Non-trainable params: {model.non_trainable_params:,} "
        f"({byte_size(model.non_trainable_params * FLOAT32_BYTES)})",
        f" Total MACs: {macs_text(macs)}{unknown_layers(macs_unknown)}",
        f" Activations: {byte_size(activations)}{unknown_layers(activations_unknown)}"
        " (every layer's float32 outputs; an unknown batch counts as 1)",
    ] + ([] if model.verified is None else [f" Verified: {VERIFIED[model.verified]}"]) + accepted_sizes(model) \
        + data_sizes(model)


def data_sizes(model) -> list[str]:
    """Each number read from data the counts are expressions of, and where it came from."""
    return [f" Not known statically: {name} ({data_size_origin(origin)})" for name, origin in model.data_sizes.items()]


def data_size_origin(origin: dict) -> str:
    """Where a number not known statically came from: `line 9: len() of a value not known statically`."""
    return f"line {origin['line']}: {origin['reason']}" if origin["line"] else origin["reason"]


def accepted_sizes(model) -> list[str]:
    """The input sizes the model accepts, for a model whose inputs have named sizes."""
    if model.accepted_sizes is None:
        return [f" Accepted sizes: unknown ({model.sizes_unknown})"]
    lines = [f" Accepted sizes: {found.text(name)}" for name, found in model.accepted_sizes.items()]
    return lines + [f" Accepted sizes also need: {condition}" for condition in model.joint_size_conditions]


# --verify's outcome for a model; without --verify there is no line.
VERIFIED = {True: "yes, the NumPy runtime reproduced every output shape and parameter count",
            False: "no, the NumPy runtime disagrees (see the AL401 findings)"}


def table(model, expand_nested: bool = False) -> list[str]:
    connected = model.kind == "functional" and not _chain(model)
    headers = ["Layer (type)", "Output Shape", "Param #", "Share", "MACs", "Activations"]
    headers += ["Connected to"] if connected else []
    widths = [33, 24, 15, 8, 15, 13, 22][:len(headers)]
    right = [False, False, True, True, True, True, False]
    rows = []
    for depth, row in expanded_rows(model, expand_nested):
        indent = "  " * (depth - 1) + "└ " if depth else ""  # a layer of a nested model, under that model's row
        cells = [f"{indent}{row.name} ({row.type})", _shape_text(row.output_shape), count_text(row.params),
                 _share_text(param_share(row, model)), count_text(row.macs),
                 _bytes_text(row.activation_bytes)]
        if connected:
            cells.append(", ".join(f"{name}[0][0]" for name in row.inbound) or "-")
        rows.append(cells)
    widths = [max(w, *(len(r[i]) + 2 for r in rows)) if rows else w for i, w in enumerate(widths)]
    if connected:
        widths[-1] = min(widths[-1], 40)  # long inbound lists wrap, as Keras's do

    def line(left, mid, end, fill):
        return left + mid.join(fill * w for w in widths) + end

    def cells_line(cells, edge):
        wrapped = [_wrap_cell(c, w - 2) for c, w in zip(cells, widths)]
        out = []
        for k in range(max(len(w) for w in wrapped)):
            parts = []
            for i, (w, width) in enumerate(zip(wrapped, widths)):
                text = w[k] if k < len(w) else ""
                parts.append(" " + (text.rjust(width - 2) if right[i] else text.ljust(width - 2)) + " ")
            out.append(edge + edge.join(parts) + edge)
        return out

    out = [f'Model: "{model.name}"' + ("" if model.symbol == model.name else f"  (`{model.symbol}`, {line_label(model)})")]
    out.append(line("┏", "┳", "┓", "━"))
    out += cells_line(headers, "┃")
    out.append(line("┡", "╇", "┩", "━"))
    for index, cells in enumerate(rows):
        out += cells_line(cells, "│")
        if connected and index != len(rows) - 1:
            out.append(line("├", "┼", "┤", "─"))
    out.append(line("└", "┴", "┘", "─"))
    return out + totals(model)


def diagnostic_line(path: str, d, colour: bool) -> str:
    code = d.code
    if colour:
        code = f"\x1b[1;{SEVERITY_COLOURS[d.severity]}m{code}\x1b[0m"
        path = f"\x1b[1m{path}\x1b[0m"
    via = f" (via {' <- '.join(reversed(d.chain))})" if d.chain else ""
    return f"{path}:{position(d)}: {code} {d.message}{via}"


def closing_line(files) -> str:
    counts = Counter(d.severity for f in files for d in f.diagnostics)
    total = sum(counts.values())
    if not total:
        return "No findings."
    by_severity = ", ".join(plural(counts[s], s) for s in SEVERITIES if counts[s])
    return f"Found {plural(total, 'finding')} ({by_severity})."


def render(files, colour: bool = False, quiet: bool = False, expand_nested: bool = False) -> str:
    """Each file's tables and findings together; `quiet` keeps the findings lines alone; `expand_nested` lists
    the layers of a model used as a layer under its row."""
    out = []
    for f in files:
        if not quiet and f.models:
            out.append(f.path)
            for model in f.models:
                out += table(model, expand_nested) + [""]
        out += [diagnostic_line(f.path, d, colour) for d in f.diagnostics]
        if f.diagnostics and not quiet:
            out.append("")  # a blank line closes the file's findings
    if not quiet:
        out.append(closing_line(files))
    return "".join(line + "\n" for line in out)


def statistics(files) -> str:
    """One line per rule code: how many findings, the code and the rule's name, most frequent first."""
    from archlint.rules import find_rule

    counts = Counter(d.code for f in files for d in f.diagnostics)
    width = len(str(max(counts.values(), default=0)))
    ranked = sorted(counts.items(), key=lambda item: (-item[1], item[0]))
    return "".join(f"{count:>{width}}  {code}  {find_rule(code).name}\n" for code, count in ranked)
