"""`--output-format markdown`: per model, the layer table and totals, for a job summary or a PR comment."""

from archlint.dims import format_shape


def _cell(text: str) -> str:
    return text.replace("|", "\\|")


def _params(value) -> str:
    return "?" if value is None else f"{value:,}"


def _model(path: str, model) -> list[str]:
    out = [f"### `{path}` · {model.symbol} (`{model.name}`)", "",
           "| Layer (type) | Output shape | Param # | Share |", "|---|---|---:|---:|"]
    for row in model.layers:
        shape = "?" if row.output_shape is None else format_shape(row.output_shape)
        share = "" if not row.params or not model.total_params else f"{100 * row.params / model.total_params:.1f}%"
        out.append(f"| {_cell(row.name)} ({_cell(row.type)}) | `{shape}` | {_params(row.params)} | {share} |")
    out += ["", f"**Total params:** {model.total_params:,} · **Trainable:** {model.trainable_params:,} · "
                f"**Non-trainable:** {model.non_trainable_params:,}"
            + ("" if model.complete else " · *incomplete: some layers could not be resolved statically*"), ""]
    return out


def render(files) -> str:
    out = ["## archlint report", ""]
    findings = [(f.path, d) for f in files for d in f.diagnostics]
    models = sum(len(f.models) for f in files)
    out.append(f"{len(files)} file(s), {models} model(s), {len(findings)} finding(s).")
    out.append("")
    if findings:
        out += ["| Severity | Rule | Location | Message |", "|---|---|---|---|"]
        for path, d in findings:
            out.append(f"| {d.severity} | {d.code} | `{_cell(path)}:{d.line}:{d.column}` | {_cell(d.message)} |")
        out.append("")
    for f in files:
        for model in f.models:
            out += _model(f.path, model)
    return "\n".join(out).rstrip("\n") + "\n"
