"""The results cache (.archlint_cache/results/) and --jobs: a report from the cache or from worker processes is
byte for byte the report one uncached process makes; an entry that is stale, corrupt or forged is not used."""

import json
import os
import pathlib
import pickle
import subprocess
import sys
import time

import pytest
from click.testing import CliRunner

import archlint
from archlint import disk_cache, isolation
from archlint.cli import main
from archlint.report import github, json_report, markdown, sarif, text
from archlint.results import FileReport, Report
from archlint.results_cache import RESULTS
from tests.test_factory_cache import TINY_APPLICATION  # a made-up Keras's one application: Dense(units), Dense(2)

FIXTURES = pathlib.Path(__file__).parent.parent / "fixtures"
RENDERERS = {"text": text.render, "json": json_report.render, "sarif": sarif.render, "markdown": markdown.render,
             "github": github.render}

SIBLING_MAIN = """import keras
from blocks import head

model = keras.Sequential([keras.Input(shape=(8,)), head()])
"""
BLOCKS = "import keras\n\ndef head():\n    return keras.layers.Dense({units})\n"


@pytest.fixture
def cache(tmp_path, monkeypatch):
    """A cache folder and a signing key of the test's own; the folder's results subfolder."""
    monkeypatch.setenv("ARCHLINT_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "user-cache"))
    disk_cache._signing_key.cache_clear()
    yield tmp_path / "cache"
    disk_cache._signing_key.cache_clear()
    disk_cache.use_directory(None)  # a --cache-dir given in the test is not the next one's


def rendered(render, files) -> list[str]:
    """Each file's report as `render` writes it, or the error it raises (as the command line, which leaves out a
    file its writer fails on)."""
    written = []
    for file in files:
        try:
            written.append(render([file]))
        except Exception as exc:
            written.append(f"{type(exc).__name__}: {exc}")
    return written


def no_analysis(monkeypatch, but=()):
    """From now on, a file that is not in the cache (but those in `but`) fails the test."""
    real = isolation.analysed

    def analysed(path, data, settings):
        assert path in but, f"{path} was analysed again"
        return real(path, data, settings)
    monkeypatch.setattr(isolation, "analysed", analysed)


def stopped_by_the_budget(report) -> bool:
    return any(d.code == "AL301" and "budget" in d.message for d in report.diagnostics)


def entries(cache) -> list[pathlib.Path]:
    return sorted((cache / RESULTS.name).glob("*.json"))


def fixture_files() -> list[str]:
    return sorted(str(p) for p in FIXTURES.rglob("*") if p.suffix in (".py", ".md") and not p.name.startswith("make_")
                  and p.parent != FIXTURES)


def test_every_fixture_reads_back_from_the_cache_byte_for_byte_in_every_format(cache, monkeypatch):
    files = fixture_files()
    assert len(files) > 200
    uncached = archlint.check_paths(files, jobs=2)  # each file analysed, and its report kept
    # but where a busy machine stopped its analysis (an AL301 of the time budget), which is analysed again
    stopped = [f.path for f in uncached.files if stopped_by_the_budget(f)]
    assert uncached.failures == () and len(entries(cache)) == len(files) - len(stopped)
    assert (cache / "CACHEDIR.TAG").read_text().startswith("Signature: 8a477f597d28d172789f06886806bc55")
    assert (cache / ".gitignore").read_text().splitlines()[-1] == "*"
    no_analysis(monkeypatch, but=stopped)
    cached = archlint.check_paths(files, jobs=1)
    if stopped:  # analysed again: their report may stop elsewhere
        uncached = Report(tuple(f for f in uncached.files if f.path not in stopped))
        cached = Report(tuple(f for f in cached.files if f.path not in stopped))
    for name, render in RENDERERS.items():
        assert rendered(render, cached.files) == rendered(render, uncached.files), name
    assert text.render(list(cached.files)) == text.render(list(uncached.files))
    for nested in (False, True):
        assert json_report.render(list(cached.files), expand_nested=nested) == \
            json_report.render(list(uncached.files), expand_nested=nested)
    assert text.render(list(cached.files), colour=True) == text.render(list(uncached.files), colour=True)
    for report in uncached.files:  # through JSON text and back: an equal report
        assert FileReport.from_data(json.loads(json.dumps(report.to_data()))) == report


DATA_SIZES = """import keras
class_names = open("labels.txt").read().split()
num_classes = len(class_names)
model = keras.Sequential([keras.Input(shape=(16, 16, 3)), keras.layers.Conv2D(8, 3, strides=2), keras.layers.Flatten(),
                          keras.layers.Dense(num_classes)])
"""


def test_named_sizes_and_numbers_from_data_read_back_from_the_cache(tmp_path, cache, monkeypatch):
    (tmp_path / "data_sizes.py").write_text(DATA_SIZES)
    files = [str(FIXTURES / "sizes" / "causal_conv1d_reshape.py"), str(FIXTURES / "sizes" / "unet_depth3_valid_pool.py"),
             str(tmp_path / "data_sizes.py")]
    options = {"input_shapes": {"model": "T,8", "inputs": "H,W,3"}, "jobs": 1}
    uncached = archlint.check_paths(files, **options)
    models = [file.models[0] for file in uncached.files]
    assert all(model.accepted_sizes for model in models[:2]) and models[2].data_sizes  # sizes, not numbers
    no_analysis(monkeypatch)
    cached = archlint.check_paths(files, **options)
    assert cached == uncached
    for render in RENDERERS.values():
        assert rendered(render, cached.files) == rendered(render, uncached.files)


def test_jobs_2_reports_byte_for_byte_what_jobs_1_does(cache, monkeypatch):
    files = [f for f in fixture_files() if "/models/" in f][:40]
    started = []
    from archlint import workers
    real = workers.analysed_all
    monkeypatch.setattr(workers, "analysed_all", lambda *args: started.append(args[-1]) or real(*args))
    one = archlint.check_paths(files, cache=False, jobs=1)
    two = archlint.check_paths(files, cache=False, jobs=2)
    assert started == [2]
    assert two.to_json() == one.to_json() and two == one
    for render in RENDERERS.values():
        assert rendered(render, two.files) == rendered(render, one.files)


def test_spawned_workers_report_and_keep_what_one_process_does(cache, monkeypatch):
    """Spawned workers (a process with native threads, such as JAX's, is never forked) hash strings with another
    seed than this process: their reports' named sizes must still equal those made here, and be kept."""
    import multiprocessing
    from archlint import workers
    monkeypatch.setattr(workers, "_context", lambda: multiprocessing.get_context("spawn"))
    monkeypatch.setattr(workers, "SPAWNED_FILES_PER_WORKER", 1)
    files = [str(path) for path in sorted((FIXTURES / "sizes").glob("*.py"))][:4]
    one = archlint.check_paths(files, cache=False, jobs=1)
    two = archlint.check_paths(files, jobs=2)
    assert two == one and two.to_json() == one.to_json()
    assert len(entries(cache)) == len(files)


def test_a_process_with_native_threads_is_never_forked(monkeypatch):
    from archlint import workers
    monkeypatch.setattr(workers, "_native_threads", lambda: 3)
    assert workers._context().get_start_method() == "spawn"


def test_verify_under_jobs_2_reports_what_one_process_does(cache):
    files = [str(FIXTURES / "models" / name) for name in sorted(os.listdir(FIXTURES / "models"))
             if name.endswith(".py") and "applications" not in name][:6]
    one = archlint.check_paths(files, cache=False, jobs=1, verify=True)
    two = archlint.check_paths(files, cache=False, jobs=2, verify=True)
    assert any(model.verified for file in one.files for model in file.models)
    assert two.to_json() == one.to_json()


def test_no_worker_is_started_for_a_file_or_two(cache, monkeypatch):
    from archlint import workers
    monkeypatch.setattr(workers, "analysed_all", lambda *args: pytest.fail("workers started"))
    files = [f for f in fixture_files() if "/models/" in f][:3]
    assert len(archlint.check_paths(files, cache=False, jobs=8).files) == 3


@pytest.fixture
def project(tmp_path) -> pathlib.Path:
    """main.py, whose model's head comes from blocks.py: Dense(4) for now."""
    folder = tmp_path / "project"
    folder.mkdir()
    (folder / "main.py").write_text(SIBLING_MAIN)
    (folder / "blocks.py").write_text(BLOCKS.format(units=4))
    return folder


def test_a_changed_sibling_module_is_analysed_again(project, cache):
    blocks = project / "blocks.py"

    def params():
        report = archlint.check_paths([str(project / "main.py")], jobs=1)
        assert report == archlint.check_paths([str(project / "main.py")], jobs=1, cache=False)
        return report.files[0].models[0].total_params

    assert params() == 8 * 4 + 4
    stat = blocks.stat()
    blocks.write_text(BLOCKS.format(units=6))
    os.utime(blocks, ns=(stat.st_atime_ns, stat.st_mtime_ns))  # same size and time: its content tells
    assert params() == 8 * 6 + 6
    assert len(entries(cache)) == 1  # written anew, in place


def test_a_sibling_rewritten_with_its_size_and_time_is_analysed_again_in_the_same_process(project, cache):
    """A long-lived process (the IPython magic) that read a report back, and so the sibling's digest, before."""
    blocks = project / "blocks.py"

    def params():
        return archlint.check_paths([str(project / "main.py")], jobs=1).files[0].models[0].total_params

    assert params() == params() == 8 * 4 + 4  # kept, then read back
    stat = blocks.stat()
    time.sleep(0.05)  # past the resolution of the file system's change time
    blocks.write_text(BLOCKS.format(units=6))
    os.utime(blocks, ns=(stat.st_atime_ns, stat.st_mtime_ns))
    assert params() == 8 * 6 + 6


def test_a_module_made_after_the_check_is_found_again(tmp_path, cache):
    project = tmp_path / "project"
    project.mkdir()
    (project / "main.py").write_text(SIBLING_MAIN)
    first = archlint.check_paths([str(project / "main.py")], jobs=1)
    assert first == archlint.check_paths([str(project / "main.py")], jobs=1, cache=False)
    assert not first.files[0].models[0].complete
    (project / "blocks.py").write_text(BLOCKS.format(units=2))
    second = archlint.check_paths([str(project / "main.py")], jobs=1)
    assert second.files[0].models[0].total_params == 8 * 2 + 2 and second.files[0].models[0].complete


def test_another_setting_or_archlint_code_is_another_key(tmp_path, cache, monkeypatch):
    path = tmp_path / "model.py"
    path.write_text(SIBLING_MAIN.replace("from blocks import head\n", "").replace("head()", "keras.layers.Dense(3)"))
    archlint.check_paths([str(path)], jobs=1)
    assert archlint.check_paths([str(path)], jobs=1, ignore=["AL2"]) == \
        archlint.check_paths([str(path)], jobs=1, ignore=["AL2"], cache=False)
    assert len(entries(cache)) == 2
    monkeypatch.setattr(disk_cache, "_fingerprint", "archlint as changed")
    analysed = []
    real = isolation.analysed
    monkeypatch.setattr(isolation, "analysed", lambda *args: analysed.append(args[0]) or real(*args))
    archlint.check_paths([str(path)], jobs=1)
    assert analysed == [str(path)] and len(entries(cache)) == 2  # the old archlint's entry written over
    archlint.check_paths([str(path)], jobs=1)
    assert analysed == [str(path)]


class RunsCode:
    def __reduce__(self):
        return os.system, (f"touch {MARKER}",)


MARKER = "/nonexistent"


@pytest.mark.parametrize("damage", ["truncated", "garbled", "forged", "signed by another key", "pickle",
                                    "another format", "another file's"])
def test_a_damaged_or_forged_entry_is_ignored_and_written_anew(tmp_path, cache, monkeypatch, damage):
    global MARKER
    MARKER = str(tmp_path / "code-ran")
    path = tmp_path / "model.py"
    path.write_text(SIBLING_MAIN.replace("from blocks import head\n", "").replace("head()", "keras.layers.Dense(3)"))
    other = tmp_path / "other.py"
    other.write_text(path.read_text().replace("Dense(3)", "Dense(5)"))
    expected = archlint.check_paths([str(path)], jobs=1, cache=False)
    archlint.check_paths([str(path), str(other)], jobs=1)
    [entry] = [e for e in entries(cache) if f'"{path}"' in e.read_text()]
    [other_entry] = [e for e in entries(cache) if e != entry]
    signature, body = entry.read_bytes().split(b"\n", 1)
    document = json.loads(body)
    if damage == "truncated":
        entry.write_bytes(entry.read_bytes()[:len(entry.read_bytes()) // 2])
    elif damage == "garbled":
        entry.write_bytes(signature + b"\n" + body.replace(b'"', b"'", 7))
    elif damage == "forged":  # Dense(3) on 8 inputs (27 parameters) said to hold a million parameters, under the old signature
        entry.write_bytes(signature + b"\n" + body.replace(b'"total_params":27', b'"total_params":1000000'))
        assert b"1000000" in entry.read_bytes()
    elif damage == "signed by another key":
        import hashlib
        import hmac
        forged = body.replace(b'"total_params":27', b'"total_params":1000000')
        entry.write_bytes(hmac.new(b"k" * 32, forged, hashlib.sha256).hexdigest().encode() + b"\n" + forged)
    elif damage == "pickle":
        entry.write_bytes(pickle.dumps(RunsCode()))
    elif damage == "another format":
        document["format"] = [RESULTS.name, RESULTS.format + 1]
        entry.write_bytes(signature + b"\n" + json.dumps(document).encode())
    elif damage == "another file's":
        entry.write_bytes(other_entry.read_bytes())
    damaged = entry.read_bytes()
    assert archlint.check_paths([str(path)], jobs=1) == expected
    assert not os.path.exists(MARKER)
    assert entry.read_bytes() != damaged  # written anew
    no_analysis(monkeypatch)
    assert archlint.check_paths([str(path)], jobs=1) == expected


def test_an_analysis_stopped_by_its_time_budget_is_not_kept(tmp_path, cache):
    path = tmp_path / "slow.py"
    path.write_text("import keras\nx = 0\nfor i in range(10**6):\n    for j in range(10**6):\n        x = x + i * j\n"
                    "model = keras.Sequential([keras.Input(shape=(4,)), keras.layers.Dense(2)])\n")
    report = archlint.check_paths([str(path)], jobs=1, max_analysis_seconds=0.05)
    assert stopped_by_the_budget(report)
    assert entries(cache) == []


def test_a_worker_whose_process_ends_costs_only_its_file(tmp_path, cache, monkeypatch):
    for name in ("a", "b", "crash", "d", "e"):
        (tmp_path / f"{name}.py").write_text(f"import keras\n{name} = keras.Sequential([keras.Input(shape=(4,)), "
                                             "keras.layers.Dense(2)])\n")
    expected = archlint.check_paths([tmp_path], cache=False, jobs=1)
    real = isolation.analysed

    def analysed(path, data, settings):
        if path.endswith("crash.py"):
            os._exit(3)  # as a crash in a native library would
        return real(path, data, settings)

    monkeypatch.setattr(isolation, "analysed", analysed)
    from archlint import workers
    import multiprocessing
    monkeypatch.setattr(workers, "_context", lambda: multiprocessing.get_context("fork"))  # the workers see the patch
    report = archlint.check_paths([tmp_path], cache=False, jobs=2)
    assert [f.message for f in report.failures] == \
        [f"internal error on {tmp_path / 'crash.py'}: the process analysing it ended abruptly"]
    assert report.files == tuple(f for f in expected.files if not f.path.endswith("crash.py"))


def test_two_runs_writing_the_cache_at_once_leave_every_entry_whole(tmp_path, cache, monkeypatch):
    files = [f for f in fixture_files() if "/models/" in f][:30]
    project = tmp_path / "project"
    project.mkdir()
    for file in files:
        (project / pathlib.Path(file).name).write_bytes(pathlib.Path(file).read_bytes())
    command = [sys.executable, "-m", "archlint", "check", "--jobs", "1", "--format", "json", str(project)]
    runs = [subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE) for _ in range(2)]
    outputs = [run.communicate(timeout=600)[0] for run in runs]
    assert outputs[0] == outputs[1] and outputs[0]
    assert len(entries(cache)) == len(files)
    assert [p for p in (cache / RESULTS.name).iterdir() if not p.name.endswith(".json")] == []  # no temporary file
    written = {entry: entry.stat().st_mtime_ns for entry in entries(cache)}
    assert subprocess.run(command, capture_output=True).stdout == outputs[0]
    assert {entry: entry.stat().st_mtime_ns for entry in entries(cache)} == written  # each read, none written anew


def test_a_cache_folder_that_is_a_symlink_is_not_written(tmp_path, cache, monkeypatch):
    """A checkout may bring `.archlint_cache` as a symlink to a folder above it: archlint's CACHEDIR.TAG there would
    have backups skip that folder, and its .gitignore of * hide it from git."""
    project = tmp_path / "outside" / "project"
    project.mkdir(parents=True)
    (project / "model.py").write_text(SIBLING_MAIN.replace("from blocks import head\n", "")
                                      .replace("head()", "keras.layers.Dense(2)"))
    (project / ".archlint_cache").symlink_to("..")
    monkeypatch.delenv("ARCHLINT_CACHE_DIR")
    monkeypatch.chdir(project)
    disk_cache.use_directory(None)
    report = archlint.check_paths(["model.py"], jobs=1)
    assert report.files[0].models[0].total_params == 8 * 2 + 2
    assert sorted(p.name for p in (tmp_path / "outside").iterdir()) == ["project"]


def test_no_cache_neither_reads_nor_writes(tmp_path, cache):
    path = tmp_path / "model.py"
    path.write_text("import keras\nm = keras.Sequential([keras.Input(shape=(4,)), keras.layers.Dense(2)])\n")
    result = CliRunner().invoke(main, ["check", "--no-cache", str(path)])
    assert result.exit_code == 0 and not (cache / RESULTS.name).exists()
    elsewhere = tmp_path / "elsewhere"
    result = CliRunner().invoke(main, ["check", "--cache-dir", str(elsewhere), str(path)])
    assert result.exit_code == 0 and len(list((elsewhere / RESULTS.name).iterdir())) == 1
    assert (elsewhere / "CACHEDIR.TAG").exists() and not (cache / RESULTS.name).exists()


TINY_MODELS = "import keras\n\ndef head():\n    return keras.layers.Dense(4)\n"


@pytest.fixture
def environment(tmp_path):
    """A virtual environment on disk (its interpreter cannot run: archlint reads its site-packages from pyvenv.cfg)
    holding a made-up Keras with one application, `Tiny`, and a Keras model package, `tinymodels`; its
    interpreter (for `python=`) and its site-packages."""
    from archlint.evaluate import interpreter, project_modules

    root = tmp_path / "env"
    site = root / "lib" / "python3.11" / "site-packages"
    keras = site / "keras"
    for folder in (keras / "src" / "applications", keras / "applications", site / "tinymodels"):
        folder.mkdir(parents=True)
    (root / "pyvenv.cfg").write_text("home = /nowhere\n")
    for package in (keras, keras / "src", keras / "src" / "applications", site / "tinymodels"):
        (package / "__init__.py").write_text("")
    (keras / "src" / "layer.py").write_text("class Layer:\n    def build(self, shape):\n        self.built = True\n")
    (keras / "applications" / "__init__.py").write_text("from keras.src.applications.tiny import Tiny as Tiny\n")
    (keras / "src" / "applications" / "tiny.py").write_text(TINY_APPLICATION)
    (keras / "src" / "applications" / "tinz.py").write_text(TINY_APPLICATION.replace("Dense(2,", "Dense(5,"))
    (site / "tinymodels" / "blocks.py").write_text(TINY_MODELS)
    meta = site / "tinymodels-1.0.dist-info"
    meta.mkdir()
    (meta / "METADATA").write_text("Metadata-Version: 2.1\nName: tinymodels\nVersion: 1.0\nRequires-Dist: keras\n")
    (meta / "top_level.txt").write_text("tinymodels\n")
    (root / "bin").mkdir()
    (root / "bin" / "python").write_text("not an interpreter\n")
    yield str(root / "bin" / "python"), site
    project_modules.use_python(None)
    interpreter._LIBRARY_MODULES.clear()


def checked(path, python: str):
    """The report of `path` checked in that environment, which an uncached check must give alike."""
    report = archlint.check_paths([str(path)], jobs=1, python=python)
    assert report == archlint.check_paths([str(path)], jobs=1, python=python, cache=False)
    return report


def edited_in_place(path: pathlib.Path, old: str, new: str) -> None:
    """`path` with `old` replaced by `new` (as long), its size and modification time kept, as is the modification
    time of every folder: an installed package edited where it lies, which no search path directory's time tells."""
    stat = path.stat()
    text = path.read_text()
    assert len(old) == len(new) and old in text
    time.sleep(0.05)  # past the resolution of the file system's change time
    with open(path, "r+") as handle:  # written over, not replaced: the folder's time stays as it is
        handle.write(text.replace(old, new))
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns))
    assert path.stat().st_size == stat.st_size


def test_a_library_module_edited_in_place_is_read_again(tmp_path, cache, environment):
    python, site = environment
    path = tmp_path / "model.py"
    path.write_text("import keras\nfrom tinymodels.blocks import head\n\n"
                    "model = keras.Sequential([keras.Input(shape=(8,)), head()])\n")

    def params():
        return checked(path, python).files[0].models[0].total_params

    assert params() == 8 * 4 + 4
    edited_in_place(site / "tinymodels" / "blocks.py", "Dense(4)", "Dense(6)")
    assert params() == 8 * 6 + 6


@pytest.mark.parametrize("edited", ["factory", "public module"])
def test_a_factory_answered_by_the_library_cache_goes_stale_with_each_file_that_decided_it(tmp_path, cache,
                                                                                          environment, edited):
    """A report kept for a call rebuilt from the library cache (no file of the factory read) goes stale when the
    factory's module, or the public module naming it, is edited where it lies."""
    from archlint.evaluate import factory_cache

    python, site = environment
    first, second = tmp_path / "first.py", tmp_path / "second.py"
    first.write_text("from keras.applications import Tiny\n\nmodel = Tiny(units=3)\n")
    second.write_text("# the same call in another file\n" + first.read_text())
    replayed = []
    real = factory_cache.replay

    def replay(*args):
        result = real(*args)
        replayed.append(result is not None)
        return result

    def params(path):
        return checked(path, python).files[0].models[0].total_params

    factory_cache.replay = replay
    try:
        assert params(first) == (8 * 3 + 3) + (3 * 2 + 2)  # evaluated, and the call kept
        assert params(second) == (8 * 3 + 3) + (3 * 2 + 2) and replayed[2] is True  # rebuilt
    finally:
        factory_cache.replay = real
    if edited == "factory":
        edited_in_place(site / "keras" / "src" / "applications" / "tiny.py", "Dense(2,", "Dense(5,")
    else:
        edited_in_place(site / "keras" / "applications" / "__init__.py", "tiny import", "tinz import")
    assert params(second) == (8 * 3 + 3) + (3 * 5 + 5)


def test_what_keras_defines_is_read_again_when_its_source_is_edited_in_place(tmp_path, cache, environment):
    """hasattr() on a layer is False for a name Keras's source defines nowhere: a kept report depends on that."""
    python, site = environment
    path = tmp_path / "model.py"
    path.write_text("import keras\n\nlayer = keras.layers.Dense(3)\nunits = 5 if hasattr(layer, 'frob') else 4\n"
                    "model = keras.Sequential([keras.Input(shape=(8,)), keras.layers.Dense(units)])\n")

    def model():
        return checked(path, python).files[0].models[0]

    assert (model().total_params, model().complete) == (8 * 4 + 4, True)
    edited_in_place(site / "keras" / "src" / "layer.py", "def build", "def frob ")
    # Whether a layer has `frob` is no longer known statically: Dense(units) on 8 features, 8 * units + units.
    assert str(model().total_params) == "9 * units"


def test_an_entry_larger_than_any_archlint_writes_is_a_miss_not_read(tmp_path, cache, monkeypatch):
    """A crafted entry of gigabytes (a committed .archlint_cache/) is not read into memory: a miss, written over."""
    import tracemalloc

    path = tmp_path / "model.py"
    path.write_text("import keras\nm = keras.Sequential([keras.Input(shape=(4,)), keras.layers.Dense(2)])\n")
    expected = archlint.check_paths([str(path)], jobs=1)
    [entry] = entries(cache)
    os.truncate(entry, 4 * disk_cache.MAX_ENTRY_BYTES)  # sparse: costs no disk
    tracemalloc.start()
    try:
        assert archlint.check_paths([str(path)], jobs=1) == expected
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < disk_cache.MAX_ENTRY_BYTES
    assert entry.stat().st_size < 2**20  # written anew
    no_analysis(monkeypatch)
    assert archlint.check_paths([str(path)], jobs=1) == expected


def test_a_value_larger_than_the_cap_is_not_written(cache, monkeypatch):
    monkeypatch.setattr(disk_cache, "MAX_ENTRY_BYTES", 1000)
    RESULTS.store("file", ["large"], "x" * 1000)
    RESULTS.store("file", ["small"], "x" * 100)
    assert RESULTS.load("file", ["large"]) is None and RESULTS.load("file", ["small"]) == "x" * 100
    assert len(entries(cache)) == 1


SMALL = "import keras\nm = keras.Sequential([keras.Input(shape=(4,)), keras.layers.Dense(2)])\n"


def clean(*options):
    return CliRunner().invoke(main, ["clean", *options])


def test_clean_removes_the_cache_folder_check_wrote(tmp_path, cache, monkeypatch):
    path = tmp_path / "model.py"
    path.write_text(SMALL)
    from archlint.evaluate import library_cache
    archlint.check_paths([str(path)], jobs=1)
    library_cache.store("reexports", ["a library file"], [{}, True])
    assert sorted(p.name for p in cache.iterdir()) == [".gitignore", "CACHEDIR.TAG", "libraries", "results"]
    result = clean()  # ARCHLINT_CACHE_DIR names it, as for check
    assert result.exit_code == 0, result.output
    assert not cache.exists() and str(cache) in result.output
    result = clean()
    assert result.exit_code == 0 and not cache.exists()  # nothing to remove


def test_clean_finds_the_folder_as_check_does(tmp_path, cache, monkeypatch):
    project = tmp_path / "project"
    (project / "src").mkdir(parents=True)
    (project / "src" / "model.py").write_text(SMALL)
    monkeypatch.delenv("ARCHLINT_CACHE_DIR")
    monkeypatch.chdir(project)
    assert CliRunner().invoke(main, ["check", "src"]).exit_code == 0
    assert (project / ".archlint_cache" / "CACHEDIR.TAG").exists()
    assert clean().exit_code == 0 and not (project / ".archlint_cache").exists()

    (project / "pyproject.toml").write_text('[tool.archlint]\ncache-dir = "build/lint-cache"\n')
    assert CliRunner().invoke(main, ["check", "src"]).exit_code == 0
    assert (project / "build" / "lint-cache" / "results").is_dir()
    monkeypatch.chdir(project / "src")  # the settings file is found above, and its path is relative to it
    assert clean().exit_code == 0
    assert sorted(p.name for p in (project / "build").iterdir()) == []

    assert CliRunner().invoke(main, ["check", "--cache-dir", str(tmp_path / "elsewhere"), "model.py"]).exit_code == 0
    assert clean("--cache-dir", str(tmp_path / "elsewhere")).exit_code == 0
    assert not (tmp_path / "elsewhere").exists()


@pytest.mark.parametrize("folder", ["no tag", "another tool's tag", "a tag that is a symlink", "a symlink",
                                    "a file"])
def test_clean_refuses_a_folder_archlint_did_not_make(tmp_path, cache, folder):
    target = tmp_path / "precious"
    target.mkdir()
    (target / "data.txt").write_text("keep me\n")
    tag = disk_cache.CACHEDIR_TAG
    if folder == "another tool's tag":
        (target / "CACHEDIR.TAG").write_text(tag.replace("archlint", "othertool"))
    elif folder == "a tag that is a symlink":
        real = tmp_path / "real-tag"
        real.write_text(tag)
        (target / "CACHEDIR.TAG").symlink_to(real)
    elif folder == "a symlink":  # even to a folder archlint made
        made = tmp_path / "made"
        made.mkdir()
        (made / "CACHEDIR.TAG").write_text(tag)
        target = tmp_path / "link"
        target.symlink_to(made)
    elif folder == "a file":
        target = tmp_path / "precious" / "data.txt"
    before = sorted(p for p in tmp_path.rglob("*"))
    result = clean("--cache-dir", str(target))
    assert result.exit_code == 2
    assert result.output.startswith("archlint: ") and len(result.output.strip().splitlines()) == 1, result.output
    assert sorted(p for p in tmp_path.rglob("*")) == before


def test_clean_removes_only_what_archlint_wrote(tmp_path, cache):
    """A cache folder set to a folder that holds other files too (cache-dir = "build"): archlint's tag, .gitignore
    and entries go, the rest stays, and nothing behind a symbolic link inside is touched."""
    path = tmp_path / "model.py"
    path.write_text(SMALL)
    archlint.check_paths([str(path)], jobs=1)
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "file-0123456789abcdef0123456789abcdef.json").write_text("not the cache's\n")
    (cache / "mine.txt").write_text("keep me\n")
    (cache / "results" / "notes.txt").write_text("keep me\n")
    (cache / "linked").symlink_to(outside)
    result = clean()
    assert result.exit_code == 0, result.output
    assert sorted(str(p.relative_to(cache)) for p in cache.rglob("*")) == \
        ["CACHEDIR.TAG", "linked", "mine.txt", "results", "results/notes.txt"]
    assert (outside / "file-0123456789abcdef0123456789abcdef.json").exists()


def test_keras_source_is_walked_once_per_analysis_however_often_hasattr_asks(tmp_path, monkeypatch):
    """Walking Keras's source for its files' stat keys takes milliseconds: an analysis asking in a loop, inside the
    results cache's recording or not (the library API, the IPython magic), walks it once."""
    from archlint.analysis import analyze_source
    from archlint.evaluate import reads

    walks = []
    real = reads.tree_key
    monkeypatch.setattr(reads, "tree_key", lambda folder: walks.append(folder) or real(folder))
    source = ("import keras\n\nlayer = keras.layers.Dense(3)\nfound = [hasattr(layer, 'frob') for i in range(50)]\n"
              "model = keras.Sequential([keras.Input(shape=(8,)), keras.layers.Dense(2 + sum(found))])\n")
    report = analyze_source(source, str(tmp_path / "model.py"))
    assert report.models[0].total_params == 8 * 2 + 2
    assert len(walks) == 1
