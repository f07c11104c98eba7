"""What a change did to the models: layers added, removed and changed, totals before and after, findings
introduced and fixed. A pure function of two JSON reports of the same files (before and after), and its
writers: text, JSON and markdown.

Models are matched by symbol. Layers are matched by name where the source named them; the rest (Keras's
automatic names, `conv2d_3`, which shift when a layer is inserted before them) by their place in the model:
the cheapest alignment of the two sequences, so that an inserted layer leaves the others matched.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from dataclasses import dataclass, field

from archlint.diagram import shape_text
from archlint.report.costs import count_text

LINE_NUMBER = re.compile(r"\bline \d+")


@dataclass
class FilePair:
    """One file before and after (a path absent on one side: added or removed; two paths: renamed)."""

    base_path: str | None
    head_path: str | None
    base: dict | None  # the JSON report's file entry, None when the file is absent on that side
    head: dict | None


@dataclass
class LayerChange:
    base: dict | None  # the row before; None for an added layer
    head: dict | None  # after; None for a removed layer


@dataclass
class ModelDiff:
    symbol: str
    base: dict | None
    head: dict | None
    changed: list[LayerChange] = field(default_factory=list)
    added: list[dict] = field(default_factory=list)
    removed: list[dict] = field(default_factory=list)
    introduced: list[dict] = field(default_factory=list)
    fixed: list[dict] = field(default_factory=list)

    @property
    def status(self) -> str:
        if self.base is None:
            return "added"
        if self.head is None:
            return "removed"
        same_totals = self.base["total_params"] == self.head["total_params"] and \
            self.base["complete"] == self.head["complete"]
        quiet = not (self.changed or self.added or self.removed or self.introduced or self.fixed)
        return "unchanged" if quiet and same_totals else "changed"


@dataclass
class FileDiff:
    pair: FilePair
    models: list[ModelDiff]
    introduced: list[dict] = field(default_factory=list)  # findings of the file outside any model
    fixed: list[dict] = field(default_factory=list)

    @property
    def path(self) -> str:
        return self.pair.head_path or self.pair.base_path

    @property
    def status(self) -> str:
        if self.pair.base is None:
            return "added"
        if self.pair.head is None:
            return "removed"
        return "renamed" if self.pair.base_path != self.pair.head_path else "modified"


def diff_files(pairs: list[FilePair]) -> list[FileDiff]:
    return [_diff_file(pair) for pair in pairs]


def _diff_file(pair: FilePair) -> FileDiff:
    base_models = {m["symbol"]: m for m in (pair.base or {}).get("models", [])}
    head_models = {m["symbol"]: m for m in (pair.head or {}).get("models", [])}
    symbols = list(dict.fromkeys([*base_models, *head_models]))
    introduced, fixed = _findings((pair.base or {}).get("diagnostics", []), (pair.head or {}).get("diagnostics", []))
    models = [_diff_model(symbol, base_models.get(symbol), head_models.get(symbol)) for symbol in symbols]
    for model in models:
        model.introduced = [d for d in introduced if d.get("symbol") == model.symbol]
        model.fixed = [d for d in fixed if d.get("symbol") == model.symbol]
    return FileDiff(pair, models, [d for d in introduced if d.get("symbol") not in symbols],
                    [d for d in fixed if d.get("symbol") not in symbols])


def _finding_key(finding: dict) -> tuple:
    """A finding the same before and after: code, model, layer and message, whatever line it moved to."""
    return finding["code"], finding.get("symbol"), finding.get("layer"), LINE_NUMBER.sub("line N", finding["message"])


def _findings(base: list[dict], head: list[dict]) -> tuple[list[dict], list[dict]]:
    """The findings after that were not there before (introduced) and those before that are gone (fixed)."""
    before, after = Counter(map(_finding_key, base)), Counter(map(_finding_key, head))
    introduced, fixed = [], []
    for findings, other, out in ((head, before, introduced), (base, after, fixed)):
        left = Counter(other)
        for finding in findings:
            key = _finding_key(finding)
            if left[key]:
                left[key] -= 1
            else:
                out.append(finding)
    return introduced, fixed


def automatic_name(name: str, type_name: str) -> bool:
    """Whether `name` is one Keras gives a layer of this type when the source names none: `conv2d`, `conv2d_3`."""
    base = re.sub("([a-z])([A-Z])", r"\1_\2", re.sub("(.)([A-Z][a-z]+)", r"\1_\2", re.sub(r"\W+", "", type_name)))
    return re.fullmatch(re.escape(base.lower()) + r"(_\d+)?", name) is not None


def _diff_model(symbol: str, base: dict | None, head: dict | None) -> ModelDiff:
    result = ModelDiff(symbol, base, head)
    if base is None or head is None:
        return result
    pairs, removed, added = match_layers(base["layers"], head["layers"])
    result.removed, result.added = removed, added
    result.changed = [LayerChange(old, new) for old, new in pairs if _row_changed(old, new)]
    return result


CONTENT = ("type", "output_shape", "params", "trainable_params")


def _row_changed(old: dict, new: dict) -> bool:
    """Whether the layer changed: its content, or a name the source gave (an automatic name that shifted
    because a layer was inserted or removed before it is no change)."""
    renamed = old["name"] != new["name"] and not (automatic_name(old["name"], old["type"])
                                                  and automatic_name(new["name"], new["type"]))
    return renamed or any(old.get(key) != new.get(key) for key in CONTENT)


def match_layers(base: list[dict], head: list[dict]) -> tuple[list[tuple[dict, dict]], list[dict], list[dict]]:
    """(pairs of the same layer before and after, layers removed, layers added), each in model order."""
    named_head = {row["name"]: row for row in head if not automatic_name(row["name"], row["type"])}
    pairs: dict[int, dict] = {}  # id of the base row -> head row
    for row in base:
        if not automatic_name(row["name"], row["type"]) and row["name"] in named_head:
            pairs[id(row)] = named_head.pop(row["name"])
    taken = {id(row) for row in pairs.values()}
    rest_base = [row for row in base if id(row) not in pairs]
    rest_head = [row for row in head if id(row) not in taken]
    for old, new in _align(rest_base, rest_head):
        pairs[id(old)] = new
    taken = {id(row) for row in pairs.values()}
    ordered = [(row, pairs[id(row)]) for row in base if id(row) in pairs]
    return ordered, [row for row in base if id(row) not in pairs], [row for row in head if id(row) not in taken]


# Costs of the alignment, in half steps: a layer added or removed costs 2, the same layer unchanged 0.
ADDED_OR_REMOVED = 2
CHANGED_SAME_NAME, CHANGED, OTHER_TYPE = 1, 2, 3


def _pair_cost(old: dict, new: dict) -> int:
    if old["type"] != new["type"]:
        return OTHER_TYPE
    if all(old.get(key) == new.get(key) for key in CONTENT):  # renamed at most: an automatic name shifted
        return 0
    return CHANGED_SAME_NAME if old["name"] == new["name"] else CHANGED


def _align(base: list[dict], head: list[dict]) -> list[tuple[dict, dict]]:
    """The cheapest alignment of the two layer sequences (an edit distance): a layer inserted or removed
    leaves the others paired with themselves; of two equally cheap, the one keeping names."""
    rows, columns = len(base) + 1, len(head) + 1
    cost = [[0] * columns for _ in range(rows)]
    for i in range(1, rows):
        cost[i][0] = i * ADDED_OR_REMOVED
    for j in range(1, columns):
        cost[0][j] = j * ADDED_OR_REMOVED
    for i in range(1, rows):
        above, current = cost[i - 1], cost[i]
        for j in range(1, columns):
            current[j] = min(above[j - 1] + _pair_cost(base[i - 1], head[j - 1]),
                             above[j] + ADDED_OR_REMOVED, current[j - 1] + ADDED_OR_REMOVED)
    pairs, i, j = [], len(base), len(head)
    while i and j:
        if cost[i][j] == cost[i - 1][j - 1] + _pair_cost(base[i - 1], head[j - 1]):
            pairs.append((base[i - 1], head[j - 1]))
            i, j = i - 1, j - 1
        elif cost[i][j] == cost[i - 1][j] + ADDED_OR_REMOVED:
            i -= 1
        else:
            j -= 1
    return pairs[::-1]


# -- writers ----------------------------------------------------------------------------------------------------



def totals_line(model: ModelDiff) -> str:
    """`model: 25,636,712 -> 25,641,834 (+5,122, +0.02%)`."""
    before = None if model.base is None else model.base["total_params"]
    after = None if model.head is None else model.head["total_params"]
    incomplete = [side for side, m in (("before", model.base), ("after", model.head)) if m and not m["complete"]]
    note = f"; incomplete {' and '.join(incomplete)}: the totals count only what was resolved" if incomplete else ""
    if before is None:
        return f"{model.symbol}: added, {count_text(after)} params{note}"
    if after is None:
        return f"{model.symbol}: removed, {count_text(before)} params{note}"
    delta = _delta(before, after)
    if delta is None:  # a count is an expression of a number read from data
        return f"{model.symbol}: {count_text(before)} -> {count_text(after)}{note}"
    percent = f", {100 * delta / before:+.2f}%" if before else ""
    return f"{model.symbol}: {before:,} -> {after:,} ({delta:+,}{percent}){note}"


def _delta(before: int | str | None, after: int | str | None) -> int | None:
    """The change of a total, when both are numbers."""
    return after - before if isinstance(before, int) and isinstance(after, int) else None


def _row_text(row: dict) -> str:
    return f"{row['name']} ({row['type']}) {shape_text(row['output_shape'])}, {count_text(row['params'])} params"


def _change_text(change: LayerChange) -> str:
    old, new = change.base, change.head
    name = new["name"] if old["name"] == new["name"] else f"{old['name']} -> {new['name']}"
    kind = new["type"] if old["type"] == new["type"] else f"{old['type']} -> {new['type']}"
    parts = []
    if old["output_shape"] != new["output_shape"]:
        parts.append(f"{shape_text(old['output_shape'])} -> {shape_text(new['output_shape'])}")
    if old["params"] != new["params"]:
        parts.append(f"params {count_text(old['params'])} -> {count_text(new['params'])}")
    elif old.get("trainable_params") != new.get("trainable_params"):
        parts.append(f"trainable {count_text(old.get('trainable_params'))} -> {count_text(new.get('trainable_params'))}")
    return f"{name} ({kind})" + (f": {', '.join(parts)}" if parts else "")


def _finding_text(path: str, finding: dict) -> str:
    cell = f"cell {finding['cell']}:" if finding.get("cell") is not None else ""
    return f"{path}:{cell}{finding['line']}:{finding['column']}: {finding['code']} {finding['message']}"


def _changed(diffs: list[FileDiff]):
    for file in diffs:
        models = [m for m in file.models if m.status != "unchanged"]
        if models or file.introduced or file.fixed or file.status in ("added", "removed"):
            yield file, models


def _summary(diffs: list[FileDiff]) -> str:
    models = [m for f in diffs for m in f.models]
    counts = Counter(m.status for m in models)
    introduced = sum(len(m.introduced) for m in models) + sum(len(f.introduced) for f in diffs)
    fixed = sum(len(m.fixed) for m in models) + sum(len(f.fixed) for f in diffs)
    parts = [f"{counts[status]} {status}" for status in ("changed", "added", "removed", "unchanged") if counts[status]]
    return (f"{len(diffs)} file{'s' if len(diffs) != 1 else ''}, models: {', '.join(parts) or 'none'}; "
            f"findings: {introduced} introduced, {fixed} fixed.")


def render_text(diffs: list[FileDiff], base_label: str, head_label: str) -> str:
    out = [f"archlint diff {base_label} -> {head_label}"]
    for file, models in _changed(diffs):
        renamed = f" (renamed from {file.pair.base_path})" if file.status == "renamed" else ""
        out += ["", f"{file.path}{renamed}" + (f" ({file.status})" if file.status in ("added", "removed") else "")]
        for model in models:
            out.append(f"  {totals_line(model)}")
            out += [f"    changed  {_change_text(change)}" for change in model.changed]
            out += [f"    added    {_row_text(row)}" for row in model.added]
            out += [f"    removed  {_row_text(row)}" for row in model.removed]
            out += [f"    introduced  {_finding_text(file.path, d)}" for d in model.introduced]
            out += [f"    fixed       {_finding_text(file.pair.base_path, d)}" for d in model.fixed]
        out += [f"  introduced  {_finding_text(file.path, d)}" for d in file.introduced]
        out += [f"  fixed       {_finding_text(file.pair.base_path, d)}" for d in file.fixed]
    out += ["", _summary(diffs)]
    return "\n".join(out) + "\n"


def _side(row: dict) -> dict:
    return {key: row.get(key) for key in ("name", "type", "output_shape", "params", "trainable_params")}


def render_json(diffs: list[FileDiff], base_label: str, head_label: str, version: str) -> str:
    def model_json(model: ModelDiff) -> dict:
        before = None if model.base is None else model.base["total_params"]
        after = None if model.head is None else model.head["total_params"]
        delta = _delta(before, after)
        return {
            "symbol": model.symbol, "status": model.status,
            "total_params": {"base": before, "head": after, "delta": delta,
                             "percent": None if delta is None or not before else 100 * delta / before},
            "complete": {"base": None if model.base is None else model.base["complete"],
                         "head": None if model.head is None else model.head["complete"]},
            "layers": {"changed": [{"base": _side(c.base), "head": _side(c.head)} for c in model.changed],
                       "added": [_side(row) for row in model.added],
                       "removed": [_side(row) for row in model.removed]},
            "findings": {"introduced": model.introduced, "fixed": model.fixed},
        }

    document = {
        "archlint_version": version, "base": base_label, "head": head_label,
        "files": [{"path": f.path, "base_path": f.pair.base_path, "status": f.status,
                   "models": [model_json(m) for m in f.models],
                   "findings": {"introduced": f.introduced, "fixed": f.fixed}} for f in diffs],
        "summary": _summary(diffs),
    }
    return json.dumps(document, indent=2) + "\n"


def _md(text: str) -> str:
    text = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return " ".join(text.replace("|", "\\|").split())


def render_markdown(diffs: list[FileDiff], base_label: str, head_label: str) -> str:
    out = [f"## archlint diff: `{_md(base_label)}` → `{_md(head_label)}`", "", _summary(diffs), ""]
    for file, models in _changed(diffs):
        renamed = f" (renamed from `{_md(file.pair.base_path)}`)" if file.status == "renamed" else ""
        status = f" ({file.status})" if file.status in ("added", "removed") else ""
        for model in models:
            out += [f"### `{_md(model.symbol)}` · `{_md(file.path)}`{renamed}{status}", "",
                    f"**Parameters:** {_md(totals_line(model).partition(': ')[2])}", ""]
            rows = [("changed", _change_text(c)) for c in model.changed] + \
                [("added", _row_text(row)) for row in model.added] + \
                [("removed", _row_text(row)) for row in model.removed]
            if rows:
                out += ["| Layer | Change |", "|---|---|"]
                out += [f"| {kind} | {_md(text)} |" for kind, text in rows]
                out.append("")
            findings = [("introduced", file.path, d) for d in model.introduced] + \
                [("fixed", file.pair.base_path, d) for d in model.fixed]
            if findings:
                out += ["| Finding | Rule | Location | Message |", "|---|---|---|---|"]
                out += [f"| {kind} | {d['code']} | `{_md(path)}:{d['line']}:{d['column']}` | {_md(d['message'])} |"
                        for kind, path, d in findings]
                out.append("")
        others = [("introduced", file.path, d) for d in file.introduced] + \
            [("fixed", file.pair.base_path, d) for d in file.fixed]
        if others:
            out += [f"### `{_md(file.path)}`", "", "| Finding | Rule | Location | Message |", "|---|---|---|---|"]
            out += [f"| {kind} | {d['code']} | `{_md(path)}:{d['line']}:{d['column']}` | {_md(d['message'])} |"
                    for kind, path, d in others]
            out.append("")
    return "\n".join(out).rstrip("\n") + "\n"
