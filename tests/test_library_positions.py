"""Positions of installed libraries' syntax nodes kept in the library cache: what is read back is what libcst
computes for the same file, an edited file or an entry not written by this user's archlint is computed afresh,
and reports are the same byte for byte whether the positions came from the cache or not."""

import json
import os
import pathlib
import shutil
import textwrap

import libcst as cst
import pytest
from click.testing import CliRunner
from libcst.metadata import PositionProvider

from archlint.evaluate import interpreter, library_positions, project_modules
from archlint.evaluate.source import parse

FIXTURES = pathlib.Path(__file__).resolve().parent.parent / "fixtures"
# Code whose nodes libcst places with care: decorators, comments, parenthesised and continued lines, strings over lines.
AWKWARD = textwrap.dedent('''\
    """A module."""
    import keras  # a comment


    @keras.saving.register_keras_serializable(
        package="p")
    class Block(keras.layers.Layer):
        def call(self, x):
            y = (x
                 + 1) * \\
                2
            return [f(a, *b, k=(c)) for a in "x" if not (a)]

    doc = """two
    lines"""; z = lambda q: q
''')


@pytest.fixture
def cache_folder(own_cache_folders):
    return own_cache_folders / "libraries"


def _libcst_positions(module):
    return cst.MetadataWrapper(module, unsafe_skip_copy=True).resolve(PositionProvider)


def _read(path):
    """The file's tree, and its positions as library_positions gives them."""
    module = parse(pathlib.Path(path).read_bytes())
    return module, library_positions.positions(str(path), module)


def _assert_as_libcst_computes(module, positions):
    expected = _libcst_positions(module)
    nodes = library_positions._walk(module)
    assert len(nodes) > 10
    assert [positions.get(node) for node in nodes] == [expected.get(node) for node in nodes]


def _library_files():
    files = []
    keras = project_modules.installed_keras()
    if keras is not None:
        files.append(pathlib.Path(keras) / "src" / "applications" / "resnet.py")
    if project_modules.library_root("keras_hub") is not None:
        root = pathlib.Path(project_modules.library_root("keras_hub")) / "keras_hub" / "src"
        files += [root / "models" / "bert" / "bert_backbone.py",
                  root / "layers" / "modeling" / "transformer_encoder.py"]
    return files


def test_positions_read_back_are_those_libcst_computes_for_every_node(tmp_path, cache_folder):
    awkward = tmp_path / "awkward.py"
    awkward.write_text(AWKWARD)
    for path in [awkward, *_library_files()]:
        module, computed = _read(path)
        assert not isinstance(computed, library_positions.NodePositions)  # the first reading computes them
        module, stored = _read(path)  # a new tree of the same file, as the next run parses it
        assert isinstance(stored, library_positions.NodePositions), path
        _assert_as_libcst_computes(module, stored)
    # The cache holds numbers only: reading an entry runs nothing.
    for entry in cache_folder.glob("positions-*.json"):
        value = json.loads(entry.read_text().split("\n", 1)[1])["value"]
        assert all(type(number) is int for number in value)


def test_an_edited_or_touched_library_file_is_read_afresh(tmp_path, cache_folder):
    path = tmp_path / "awkward.py"
    path.write_text(AWKWARD)
    _read(path)
    path.write_text("# one line more\n" + AWKWARD)  # every node a line further down
    module, positions = _read(path)
    assert not isinstance(positions, library_positions.NodePositions)
    _assert_as_libcst_computes(module, positions)
    assert isinstance(_read(path)[1], library_positions.NodePositions)

    stat = path.stat()
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000_000))  # the same size, another time
    assert not isinstance(_read(path)[1], library_positions.NodePositions)


def test_a_garbled_forged_or_mismatched_entry_is_not_believed(tmp_path, cache_folder):
    path = tmp_path / "awkward.py"
    path.write_text(AWKWARD)
    _read(path)
    [entry] = list(cache_folder.glob("positions-*.json"))
    signature, body = entry.read_text().split("\n", 1)

    entry.write_text(signature + "\n" + body[:len(body) // 2])  # cut short
    module, positions = _read(path)
    assert not isinstance(positions, library_positions.NodePositions)
    _assert_as_libcst_computes(module, positions)

    stored = json.loads(body)
    stored["value"] = [number + 1 for number in stored["value"]]  # every node moved, without this user's key
    entry.write_text(signature + "\n" + json.dumps(stored, separators=(",", ":")))
    module, positions = _read(path)
    assert not isinstance(positions, library_positions.NodePositions)
    _assert_as_libcst_computes(module, positions)

    # Signed by this user's archlint but for a tree of another size (another libcst's walk): computed afresh.
    from archlint.evaluate import library_cache
    key = json.loads(entry.read_text().split("\n", 1)[1])["key"]
    library_cache.store("positions", key, [1, 0, 1, 1] * 3)
    module, positions = _read(path)
    assert not isinstance(positions, library_positions.NodePositions)
    _assert_as_libcst_computes(module, positions)


APPLICATION_USER = textwrap.dedent("""\
    import keras
    from keras.applications import ResNet50, MobileNetV2
    from keras.applications.resnet import preprocess_input

    def build(classes):
        base = ResNet50(include_top=False, weights=None, input_shape=(64, 64, 3))
        base.trainable = False
        x = keras.layers.GlobalAveragePooling2D()(base.output)
        return keras.Model(base.input, keras.layers.Dense(classes)(x))

    model = build(10)
    head = keras.Sequential([MobileNetV2(weights=None, include_top=False, input_shape=(32, 32, 3)),
                             keras.layers.Flatten(), keras.layers.Dense(2)])
    x = preprocess_input(keras.Input((4, 4, 0)))
""")


def _reports(path, runs=2):
    """The json and text reports (--expand-nested) of `path`, from each of `runs` runs with nothing kept in memory
    and no report kept in the results cache."""
    from archlint.cli import main

    runner, reports = CliRunner(), []
    for _ in range(runs):
        outputs = []
        for output_format in ("json", "text"):
            interpreter._LIBRARY_MODULES.clear()
            # A budget no run reaches: a busy machine must not cut one run short and not the other.
            result = runner.invoke(main, ["check", "--exit-zero", "--color", "never", "--expand-nested", "--no-cache",
                                          "--max-analysis-seconds", "600", "--format", output_format, str(path)])
            assert result.exit_code == 0, result.output
            outputs.append(result.output)
        reports.append(outputs)
    return reports


def test_reports_are_the_same_with_positions_from_the_cache(tmp_path, cache_folder):
    if project_modules.installed_keras() is None:
        pytest.skip("keras is not installed")
    user = tmp_path / "user.py"
    user.write_text(APPLICATION_USER)
    computed, stored = _reports(user)
    assert any(isinstance(kept[2], library_positions.NodePositions) for kept in interpreter._LIBRARY_MODULES.values())
    assert stored == computed
    assert "of resnet.py" in computed[0]  # the layers' chains name lines of the library's own code


def test_library_fixture_reports_are_the_same_with_positions_from_the_cache(tmp_path, cache_folder):
    if project_modules.library_root("keras_hub") is None:
        pytest.skip("keras_hub is not installed")
    user = tmp_path / "keras_hub_bert.py"
    shutil.copy(FIXTURES / "libraries" / "keras_hub_bert.py", user)
    computed, stored = _reports(user)
    assert stored == computed


def test_an_entry_written_by_other_archlint_code_is_computed_afresh(tmp_path, cache_folder, monkeypatch):
    """How the numbers are laid out is archlint's code (the walk's order): every library cache entry is keyed on the
    fingerprint of that code, as the results and factory caches are."""
    from archlint import disk_cache

    path = tmp_path / "awkward.py"
    path.write_text(AWKWARD)
    _read(path)
    assert isinstance(_read(path)[1], library_positions.NodePositions)
    monkeypatch.setattr(disk_cache, "_fingerprint", "archlint as changed")
    assert not isinstance(_read(path)[1], library_positions.NodePositions)
    assert isinstance(_read(path)[1], library_positions.NodePositions)
    assert len(list(cache_folder.glob("positions-*.json"))) == 1  # written over, not beside
