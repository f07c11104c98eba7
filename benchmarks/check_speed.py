"""Prints how fast `archlint check` is: start-up, time per file on the fixture corpus, files whose models come
from libraries (a transfer-learning file, a keras_hub file) cold and with the library cache, and the Keras
Applications sources of the installed keras package (when there is one).

    python benchmarks/check_speed.py [--repeat N]

Start-up is a fresh `archlint --version` process; per-file figures analyse each fixture
in this process (parse, evaluate, tabulate), median of N runs.
"""

import argparse
import importlib.util
import os
import pathlib
import statistics
import subprocess
import sys
import tempfile
import time

REPO = pathlib.Path(__file__).resolve().parent.parent


def median_seconds(fn, repeat: int) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()

    startup = median_seconds(lambda: subprocess.run([sys.executable, "-m", "archlint", "--version"],
                                                    check=True, capture_output=True), args.repeat)
    one_file = REPO / "fixtures" / "models" / "vgg_small.py"
    check_one = median_seconds(lambda: subprocess.run([sys.executable, "-m", "archlint", "check", "-q", str(one_file)],
                                                      capture_output=True), args.repeat)
    from archlint.analysis import analyze_file
    files = sorted((REPO / "fixtures").glob("*/*.py"))
    per_file = [median_seconds(lambda f=f: analyze_file(str(f)), args.repeat) for f in files]
    layers = sum(len(m.layers) for f in files for m in analyze_file(str(f)).models)
    print(f"start-up (archlint --version, fresh process): {startup * 1000:.0f} ms")
    print(f"archlint check on one file, fresh process ({one_file.name}): {check_one * 1000:.0f} ms")
    print(f"fixture corpus: {len(files)} files, {layers} layer rows, {sum(per_file):.3f} s in all; "
          f"median {statistics.median(per_file) * 1000:.1f} ms, max {max(per_file) * 1000:.1f} ms per file")

    library_files(args.repeat)
    spec = importlib.util.find_spec("keras")
    if spec is None:
        return
    applications = pathlib.Path(spec.origin).parent / "src" / "applications"
    print("Keras Applications sources (models, layer rows, seconds):")
    for path in sorted(applications.glob("*.py")):
        if path.name.endswith("_test.py") or path.name in ("__init__.py", "imagenet_utils.py"):
            continue
        seconds = median_seconds(lambda: analyze_file(str(path)), args.repeat)
        report = analyze_file(str(path))
        rows = sum(len(m.layers) for m in report.models)
        print(f"  {path.name:24} {len(report.models):2} models {rows:6} rows {seconds:6.3f} s")


# Files whose models come from installed libraries, and the package each needs.
LIBRARY_FILES = [(REPO / "fixtures" / "models" / "transfer_fine_tune_top.py", "keras"),
                 (REPO / "fixtures" / "libraries" / "keras_hub_bert.py", "keras_hub")]


def library_files(repeat: int) -> None:
    """`archlint check` in a fresh process on each file: cold (an empty library cache, the first run in a
    project) and cached (the same cache again), median of `repeat` runs each; then each file analysed twice in
    this process (note: the first figure is cold only if no earlier file here read the same library)."""
    print("files using library models, archlint check in a fresh process (cold / with the library cache):")
    for path, package in LIBRARY_FILES:
        if importlib.util.find_spec(package) is None:
            print(f"  {path.name}: {package} is not installed")
            continue
        command = [sys.executable, "-m", "archlint", "check", "-q", str(path)]
        cold = []
        for _ in range(repeat):
            with tempfile.TemporaryDirectory() as cache:
                environment = {**os.environ, "ARCHLINT_CACHE_DIR": cache}
                start = time.perf_counter()
                subprocess.run(command, capture_output=True, env=environment)
                cold.append(time.perf_counter() - start)
        with tempfile.TemporaryDirectory() as cache:
            environment = {**os.environ, "ARCHLINT_CACHE_DIR": cache}
            subprocess.run(command, capture_output=True, env=environment)
            cached = median_seconds(lambda: subprocess.run(command, capture_output=True, env=environment), repeat)
        print(f"  {path.name:32} {statistics.median(cold):6.2f} s cold {cached:6.2f} s cached")
    print("the same files analysed again in one process (a directory, a notebook: library modules parsed once):")
    from archlint.analysis import analyze_file
    for path, package in LIBRARY_FILES:
        if importlib.util.find_spec(package) is not None:
            first = median_seconds(lambda: analyze_file(str(path)), 1)
            again = median_seconds(lambda: analyze_file(str(path)), repeat)
            print(f"  {path.name:32} {first:6.2f} s first {again:6.2f} s again")


if __name__ == "__main__":
    main()
