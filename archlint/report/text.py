"""The terminal report: per model, a table like Keras's model.summary(), then the findings."""

from archlint.dims import format_shape

SEVERITY_COLOURS = {"error": "31", "warning": "33", "info": "36"}


def _shape_text(shape) -> str:
    return "?" if shape is None else format_shape(shape)


def _params_text(params) -> str:
    return "?" if params is None else f"{params:,}"


def _bytes(count: int) -> str:
    size = count * 4.0  # float32 weights
    for unit in ("B", "KB", "MB", "GB", "TB"):
        if size < 1024 or unit == "TB":
            return f"{size:.2f} {unit}"
        size /= 1024
    return ""


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
    return all(len(row.nodes) == 1 and row.inbound == ([rows[i - 1].name] if i else []) for i, row in enumerate(rows))


def table(model) -> list[str]:
    connected = model.kind == "functional" and not _chain(model)
    headers = ["Layer (type)", "Output Shape", "Param #"] + (["Connected to"] if connected else [])
    widths = [33, 24, 15] + ([22] if connected else [])
    right = [False, False, True, False]
    rows = []
    for row in model.layers:
        cells = [f"{row.name} ({row.type})", _shape_text(row.output_shape), _params_text(row.params)]
        if connected:
            cells.append(", ".join(f"{name}[0][0]" for name in row.inbound) or "-")
        rows.append(cells)
    widths = [max(w, *(len(r[i]) + 2 for r in rows)) if rows else w for i, w in enumerate(widths)]
    if connected:
        widths[3] = min(widths[3], 40)  # long inbound lists wrap, as Keras's do

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

    out = [f'Model: "{model.name}"' + ("" if model.symbol == model.name else f"  (`{model.symbol}`, line {model.line})")]
    out.append(line("┏", "┳", "┓", "━"))
    out += cells_line(headers, "┃")
    out.append(line("┡", "╇", "┩", "━"))
    for index, cells in enumerate(rows):
        out += cells_line(cells, "│")
        if connected and index != len(rows) - 1:
            out.append(line("├", "┼", "┤", "─"))
    out.append(line("└", "┴", "┘", "─"))
    note = "" if model.complete else "  (incomplete: see AL3xx findings)"
    out.append(f" Total params: {model.total_params:,} ({_bytes(model.total_params)}){note}")
    out.append(f" Trainable params: {model.trainable_params:,} ({_bytes(model.trainable_params)})")
    out.append(f" Non-trainable params: {model.non_trainable_params:,} ({_bytes(model.non_trainable_params)})")
    return out


def diagnostic_line(path: str, d, colour: bool) -> str:
    code = d.code
    if colour:
        code = f"\x1b[1;{SEVERITY_COLOURS[d.severity]}m{code}\x1b[0m"
        path = f"\x1b[1m{path}\x1b[0m"
    via = f" (via {' <- '.join(reversed(d.chain))})" if d.chain else ""
    return f"{path}:{d.line}:{d.column}: {code} {d.message}{via}"


def render(files, colour: bool = False, quiet: bool = False) -> str:
    out = []
    total = 0
    for f in files:
        if not quiet:
            for model in f.models:
                out += [f"{f.path}"] + table(model) + [""]
        for d in f.diagnostics:
            out.append(diagnostic_line(f.path, d, colour))
            total += 1
    out.append(f"Found {total} finding{'s' if total != 1 else ''}." if total else "No findings.")
    return "\n".join(out) + "\n"
