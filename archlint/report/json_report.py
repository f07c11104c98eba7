"""`--output-format json`, exactly as the interface spec fixes it."""

import json

from archlint.dims import is_size
from archlint.report.costs import model_macs
from archlint.version import __version__


def shape_json(shape):
    if shape is None:
        return None
    if isinstance(shape, list):
        return [shape_json(s) for s in shape]
    return [count_json(d) for d in shape]


def count_json(count):
    """A number, or the expression of named sizes it stands for as a string."""
    return str(count) if is_size(count) else count


def accepted_sizes_json(model) -> dict:
    """Only for a model whose inputs have named sizes (interface spec: accepted sizes)."""
    if model.accepted_sizes == {}:
        return {}
    found = None if model.accepted_sizes is None else {name: s.as_json() for name, s in model.accepted_sizes.items()}
    extra = {"joint_size_conditions": model.joint_size_conditions} if model.joint_size_conditions else {}
    unknown = {"accepted_sizes_unknown": model.sizes_unknown} if model.sizes_unknown else {}
    return {"accepted_sizes": found, **extra, **unknown}


def _cell(item) -> dict:
    """In a notebook, the code cell (1-based) that `line` counts in; nothing for a .py file."""
    return {} if item.cell is None else {"cell": item.cell}


def model_json(model, nested: bool = False) -> dict:
    """The model as the spec fixes it; with `nested`, a row of a model used as a layer also holds that model's
    own report under "nested" (for diagrams)."""
    macs, macs_unknown = model_macs(model)
    return {
        "symbol": model.symbol,
        "name": model.name,
        "line": model.line,
        **_cell(model),
        "inputs": [{"name": name, "shape": shape_json(shape)} for name, shape in model.inputs],
        "layers": [{
            "name": row.name,
            "type": row.type,
            "line": row.line,
            **_cell(row),
            "output_shape": shape_json(row.output_shape),
            "params": count_json(row.params),
            "trainable_params": count_json(row.trainable_params),
            "non_trainable_params": None if row.params is None else count_json(row.params - row.trainable_params),
            "inbound": list(row.inbound),
            "macs": count_json(row.macs),  # beyond the spec: null when unknown
            "activation_bytes": count_json(row.activation_bytes),
            "via": list(row.via),  # the helper calls and loop iterations that created the layer
            "call_ids": list(row.call_ids),
            **({"nested": model_json(row.nested, nested=True)} if nested and row.nested is not None else {}),
        } for row in model.layers],
        "operations": [{"name": row.name, "type": row.type, "output_shape": shape_json(row.output_shape),
                        "inbound": list(row.inbound), "via": list(row.via), "call_ids": list(row.call_ids)}
                       for row in model.operations],
        "total_params": count_json(model.total_params),
        "trainable_params": count_json(model.trainable_params),
        "non_trainable_params": count_json(model.non_trainable_params),
        "total_macs": None if macs_unknown else count_json(macs),
        "complete": model.complete,
        "verified": model.verified,
        **accepted_sizes_json(model),
        **({"data_sizes": model.data_sizes} if model.data_sizes else {}),
    }


def diagnostic_json(d) -> dict:
    return {"code": d.code, "severity": d.severity, "message": d.message, "line": d.line, "column": d.column,
            "end_line": d.end_line, "end_column": d.end_column, **_cell(d), "symbol": d.symbol, "layer": d.layer,
            "via": list(d.chain)}  # the helper calls and loop iterations that led there, outermost first


def render(files, expand_nested: bool = False) -> str:
    """The JSON report; with `expand_nested`, a row of a model used as a layer holds that model under "nested"."""
    counts = {"error": 0, "warning": 0, "info": 0}
    for f in files:
        for d in f.diagnostics:
            counts[d.severity] += 1
    document = {
        "archlint_version": __version__,
        "files": [{"path": f.path, "models": [model_json(m, nested=expand_nested) for m in f.models],
                   "diagnostics": [diagnostic_json(d) for d in f.diagnostics]} for f in files],
        "summary": {"files": len(files), "models": sum(len(f.models) for f in files),
                    "errors": counts["error"], "warnings": counts["warning"], "infos": counts["info"]},
    }
    return json.dumps(document, indent=2) + "\n"
