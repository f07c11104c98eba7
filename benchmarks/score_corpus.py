"""Score archlint on a corpus of real code against what real Keras built from the same files.

Usage:  python benchmarks/score_corpus.py benchmarks/corpus/NAME.json [--corpus DIR] [--json] [--verbose]

The manifest lists the files (repository, path, commit, the file's name in the corpus folder and
how it was trimmed); the corpus folder (default corpus/NAME/, git-ignored: third-party code is
never committed) holds each FILE.py and FILE.keras.json, the entry keras_truth.py --factories
recorded for it. Each model Keras built is one of:
  exact               every row (type, output shape, params) and the totals as Keras gives them
  symbolic            as exact, where counts are expressions of numbers read from data (num_classes): each
                      equals Keras's number at the value Keras's run had (found from the expressions)
  incomplete          archlint says some of it is unknown (with a reason: an AL3xx finding, or none)
  complete but wrong  archlint says complete, and something differs from Keras: must be 0
  missing             archlint reports no model under that name
"Totals exact" counts complete models whose total and trainable counts equal Keras's.
Errors archlint reports on a file Keras ran are counted too. Where Keras raised instead of building
(a factory Keras 3 rejects, or the trimmed file itself, as Keras 2 code can), archlint must say so:
  rejected, error reported  archlint reports an error in the file
  rejected, not reported    no error, and no complete model under that name either
  complete but rejected     archlint reports a complete model and no error: counted as complete but wrong
An exception of the environment instead (a missing module or file, a download, a name whose statement the
trimming dropped, a TensorFlow function keras_truth.py's stand-in for TensorFlow lacks) says nothing of Keras:
such a model counts as "not built here".
"""
import argparse
import json
import pathlib
import sys
import time

ROOT = pathlib.Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from archlint.analysis import analyze_file  # noqa: E402
from tests.fixture_compare import mismatches  # noqa: E402

REASON_CODES = ("AL301", "AL302")
REJECTED = ("rejected", "complete but rejected", "not built here")  # what Keras raised on instead of building
ENVIRONMENT_ERRORS = ("FileNotFoundError", "OSError", "URLError", "HTTPError", "ModuleNotFoundError", "ImportError",
                      "NameError")
# Messages of exceptions that come from this machine: the TensorFlow stand-in (tf.X is keras.ops.X there, tf.random a
# namespace of two functions), downloads, training refused, the installed JAX refusing what Keras hands it.
ENVIRONMENT_MESSAGES = ("module 'keras.ops' has no attribute", "'types.SimpleNamespace' object", "URL fetch failure",
                        "training is not run for the corpus truth", "As of JAX v")


def from_environment(error: dict) -> bool:
    return error["type"] in ENVIRONMENT_ERRORS or any(text in error["message"] for text in ENVIRONMENT_MESSAGES)


def score_file(path: pathlib.Path, truth: dict) -> dict:
    started = time.perf_counter()
    try:
        report = analyze_file(str(path))
    except Exception as exc:  # noqa: BLE001  (a crash is a result to count, not a reason to stop)
        return {"crash": f"{type(exc).__name__}: {exc}", "models": {}, "errors": [], "seconds": 0.0}
    seconds = time.perf_counter() - started
    ours = {m.symbol: m for m in report.models}
    factories_used = {m.factory for m in report.models if m.factory}
    reasons = [d for d in report.diagnostics if d.code in REASON_CODES]
    errors = [f"{d.code} line {d.line}: {d.message}" for d in report.diagnostics if d.severity == "error"]
    models = {}
    rejected = {symbol: expected["error"] for symbol, expected in truth["models"].items() if "error" in expected}
    if truth.get("error"):
        rejected["<file>"] = truth["error"]
    for symbol, error in rejected.items():
        model = ours.get(symbol)
        outcome = "not built here" if from_environment(error) else "rejected, error reported" if errors \
            else "complete but rejected" if model and model.complete else "rejected, not reported"
        models[symbol] = {"outcome": outcome, "problems": [f"Keras: {error['type']}: {error['message']}"]}
    for symbol, expected in truth["models"].items():
        if "error" in expected or symbol in factories_used:
            continue
        model = ours.get(symbol)
        if model is None:
            models[symbol] = {"outcome": "missing", "problems": [f"not found (archlint found {sorted(ours)})"]}
            continue
        problems = mismatches(report, {"models": {symbol: expected}}, path.stem)
        if not model.complete:
            outcome = "incomplete" if reasons else "incomplete without a reason"
        else:
            outcome = "complete but wrong" if problems else "symbolic" if model.data_sizes else "exact"
        total = expected["total"] if symbol != "<module>" else None
        totals_exact = model.complete and total is not None and model.total_params == total and \
            model.trainable_params == expected.get("trainable", model.trainable_params)
        models[symbol] = {"outcome": outcome, "totals_exact": bool(totals_exact), "problems": problems}
    return {"models": models, "errors": errors, "seconds": round(seconds, 3)}


def summarize(results: dict) -> dict:
    every = [m for r in results.values() for m in r["models"].values()]
    outcomes = [m for m in every if not m["outcome"].startswith(REJECTED)]
    count = lambda outcome: sum(m["outcome"] == outcome for m in every)  # noqa: E731
    return {
        "files": len(results),
        "models": len(outcomes),
        "models exact": count("exact"),
        "models symbolic": count("symbolic"),
        "totals exact": sum(m.get("totals_exact", False) for m in outcomes),
        "incomplete with a reason": count("incomplete"),
        "incomplete without a reason": count("incomplete without a reason"),
        "complete but wrong": count("complete but wrong") + count("complete but rejected"),
        "missing": count("missing"),
        "not built here": count("not built here"),
        "rejected by Keras": len(every) - len(outcomes) - count("not built here"),
        "rejected, error reported": count("rejected, error reported"),
        "rejected, not reported": count("rejected, not reported"),
        "files with errors": sum(bool(r["errors"]) for r in results.values()),
        "crashes": sum("crash" in r for r in results.values()),
    }


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("manifest", type=pathlib.Path)
    parser.add_argument("--corpus", type=pathlib.Path, help="folder of the files and their truth")
    parser.add_argument("--json", action="store_true", help="print every result as JSON")
    parser.add_argument("--verbose", action="store_true", help="list each model's differences")
    args = parser.parse_args(argv)
    manifest = json.loads(args.manifest.read_text())
    corpus = args.corpus or ROOT / "corpus" / args.manifest.stem
    results = {}
    for entry in manifest["files"]:
        path = corpus / entry["file"]
        truth_path = path.with_suffix(".keras.json")
        if not path.exists() or not truth_path.exists():
            print(f"{entry['file']}: not in {corpus} (build the corpus first)", file=sys.stderr)
            continue
        results[entry["file"]] = score_file(path, json.loads(truth_path.read_text()))
    if args.json:
        print(json.dumps({"summary": summarize(results), "files": results}, indent=1))
        return 0
    for name, result in results.items():
        if "crash" in result:
            print(f"{name}: CRASH {result['crash']}")
            continue
        tally = ", ".join(f"{symbol} {m['outcome']}" for symbol, m in result["models"].items()) or "no model"
        print(f"{name} ({result['seconds']} s): {tally}")
        for error in result["errors"]:
            print(f"    error {error}")
        if args.verbose:
            for symbol, m in result["models"].items():
                for problem in m["problems"][:8]:
                    print(f"    {symbol}: {problem}")
    print(json.dumps(summarize(results), indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
