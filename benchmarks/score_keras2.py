"""Score archlint on old Keras 1/2 programs: does it fail where Keras 3 fails, build the model anyway, find the fault?

Usage:
    python benchmarks/score_keras2.py --record [--corpus DIR]   # run each file under Keras 3 once (slow)
    python benchmarks/score_keras2.py [--corpus DIR] [--json]   # score archlint against those records

The manifest (benchmarks/corpus/keras2.json) lists the files: repository, path, commit and the
name in the corpus folder (default corpus/keras2/, git-ignored: third-party code is never
committed). --record runs each file with ../shared/tools/keras_truth.py in a process of its own
(60 s at most, in a scratch folder, training and prediction calls made no-ops, the `neuraLint`
module the NeuraLint test programs import a stub) and writes
FILE.keras.json beside it. The scoring, per file:
  keras3 error       the first exception Keras 3 raised: a Keras one (the API refused the code) or
                     the environment's (a data file, a network download, a module of the author's)
  at its line        archlint reports an error at that line (Keras errors only)
  models             archlint's models: complete (every shape and count resolved), incomplete
  recovered          complete models in files where archlint reported an AL106 (a Keras 1/2 argument)
  built by Keras     for the files Keras 3 runs to the end, each model Keras built compared with
                     archlint's: exact, incomplete, complete but wrong (must be 0) or missing
  faults             graph-rule warnings (AL2xx) and AL110 found; AL302 counted apart (a model without
                     any input shape)
"""
import argparse
import json
import os
import pathlib
import subprocess
import sys
import tempfile

ROOT = pathlib.Path(__file__).resolve().parent.parent
MANIFEST = ROOT / "benchmarks" / "corpus" / "keras2.json"
TRUTH = ROOT.parent / "shared" / "tools" / "keras_truth.py"
# Runs keras_truth.run on one file with training and inference made no-ops: only building is measured.
RECORDER = """
import json, os, sys
sys.path.insert(0, sys.argv[1])
import keras_truth, keras
for name in ("fit", "fit_generator", "evaluate", "evaluate_generator", "predict", "predict_generator",
             "train_on_batch", "save", "save_weights", "load_weights"):
    setattr(keras.Model, name, lambda self, *a, **k: None)
keras_truth.shim_tensorflow_imports()
# The fault detector these programs were written to test: its check() is no part of the program.
sys.modules["neuraLint"] = type(sys)("neuraLint")
sys.modules["neuraLint"].check = lambda *a, **k: None
print(json.dumps(keras_truth.run(sys.argv[2])))
"""
ENVIRONMENT_ERRORS = ("FileNotFoundError", "OSError", "URLError", "HTTPError")


def record(corpus: pathlib.Path, files: list[str]) -> None:
    for name in files:
        path = corpus / name
        with tempfile.TemporaryDirectory() as scratch:
            try:
                proc = subprocess.run([sys.executable, "-c", RECORDER, str(TRUTH.parent), str(path)], cwd=scratch,
                                      capture_output=True, text=True, timeout=60,
                                      env=dict(os.environ, KERAS_BACKEND="jax", PYTHONHASHSEED="0"))
                result = json.loads(proc.stdout.splitlines()[-1]) if proc.returncode == 0 and proc.stdout.strip() \
                    else {"error": {"type": "crash", "message": proc.stderr[-300:], "line": None}, "models": {}}
            except subprocess.TimeoutExpired:
                result = {"error": {"type": "timeout", "message": "over 60 s", "line": None}, "models": {}}
        path.with_suffix(".keras.json").write_text(json.dumps(result, indent=1) + "\n")
        print(f"{name}: {result['error'] and (result['error']['type'], result['error']['line'])}", file=sys.stderr)


def keras_caused(error: dict | None) -> bool:
    """An exception of Keras's API (or of a Keras name the code imports), not of the data or the machine."""
    if not error or error["type"] in ("crash", "timeout"):
        return False
    message = error["message"]
    if error["type"] in ("ModuleNotFoundError", "ImportError"):
        return "keras" in message or "tensorflow" in message
    return error["type"] not in ENVIRONMENT_ERRORS and "URL fetch failure" not in message


def outcomes(report, truth: dict, stem: str) -> list[str]:
    """Each model Keras built, as archlint reports it."""
    sys.path.insert(0, str(ROOT))
    from tests.fixture_compare import mismatches

    ours = {model.symbol: model for model in report.models}
    found = []
    for symbol, expected in truth["models"].items():
        model = ours.get(symbol)
        if model is None or "error" in expected:
            found.append("missing")
        elif not model.complete:
            found.append("incomplete")
        else:
            wrong = mismatches(report, {"models": {symbol: expected}}, stem)
            found.append("complete but wrong" if wrong else "exact")
    return found


def score_file(path: pathlib.Path) -> dict:
    from archlint.config import Settings
    from archlint.lint import lint_file

    truth = json.loads(path.with_suffix(".keras.json").read_text())
    try:
        report = lint_file(str(path), Settings())
    except Exception as exc:  # noqa: BLE001  (a crash is a result to count)
        return {"crash": f"{type(exc).__name__}: {exc}"}
    codes = [d.code for d in report.diagnostics]
    error = truth["error"]
    errors_at = {d.line for d in report.diagnostics if d.severity == "error"}
    complete = sum(model.complete for model in report.models)
    return {
        "keras3_error": error and f"{error['type']} line {error['line']}",
        "keras_caused": keras_caused(error),
        "at_its_line": bool(keras_caused(error) and error["line"] in errors_at),
        "models": len(report.models),
        "complete": complete,
        "recovered": complete if "AL106" in codes else 0,
        "al106": codes.count("AL106"),
        "al302": codes.count("AL302"),
        "faults": sorted(code for code in codes if code.startswith("AL2") or code == "AL110"),
        "errors": sorted({d.code for d in report.diagnostics if d.severity == "error"}),
        "built_by_keras": outcomes(report, truth, path.stem),
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--corpus", default=str(ROOT / "corpus" / "keras2"))
    parser.add_argument("--record", action="store_true")
    parser.add_argument("--json", action="store_true")
    options = parser.parse_args()
    corpus = pathlib.Path(options.corpus)
    files = [entry["file"] for entry in json.loads(MANIFEST.read_text())["files"]]
    if options.record:
        record(corpus, files)
        return
    results = {name: score_file(corpus / name) for name in files}
    scored = [r for r in results.values() if "crash" not in r]
    keras_errors = [r for r in scored if r["keras_caused"]]
    summary = {
        "files": len(files),
        "crashes": len(files) - len(scored),
        "keras3_errors": len(keras_errors),
        "reported_at_keras3_line": sum(r["at_its_line"] for r in keras_errors),
        "models": sum(r["models"] for r in scored),
        "complete_models": sum(r["complete"] for r in scored),
        "files_with_al106": sum(r["al106"] > 0 for r in scored),
        "complete_models_in_files_with_al106": sum(r["recovered"] for r in scored),
        "al302": sum(r["al302"] for r in scored),
        "files_with_a_fault_found": sum(bool(r["faults"]) for r in scored),
        "fault_findings": sum(len(r["faults"]) for r in scored),
        **{f"keras_built_{kind.replace(' ', '_')}": sum(r["built_by_keras"].count(kind) for r in scored)
           for kind in ("exact", "incomplete", "complete but wrong", "missing")},
    }
    if options.json:
        print(json.dumps({"summary": summary, "files": results}, indent=1))
        return
    for name, result in results.items():
        print(f"{name}: {result}")
    print(json.dumps(summary, indent=1))


if __name__ == "__main__":
    main()
