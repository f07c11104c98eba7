"""Models user code takes from installed libraries, read statically from the libraries' own source.

Model packages (keras_hub, k3im) are test extras: a test needing one skips when it is not installed. The
expected results are what real Keras built (fixtures/libraries/*.keras.json, tests/data/*.json), recorded once.
"""

import json
import os
import pathlib
import sys
import textwrap

import pytest

from archlint.analysis import analyze_file, analyze_source
from archlint.evaluate import project_modules
from tests.fixture_compare import mismatches

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
