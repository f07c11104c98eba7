"""Models user code takes from installed libraries, read statically from the libraries' own source.

Model packages (keras_hub, k3im) are test extras: a test needing one skips when it is not installed. The
expected results are what real Keras built (fixtures/libraries/*.keras.json, tests/data/*.json), recorded once.
"""

import json
import os
import pathlib
import sys
import textwrap
import time

import pytest

from archlint.analysis import analyze_file, analyze_source
from archlint.evaluate import project_modules
from tests.fixture_compare import mismatches
from tests.record_application_heads import application_head
from tests.test_applications import EXPECTED_TOTALS

FIXTURES = pathlib.Path(__file__).resolve().parent.parent / "fixtures" / "libraries"
# The package each library fixture reads, by the fixture's name prefix.
FIXTURE_PACKAGES = {"k3im": "k3im", "keras_hub": "keras_hub"}


def installed(package: str) -> bool:
    return project_modules.library_root(package) is not None


@pytest.mark.parametrize("path", sorted(FIXTURES.glob("*.py")), ids=lambda p: p.stem)
def test_library_fixture_matches_keras(path):
    package = next(p for prefix, p in FIXTURE_PACKAGES.items() if path.stem.startswith(prefix))
    if not installed(package):
        pytest.skip(f"{package} is not installed (pip install -e .[test])")
    truth = json.loads(path.with_suffix(".keras.json").read_text())
    report = analyze_file(str(path))
    assert mismatches(report, truth, path.stem) == []
    assert all(model.complete for model in report.models)
    assert [d for d in report.diagnostics if d.code == "AL301"] == []


def _models(source: str, tmp_path, name="user.py"):
    path = tmp_path / name
    path.write_text(textwrap.dedent(source))
    return analyze_file(str(path))


def test_a_package_that_is_not_installed_is_one_al301_naming_it(tmp_path):
    report = _models("""
        import keras
        from archlint_absent_models import Encoder, Decoder

        inputs = keras.Input((16, 3))
        x = Encoder(units=8)(inputs)
        x = Decoder(units=8)(x)
        model = keras.Model(inputs, keras.layers.Dense(1)(x))
    """, tmp_path)
    al301 = [d for d in report.diagnostics if d.code == "AL301"]
    assert len(al301) == 1, al301
    message = al301[0].message
    assert "archlint_absent_models is not installed" in message
    assert "pip install archlint_absent_models" in message and "--python" in message
    assert "additional_dependencies" in message
    assert not report.models[0].complete


def test_from_preset_is_said_not_guessed(tmp_path):
    report = _models("""
        import keras
        import keras_hub

        backbone = keras_hub.models.BertBackbone.from_preset("bert_base_en_uncased")
        model = keras.Sequential([backbone, keras.layers.Dense(2)])
    """, tmp_path)
    al301 = [d for d in report.diagnostics if d.code == "AL301"]
    assert len(al301) == 1 and "BertBackbone" in al301[0].message and al301[0].line == 5, al301
    assert all(not model.complete for model in report.models)


def _fake_environment(root: pathlib.Path, requires: str) -> pathlib.Path:
    """A virtual environment on disk holding one package, `tinymodels`, whose distribution requires `requires`;
    its interpreter cannot run, so archlint finds its site-packages from pyvenv.cfg."""
    root.mkdir(parents=True)
    (root / "pyvenv.cfg").write_text("home = /nowhere\n")
    site = root / "lib" / "python3.11" / "site-packages"
    package = site / "tinymodels"
    package.mkdir(parents=True)
    marker = root / "imported"
    # Reading a library never runs it: this __init__ would leave a file behind if it were executed.
    (package / "__init__.py").write_text(f"open({str(marker)!r}, 'w').write('ran')\nfrom .blocks import Tiny\n")
    (package / "blocks.py").write_text(textwrap.dedent("""
        import keras

        def Tiny(units=4, input_shape=(8,)):
            inputs = keras.Input(input_shape)
            x = keras.layers.Dense(units, activation="relu")(inputs)
            return keras.Model(inputs, keras.layers.Dense(1)(x), name="tiny")
    """))
    meta = site / "tinymodels-1.0.dist-info"
    meta.mkdir()
    (meta / "METADATA").write_text(f"Metadata-Version: 2.1\nName: tinymodels\nVersion: 1.0\nRequires-Dist: {requires}\n")
    (meta / "top_level.txt").write_text("tinymodels\n")
    bin_dir = root / "bin"
    bin_dir.mkdir()
    (bin_dir / "python").write_text("not an interpreter\n")
    return bin_dir / "python"


@pytest.fixture
def other_python():
    yield project_modules.use_python
    project_modules.use_python(None)


def test_python_option_reads_another_environments_packages_without_running_them(tmp_path, other_python):
    python = _fake_environment(tmp_path / "env", "keras>=3")
    other_python(str(python))
    report = _models("""
        import tinymodels
        from tinymodels.blocks import Tiny

        model = tinymodels.Tiny(units=6, input_shape=(10,))
        other = Tiny()
    """, tmp_path)
    models = {m.symbol: m for m in report.models}
    # Dense(6) on 10 features, then Dense(1): (10*6 + 6) + (6*1 + 1); the defaults: (8*4 + 4) + (4 + 1).
    assert (models["model"].total_params, models["model"].complete) == (66 + 7, True)
    assert (models["other"].total_params, models["other"].complete) == (36 + 5, True)
    assert not (tmp_path / "env" / "imported").exists()


def test_a_package_that_does_not_require_keras_is_not_read(tmp_path, other_python):
    python = _fake_environment(tmp_path / "env", "requests")
    other_python(str(python))
    report = _models("""
        from tinymodels.blocks import Tiny

        model = Tiny()
    """, tmp_path)
    assert not report.models or not report.models[0].complete


def test_python_that_is_no_environment_is_an_error(tmp_path):
    with pytest.raises(project_modules.PythonEnvironmentError):
        project_modules.use_python(str(tmp_path / "missing" / "python"))
    project_modules.use_python(None)


def test_the_running_interpreter_is_asked_for_its_path():
    assert os.path.realpath(os.path.dirname(os.__file__)) in project_modules.search_path(sys.executable)


APPLICATION_HEADS = json.loads((pathlib.Path(__file__).parent / "data" / "application_heads.json").read_text())
FACTORY_MODULES = {factory: module for module, names in EXPECTED_TOTALS.items() for factory in names}


@pytest.mark.parametrize("factory", sorted(APPLICATION_HEADS))
def test_every_application_under_a_new_head_matches_keras(factory, tmp_path):
    """A keras.applications base (weights=None, include_top=False, pooling="avg") as a Sequential's first layer,
    under a new Dense head: the rows, totals and trainable count real Keras recorded
    (tests/record_application_heads.py)."""
    if project_modules.installed_keras() is None:
        pytest.skip("keras is not installed")
    truth = APPLICATION_HEADS[factory]
    report = _models(application_head(FACTORY_MODULES[factory], factory), tmp_path)
    model = {m.symbol: m for m in report.models}["model"]
    got = [(row.name, row.type, _listed(row.output_shape), row.params) for row in model.layers if row.type != "InputLayer"]
    want = [(row["name"], row["type"], row["output_shape"], row["params"]) for row in truth["layers"]]
    assert got == want
    assert (model.total_params, model.trainable_params, model.complete) == (truth["total"], truth["trainable"], True)
    assert [d for d in report.diagnostics if d.severity != "info"] == []


def _listed(shape):
    return None if shape is None else list(shape)


@pytest.fixture
def cache_dirs(tmp_path, monkeypatch):
    monkeypatch.setenv("ARCHLINT_CACHE_DIR", str(tmp_path / "project-cache"))
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "user-cache"))
    from archlint import disk_cache
    from archlint.evaluate import library_cache
    disk_cache._signing_key.cache_clear()
    project_modules._read_reexports.cache_clear()
    yield tmp_path / "project-cache" / library_cache.LIBRARIES.name
    disk_cache._signing_key.cache_clear()
    project_modules._read_reexports.cache_clear()


def _reexports(path: str):
    from archlint.evaluate import reads
    return project_modules._read_reexports(path, reads.stat_key(path))


def test_library_cache_holds_plain_json_and_ignores_a_forged_entry(tmp_path, cache_dirs):
    module = tmp_path / "api.py"
    module.write_text('"""Public API."""\nfrom pkg.src.blocks import Stem as Stem\nfrom pkg.src.heads import Head\n')
    expected = ({"Stem": ("pkg.src.blocks", "Stem"), "Head": ("pkg.src.heads", "Head")}, True)
    assert _reexports(str(module)) == expected
    [entry] = list(cache_dirs.iterdir())
    signature, body = entry.read_text().split("\n", 1)
    stored = json.loads(body)  # a signature, then plain JSON: nothing in it is run when read
    assert stored["value"] == [{"Stem": ["pkg.src.blocks", "Stem"], "Head": ["pkg.src.heads", "Head"]}, True]

    project_modules._read_reexports.cache_clear()
    assert _reexports(str(module)) == expected  # read back from the disk

    # An entry changed by anyone but this user's archlint (or brought by a checkout) is not believed.
    stored["value"][0]["Stem"] = ["os", "system"]
    entry.write_text(signature + "\n" + json.dumps(stored))
    project_modules._read_reexports.cache_clear()
    assert _reexports(str(module)) == expected

    # A new version of the file is a new key: the old entry is not used for it.
    module.write_text('from pkg.src.blocks import Stem as Stem\nx = 1\n')
    project_modules._read_reexports.cache_clear()
    assert _reexports(str(module)) == ({"Stem": ("pkg.src.blocks", "Stem")}, False)


def _rewritten_with_its_size_and_time(path, old: str, new: str) -> None:
    stat = path.stat()
    time.sleep(0.05)  # past the resolution of the file system's change time
    path.write_text(path.read_text().replace(old, new))
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns))
    assert path.stat().st_size == stat.st_size


def test_library_files_rewritten_with_their_size_and_time_are_read_afresh(tmp_path, cache_dirs):
    """Each library cache tells such a file by its content or its change time and inode, in the same process and
    in the next one (the in-memory caches emptied: the disk entry is not used for the new content)."""
    from archlint.evaluate import reads

    module = tmp_path / "api.py"
    module.write_text("from pkg.src.blocks import Stem as Stem\n")
    assert _reexports(str(module)) == ({"Stem": ("pkg.src.blocks", "Stem")}, True)
    _rewritten_with_its_size_and_time(module, "blocks", "heads_")
    assert _reexports(str(module)) == ({"Stem": ("pkg.src.heads_", "Stem")}, True)
    project_modules._read_reexports.cache_clear()
    assert _reexports(str(module)) == ({"Stem": ("pkg.src.heads_", "Stem")}, True)

    source = tmp_path / "keras" / "src"
    source.mkdir(parents=True)
    (source / "layer.py").write_text("class Layer:\n    def frob(self):\n        pass\n")

    def defines(name):
        return name in project_modules._keras_definitions(str(source), tuple(reads.tree(str(source))))

    assert defines("frob") and not defines("frab")
    _rewritten_with_its_size_and_time(source / "layer.py", "frob", "frab")
    assert defines("frab") and not defines("frob")
    project_modules._keras_definitions.cache_clear()
    assert defines("frab") and not defines("frob")


def test_expand_nested_lists_a_library_model_under_its_row_in_every_format():
    """--expand-nested: the base's own layers, as Keras built them (the fixture's recorded `base`), under its row."""
    from click.testing import CliRunner

    from archlint.cli import main

    path = pathlib.Path(__file__).parent.parent / "fixtures" / "models" / "transfer_fine_tune_top.py"
    truth = json.loads(path.with_suffix(".keras.json").read_text())["models"]
    base_rows = [(row["name"], row["params"]) for row in truth["base"]["layers"]]
    runner = CliRunner()

    plain = runner.invoke(main, ["check", "--format", "json", str(path)])
    document = json.loads(runner.invoke(main, ["check", "--format", "json", "--expand-nested", str(path)]).output)
    model = {m["symbol"]: m for m in document["files"][0]["models"]}["model"]
    [base_row] = [row for row in model["layers"] if "nested" in row]
    assert [(row["name"], row["params"]) for row in base_row["nested"]["layers"]] == base_rows
    assert "nested" not in plain.output

    text = runner.invoke(main, ["check", "--expand-nested", "--color", "never", str(path)]).output
    listed = [line.split("└ ", 1)[1].split(" (")[0] for line in text.splitlines() if "└ " in line]
    # Each of the base's layers once, under the fine-tuned model's row (the base's own table nests no model).
    assert listed == [name for name, _ in base_rows]

    markdown = runner.invoke(main, ["check", "--format", "markdown", "--expand-nested", str(path)]).output
    assert [line.split("`")[1] for line in markdown.splitlines() if line.startswith("| └ ")] == \
        [name for name, _ in base_rows]


def test_a_library_read_again_in_the_same_process_gives_the_same_result():
    """Library modules parsed once per process are shared by the files after: the second report is the first's."""
    path = pathlib.Path(__file__).parent.parent / "fixtures" / "models" / "transfer_fine_tune_top.py"
    first, second = analyze_file(str(path)), analyze_file(str(path))
    assert [(m.symbol, m.total_params, m.trainable_params, m.complete, [(r.name, r.output_shape, r.params)
                                                                         for r in m.layers]) for m in first.models] == \
        [(m.symbol, m.total_params, m.trainable_params, m.complete, [(r.name, r.output_shape, r.params)
                                                                     for r in m.layers]) for m in second.models]
    assert [d.message for d in first.diagnostics] == [d.message for d in second.diagnostics]


def test_a_library_refusing_the_files_arguments_is_an_error_with_its_message(tmp_path):
    if not installed("keras_hub"):
        pytest.skip("keras_hub is not installed (pip install -e .[test])")
    report = _models("""
        import keras_hub

        backbone = keras_hub.models.ResNetBackbone(
            input_conv_filters=[16], input_conv_kernel_sizes=[3], stackwise_num_filters=[16, 32],
            stackwise_num_blocks=[1, 1], stackwise_num_strides=[1, 2], block_type="basic_block",
            image_shape=(32, 32, 3))
    """, tmp_path)
    [error] = [d for d in report.diagnostics if d.severity == "error"]
    # What Keras raised on this file: ValueError, at the call in line 4.
    assert error.code == "AL106" and error.line == 4
    assert "The first element of `stackwise_num_filters` must be 64. Received: stackwise_num_filters=[16, 32]" \
        in error.message
