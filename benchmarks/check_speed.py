"""Prints how fast `archlint check` is, in one run: start-up, a small file, each Keras Applications source, a
ResNet50 user file against the Keras route, files using library models cold and with the library cache, a
thousand generated model files (also with --jobs 2 and with the results cache warm), the fixture corpus, and
the time per layer from 10 to 10,000 layers.

    python benchmarks/check_speed.py [--repeat N] [--quick]

Each figure is the median of N runs (default 3); start-up and the small file also give the least CPU time of
at least five (what the work costs without interference). "Fresh process" figures time `archlint check` as a
user runs it (a new interpreter, imports included) and give its CPU time beside the wall time: on a busy
machine the wall time stretches while the CPU time stays what the work costs. The machine's load (the 1-minute
load average) is printed at the start and at the end. archlint's modules are compiled to bytecode first, as pip
does when it installs them (an editable install under PYTHONDONTWRITEBYTECODE would compile them in every run). --quick leaves out the Keras route and the applications.
"""

import argparse
import compileall
import importlib.util
import os
import pathlib
import resource
import statistics
import subprocess
import sys
import tempfile
import time

REPO = pathlib.Path(__file__).resolve().parent.parent
SMALL_FILE = """\
import keras
from keras import layers

model = keras.Sequential([
    keras.Input(shape=(28, 28, 1)),
    layers.Conv2D(8, 3, activation="relu"),
    layers.Flatten(),
    layers.Dense(10, activation="softmax"),
])
"""
RESNET_USER_FILE = "from keras.applications import ResNet50\n\nmodel = ResNet50(weights=None)\n"
# The Keras route to the same table: import Keras, build the model, print its summary.
KERAS_ROUTE = RESNET_USER_FILE + "model.summary()\n"


def load() -> str:
    return f"{os.getloadavg()[0]:.1f}"


def children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def run(command, env=None) -> tuple[float, float]:
    """Wall and CPU seconds of one fresh process."""
    cpu, start = children_cpu(), time.perf_counter()
    subprocess.run(command, capture_output=True, env=env)
    return time.perf_counter() - start, children_cpu() - cpu


def median_run(command, repeat: int, env=None) -> tuple[float, float]:
    runs = [run(command, env) for _ in range(repeat)]
    return statistics.median(w for w, _ in runs), statistics.median(c for _, c in runs)


def best_run(command, repeat: int, env=None) -> str:
    """The median run's figure, and the least CPU time of any."""
    runs = [run(command, env) for _ in range(repeat)]
    wall, cpu = statistics.median(w for w, _ in runs), statistics.median(c for _, c in runs)
    return f"{figure(wall, cpu)}, best {min(c for _, c in runs):.3f} s CPU"


def compile_archlint() -> None:
    for package in ("archlint", "archlint.rules"):
        compileall.compile_dir(str(pathlib.Path(importlib.util.find_spec(package).origin).parent), quiet=1)


def in_process(fn, repeat: int) -> tuple[float, float]:
    """Wall and CPU seconds of fn() in this process, medians."""
    walls, cpus = [], []
    for _ in range(repeat):
        cpu, start = time.process_time(), time.perf_counter()
        fn()
        walls.append(time.perf_counter() - start)
        cpus.append(time.process_time() - cpu)
    return statistics.median(walls), statistics.median(cpus)


def figure(wall: float, cpu: float) -> str:
    return f"{wall:7.3f} s wall {cpu:7.3f} s CPU"


ARCHLINT = [sys.executable, "-m", "archlint"]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--layers", action="store_true", help="only the time per layer")
    args = parser.parse_args()
    repeat = args.repeat
    if args.layers:
        time_per_layer(repeat)
        return
    print(f"load average at the start: {load()} ({os.cpu_count()} CPUs)")
    os.environ["ARCHLINT_NO_CACHE"] = "1"  # each figure is of analyses, but results_cache_and_jobs's warm one

    compile_archlint()
    start_up_runs = max(repeat, 5)
    print(f"start-up, archlint --version:             {best_run([*ARCHLINT, '--version'], start_up_runs)}")
    with tempfile.TemporaryDirectory() as scratch:
        scratch = pathlib.Path(scratch)
        small = scratch / "small.py"
        small.write_text(SMALL_FILE)
        print(f"archlint check, a {len(SMALL_FILE.splitlines())}-line model file:    "
              f"{best_run([*ARCHLINT, 'check', '-q', str(small)], start_up_runs)}")
        cached = {name: value for name, value in os.environ.items() if name != "ARCHLINT_NO_CACHE"}
        cached["ARCHLINT_CACHE_DIR"] = str(scratch / "small_file_cache")
        run([*ARCHLINT, "check", "-q", str(small)], cached)
        print(f"  the same, its report in the results cache: "
              f"{best_run([*ARCHLINT, 'check', '-q', str(small)], start_up_runs, cached)}")
        if not args.quick:
            applications(repeat)
            resnet_against_keras(scratch, repeat)
        library_files(repeat)
        many_files(scratch, repeat)
        results_cache_and_jobs(scratch, repeat)
    fixture_corpus(repeat)
    # In a process of its own: the collector's walks of the heap would take in what the figures above left there.
    sys.stdout.flush()
    subprocess.run([sys.executable, __file__, "--layers", "--repeat", str(repeat)])
    print(f"load average at the end: {load()}")


def applications(repeat: int) -> None:
    spec = importlib.util.find_spec("keras")
    if spec is None:
        print("Keras Applications: keras is not installed")
        return
    print("Keras Applications sources, archlint check -q in a fresh process (models, layer rows):")
    from archlint.analysis import analyze_file

    folder = pathlib.Path(spec.origin).parent / "src" / "applications"
    for path in sorted(folder.glob("*.py")):
        if path.name.endswith("_test.py") or path.name in ("__init__.py", "imagenet_utils.py"):
            continue
        report = analyze_file(str(path))
        rows = sum(len(m.layers) for m in report.models)
        print(f"  {path.name:24} {len(report.models):2} models {rows:5} rows "
              f"{figure(*median_run([*ARCHLINT, 'check', '-q', str(path)], repeat))}")


def resnet_against_keras(scratch: pathlib.Path, repeat: int) -> None:
    """A user file calling ResNet50(): archlint (cold: empty library cache; library cache warm: the second file
    that uses the model, analysed; results cache: the same file unchanged, not analysed) against Keras importing,
    building and summarising it; and what any analysis in a fresh process costs before it starts (the
    interpreter, the parser's import)."""
    if importlib.util.find_spec("keras") is None:
        return
    user_file = scratch / "resnet_user.py"
    user_file.write_text(RESNET_USER_FILE)
    keras_file = scratch / "resnet_keras.py"
    keras_file.write_text(KERAS_ROUTE)
    command = [*ARCHLINT, "check", "-q", str(user_file)]
    cold = []
    for _ in range(repeat):
        with tempfile.TemporaryDirectory() as cache:
            cold.append(run(command, {**os.environ, "ARCHLINT_CACHE_DIR": cache}))
    cold_wall, cold_cpu = statistics.median(w for w, _ in cold), statistics.median(c for _, c in cold)
    with tempfile.TemporaryDirectory() as cache:
        env = {**os.environ, "ARCHLINT_CACHE_DIR": cache}
        run(command, env)
        warm_wall, warm_cpu = median_run(command, repeat, env)
        kept = {name: value for name, value in env.items() if name != "ARCHLINT_NO_CACHE"}
        run(command, kept)
        kept_wall, kept_cpu = median_run(command, repeat, kept)
    keras_wall, keras_cpu = median_run([sys.executable, str(keras_file)], repeat,
                                       {**os.environ, "KERAS_BACKEND": os.environ.get("KERAS_BACKEND", "jax")})
    print("ResNet50 user file, fresh process:")
    print(f"  archlint, cold library cache:   {figure(cold_wall, cold_cpu)}")
    print(f"  archlint, library cache warm:   {figure(warm_wall, warm_cpu)}")
    print(f"  archlint, from results cache:   {figure(kept_wall, kept_cpu)}")
    print(f"  Keras (import, build, summary): {figure(keras_wall, keras_cpu)}")
    print(f"  Keras / archlint: {keras_wall / cold_wall:.0f}x cold, {keras_wall / warm_wall:.0f}x library cache warm, "
          f"{keras_wall / kept_wall:.0f}x results cache (wall); {keras_cpu / cold_cpu:.0f}x, "
          f"{keras_cpu / warm_cpu:.0f}x, {keras_cpu / kept_cpu:.0f}x (CPU)")
    interpreter = median_run([sys.executable, "-c", "pass"], max(repeat, 5))
    parser = median_run([sys.executable, "-c", "import libcst"], max(repeat, 5))
    print(f"  before any analysis: the interpreter {figure(*interpreter)}; with libcst imported {figure(*parser)}")


# Files whose models come from installed libraries, and the package each needs.
LIBRARY_FILES = [(REPO / "fixtures" / "models" / "transfer_fine_tune_top.py", "keras"),
                 (REPO / "fixtures" / "libraries" / "keras_hub_bert.py", "keras_hub")]


def library_files(repeat: int) -> None:
    """`archlint check` in a fresh process on each file: cold (an empty library cache, the first run in a
    project) and cached (the same cache again); then each file analysed twice in this process (the first
    figure is cold only if no earlier file here read the same library)."""
    print("files using library models, archlint check -q in a fresh process (cold / with the library cache):")
    for path, package in LIBRARY_FILES:
        if importlib.util.find_spec(package) is None:
            print(f"  {path.name}: {package} is not installed")
            continue
        command = [*ARCHLINT, "check", "-q", str(path)]
        cold = []
        for _ in range(repeat):
            with tempfile.TemporaryDirectory() as cache:
                cold.append(run(command, {**os.environ, "ARCHLINT_CACHE_DIR": cache})[0])
        with tempfile.TemporaryDirectory() as cache:
            environment = {**os.environ, "ARCHLINT_CACHE_DIR": cache}
            run(command, environment)
            cached = median_run(command, repeat, environment)[0]
        print(f"  {path.name:32} {statistics.median(cold):6.2f} s cold {cached:6.2f} s cached (wall)")
    print("the same files analysed again in one process (a directory, a notebook: library modules parsed once):")
    from archlint.analysis import analyze_file

    for path, package in LIBRARY_FILES:
        if importlib.util.find_spec(package) is not None:
            first = in_process(lambda: analyze_file(str(path)), 1)[0]
            again = in_process(lambda: analyze_file(str(path)), repeat)[0]
            print(f"  {path.name:32} {first:6.2f} s first {again:6.2f} s again (wall)")


def generated_model(index: int) -> str:
    """A small model file of its own: a few convolution blocks and a head, sizes varying with the index."""
    blocks = "".join(f"    layers.Conv2D({8 * (1 + (index + b) % 4)}, 3, padding=\"same\", activation=\"relu\"),\n"
                     f"    layers.MaxPooling2D(),\n" for b in range(1 + index % 3))
    return (f"import keras\nfrom keras import layers\n\nmodel_{index} = keras.Sequential([\n"
            f"    keras.Input(shape=({32 + index % 5 * 8}, {32 + index % 5 * 8}, 3)),\n{blocks}"
            f"    layers.Flatten(),\n    layers.Dense({10 + index % 7}, activation=\"softmax\"),\n])\n")


def generated_project(folder: pathlib.Path, count: int = 1000) -> int:
    """`count` generated model files in a new folder."""
    folder.mkdir()
    for index in range(count):
        (folder / f"model_{index:04}.py").write_text(generated_model(index))
    return count


def many_files(scratch: pathlib.Path, repeat: int) -> None:
    folder = scratch / "project"
    count = generated_project(folder)
    wall, cpu = median_run([*ARCHLINT, "check", "-q", "--exit-zero", str(folder)], repeat)
    print(f"{count} generated model files, one archlint check: {figure(wall, cpu)}, {count / wall:.0f} files/s")


def results_cache_and_jobs(scratch: pathlib.Path, repeat: int) -> None:
    """1,000 generated model files in one process without the results cache, with --jobs 2, and with the cache warm."""
    folder = scratch / "cached_project"
    count = generated_project(folder)
    environment = {name: value for name, value in os.environ.items() if name != "ARCHLINT_NO_CACHE"}
    environment["ARCHLINT_CACHE_DIR"] = str(scratch / "results_cache")
    command = [*ARCHLINT, "check", "-q", "--exit-zero", str(folder)]
    cold = median_run([*command, "--no-cache", "--jobs", "1"], repeat, environment)
    jobs = median_run([*command, "--no-cache", "--jobs", "2"], repeat, environment)
    run(command, environment)  # fills the cache
    warm = median_run(command, repeat, environment)
    print(f"{count} generated model files, one archlint check (CPU time includes the workers'):")
    for label, (wall, cpu) in (("--jobs 1, no cache", cold), ("--jobs 2, no cache", jobs), ("results cache warm", warm)):
        print(f"  {label:19} {figure(wall, cpu)}, {count / wall:6.0f} files/s")


def fixture_corpus(repeat: int) -> None:
    from archlint.analysis import analyze_file

    files = sorted((REPO / "fixtures").glob("*/*.py"))
    per_file = [in_process(lambda f=f: analyze_file(str(f)), repeat)[1] for f in files]
    print(f"fixture corpus in this process: {len(files)} files, {sum(per_file):.3f} s CPU in all; "
          f"median {statistics.median(per_file) * 1000:.1f} ms, max {max(per_file) * 1000:.1f} ms per file")


def time_per_layer(repeat: int) -> None:
    """One file per size and style, checked in this process with the rules (no time budget in the way). The
    time per layer is what the layers add to the same file with none (the imports, the Input, the model)."""
    from archlint.config import Settings
    from archlint.lint import lint_source

    def sources(size: int) -> tuple[str, str]:
        return (f"import keras\nmodel = keras.Sequential([keras.Input(shape=(4,))] + "
                f"[keras.layers.Dense(4) for _ in range({size})])\n",
                f"import keras\nx = inputs = keras.Input(shape=(4,))\nfor _ in range({size}):\n"
                f"    x = keras.layers.Dense(4)(x)\nmodel = keras.Model(inputs, x)\n")

    settings = Settings(max_analysis_seconds=600)

    def cpu_of(source: str, times: int = 1) -> float:
        """CPU seconds of one lint, from `times` in a row (a small file's few milliseconds are read coarsely)."""
        return in_process(lambda: [lint_source(source, "layers.py", settings) for _ in range(times)], repeat)[1] / times

    cpu_of(sources(10)[1])  # the rules and layers imported, the library's names read
    empty = [cpu_of(source, 100) for source in sources(0)]
    print(f"time per layer (lint in this process, CPU; what the layers add to the file without them, "
          f"{empty[0] * 1000:.1f} ms Sequential, {empty[1] * 1000:.1f} ms functional):")
    for size in (10, 100, 1_000, 3_000, 10_000):
        figures = []
        for source, base in zip(sources(size), empty):
            cpu = cpu_of(source, max(1, 1000 // size))
            figures.append(f"{cpu:7.3f} s, {(cpu - base) / size * 1e6:4.0f} us/layer")
        print(f"  {size:6} layers: Sequential {figures[0]}; functional {figures[1]}")
    # Python's cyclic collector walks the whole heap once a quarter of it is new: a 10,000-layer file pays such a
    # walk where files of 1,000 layers leave it to the files after them. The same layers in ten files:
    tenth = sources(1_000)[1]
    ten_files = in_process(lambda: [lint_source(tenth, "layers.py", settings) for _ in range(10)], repeat)[1]
    print(f"  10 functional files of 1,000 layers in a row: {ten_files:.3f} s, "
          f"{(ten_files - 10 * empty[1]) / 10_000 * 1e6:4.0f} us/layer")


if __name__ == "__main__":
    main()
