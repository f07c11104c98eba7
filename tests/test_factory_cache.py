"""Keras Applications factory calls kept in the library cache: the reports are the same byte for byte whether
the model was evaluated from Keras's source or rebuilt from the cache, whatever the checked code does with it
next; an edited library file, or an entry not written by this user's archlint, is evaluated afresh."""

import json
import os
import pathlib
import textwrap
import time

import pytest
from click.testing import CliRunner

from archlint.cli import main
from archlint.evaluate import factory_cache, interpreter, library_cache, project_modules

FIXTURES = pathlib.Path(__file__).resolve().parent.parent / "fixtures"


@pytest.fixture
def cache(own_cache_folders, monkeypatch):
    """A cache folder of the test's own; the calls replayed from it, as a list of what each replay gave."""
    replayed = []
    replay = factory_cache.replay

    def counted(*args, **kwargs):
        result = replay(*args, **kwargs)
        replayed.append(result is not None)
        return result

    monkeypatch.setattr(factory_cache, "replay", counted)
    return replayed


def _reports(path, *options, results_cache=False) -> list[str]:
    """The json and text reports of `path` (with --expand-nested), one analysis each (no report kept in the
    results cache, unless `results_cache`), nothing kept in memory from earlier runs."""
    reports = []
    for output_format in ("json", "text"):
        interpreter._LIBRARY_MODULES.clear()
        # A budget no run reaches: a busy machine must not cut one run short and not the other.
        result = CliRunner().invoke(main, ["check", "--exit-zero", "--color", "never", "--expand-nested",
                                           "--max-analysis-seconds", "600", "--format", output_format, *options,
                                           *([] if results_cache else ["--no-cache"]), str(path)])
        assert result.exit_code == 0, result.output
        reports.append(result.output)
    return reports


def _evaluated(path, monkeypatch, *options) -> list[str]:
    """The reports with every factory call evaluated from Keras's source (the cache left out)."""
    with monkeypatch.context() as patch:
        patch.setattr(factory_cache, "key", lambda *args: None)
        return _reports(path, *options)


def _assert_same_from_the_cache(path, cache, monkeypatch, *options, every=True):
    """The reports with the cache are the evaluated ones: in the run that keeps the calls and in the next one,
    which rebuilds them (`every` call, else some: one on named sizes is evaluated every time)."""
    evaluated = _evaluated(path, monkeypatch, *options)
    assert _reports(path, *options) == evaluated
    cache.clear()
    assert _reports(path, *options) == evaluated
    assert all(cache) if every else any(cache), cache


# What user code does with a library model after the call: a new head on a frozen base, one of its layers, the
# base on another input shape, a second base, the base inside a Sequential, and a library helper on a tensor.
USER_CODE = textwrap.dedent("""\
    import keras
    from keras import layers
    from keras.applications import ResNet50, MobileNetV2
    from keras.applications.resnet import preprocess_input

    def build(classes):
        base = ResNet50(include_top=False, weights=None, input_shape=(64, 64, 3))
        base.trainable = False
        base.get_layer("conv5_block3_out").trainable = True
        base.layers[-2].trainable = True
        x = layers.GlobalAveragePooling2D()(base.output)
        return keras.Model(base.input, layers.Dense(classes)(x))

    model = build(10)
    other = ResNet50(include_top=False, weights=None, input_shape=(None, None, 3), pooling="avg")
    bigger = other(keras.Input((96, 96, 3)))
    head = keras.Sequential([MobileNetV2(weights=None, include_top=False, input_shape=(32, 32, 3)),
                             layers.Flatten(), layers.Dense(2)])
    x = preprocess_input(keras.Input((4, 4, 0)))
""")


def _keras_installed():
    if project_modules.installed_keras() is None:
        pytest.skip("keras is not installed")


def test_reports_from_the_cache_are_the_evaluated_ones(tmp_path, cache, monkeypatch):
    _keras_installed()
    path = tmp_path / "user.py"
    path.write_text(USER_CODE)
    _assert_same_from_the_cache(path, cache, monkeypatch, every=False)
    assert "of resnet.py" in _reports(path)[0]  # the rebuilt layers name the library's lines they came from


def test_verify_runs_a_model_rebuilt_from_the_cache(tmp_path, cache, monkeypatch):
    _keras_installed()
    path = tmp_path / "small.py"
    path.write_text("import keras\n\nmodel = keras.applications.MobileNet(alpha=0.25, weights=None, "
                    "input_shape=(32, 32, 3), classes=3)\n")
    _assert_same_from_the_cache(path, cache, monkeypatch, "--verify")


@pytest.mark.parametrize("name", ["ResNet50", "VGG16", "MobileNetV2", "DenseNet121", "Xception", "EfficientNetB0"])
def test_application_fixtures_from_the_cache(name, cache, monkeypatch):
    _keras_installed()
    _assert_same_from_the_cache(FIXTURES / "applications" / f"{name}.py", cache, monkeypatch)


def test_calls_in_a_loop_and_calls_the_entry_cannot_say_are_evaluated(tmp_path, cache, monkeypatch):
    """A second call of one factory finds its module read; a tensor argument is no plain data; a call at a line
    with findings already: each is evaluated, and the report stays the evaluated one."""
    _keras_installed()
    path = tmp_path / "loop.py"
    path.write_text(textwrap.dedent("""\
        import keras
        from keras.applications import VGG16

        models = [VGG16(weights=None, include_top=False, input_shape=(32, 32, 3)) for _ in range(2)]
        inputs = keras.Input((48, 48, 3))
        on_tensor = VGG16(weights=None, include_top=False, input_tensor=inputs)
        first = models[0]
    """))
    evaluated = _evaluated(path, monkeypatch)
    for _ in range(3):
        assert _reports(path) == evaluated


# A Keras of the test's own, with one application: its file can be edited.
TINY_APPLICATION = textwrap.dedent("""\
    from keras.src import layers
    from keras.src.api_export import keras_export
    from keras.src.models import Functional


    @keras_export("keras.applications.Tiny")
    def Tiny(units=4, input_shape=(8,), name="tiny"):
        inputs = layers.Input(shape=input_shape)
        x = layers.Dense(units, name="dense_a")(inputs)
        x = layers.Dense(2, name="dense_b")(x)
        return Functional(inputs, x, name=name)
""")


@pytest.fixture
def tiny_keras(tmp_path, monkeypatch):
    keras = tmp_path / "site" / "keras"
    for folder in (keras / "src" / "applications", keras / "applications"):
        folder.mkdir(parents=True)
    for package in (keras, keras / "src", keras / "src" / "applications"):
        (package / "__init__.py").write_text("")
    (keras / "applications" / "__init__.py").write_text("from keras.src.applications.tiny import Tiny as Tiny\n")
    application = keras / "src" / "applications" / "tiny.py"
    application.write_text(TINY_APPLICATION)
    monkeypatch.setattr(project_modules, "installed_keras", lambda: str(keras))
    user = tmp_path / "user.py"
    user.write_text("from keras.applications import Tiny\n\nmodel = Tiny(units=3)\n")
    return application, user


def _params(report: str) -> int:
    return json.loads(report)["files"][0]["models"][0]["total_params"]


def test_an_edited_or_touched_library_file_is_evaluated_afresh(tiny_keras, cache, monkeypatch):
    application, user = tiny_keras
    evaluated = _evaluated(user, monkeypatch)
    assert _params(evaluated[0]) == (8 * 3 + 3) + (3 * 2 + 2)
    assert _reports(user) == evaluated
    cache.clear()
    assert _reports(user) == evaluated and all(cache)

    application.write_text(TINY_APPLICATION.replace("layers.Dense(2,", "layers.Dense(5,"))
    cache.clear()
    edited = _reports(user)
    assert cache[0] is False  # evaluated, and kept again for the run after
    assert _params(edited[0]) == (8 * 3 + 3) + (3 * 5 + 5)
    assert edited == _evaluated(user, monkeypatch)

    stat = application.stat()
    os.utime(application, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000_000))  # the same size, another time
    cache.clear()
    assert _reports(user) == edited
    assert cache[0] is False


def test_a_library_file_rewritten_with_its_size_and_time_is_evaluated_afresh(tiny_keras, cache, monkeypatch):
    """A file rewritten within the clock's resolution, or copied with its times kept, has another content under
    the same size and modification time: the entry made from the old content is not used."""
    application, user = tiny_keras
    assert _params(_reports(user)[0]) == (8 * 3 + 3) + (3 * 2 + 2)
    stat = application.stat()
    application.write_text(TINY_APPLICATION.replace("layers.Dense(2,", "layers.Dense(5,"))
    os.utime(application, ns=(stat.st_atime_ns, stat.st_mtime_ns))
    assert application.stat().st_size == stat.st_size
    cache.clear()
    assert _params(_reports(user)[0]) == (8 * 3 + 3) + (3 * 5 + 5)
    assert cache[0] is False


def test_a_call_the_step_budget_would_stop_inside_is_evaluated_and_stops_there(tiny_keras, cache, monkeypatch):
    """Rebuilding a call takes no steps one by one: with fewer steps left than the call took, the rebuilt model
    would be complete where the evaluated call stops inside the factory (AL301, no model)."""
    _, user = tiny_keras
    _reports(user)  # keeps the call
    looping = user.with_name("looping.py")
    looping.write_text("from keras.applications import Tiny\n\nfor i in range(3):\n    pass\nmodel = Tiny(units=3)\n")
    stops_inside = 0
    for budget in range(1, 80):
        monkeypatch.setattr(interpreter, "MAX_STEPS", budget)
        evaluated = _evaluated(looping, monkeypatch)
        cache.clear()
        assert _reports(looping) == evaluated, budget
        stops_inside += "dense_a" not in evaluated[0] and "Tiny()" in evaluated[0]
    assert stops_inside  # some budget ended the evaluation inside the call


def _entry(cache_folder: pathlib.Path) -> pathlib.Path:
    [entry] = list(cache_folder.glob("factory-*.json"))
    return entry


def test_a_garbled_forged_or_foreign_entry_is_not_believed(tmp_path, tiny_keras, cache, monkeypatch):
    _, user = tiny_keras
    evaluated = _evaluated(user, monkeypatch)
    _reports(user)
    folder = tmp_path / "project-cache" / "libraries"
    entry = _entry(folder)
    signature, body = entry.read_text().split("\n", 1)

    entry.write_text(signature + "\n" + body[:len(body) // 2])  # cut short
    cache.clear()
    assert _reports(user) == evaluated and cache[0] is False

    stored = json.loads(body)
    forged = json.dumps(stored, separators=(",", ":")).replace('"units",3', '"units",300')
    assert forged != json.dumps(stored, separators=(",", ":"))
    entry.write_text(signature + "\n" + forged)  # changed without this user's key
    cache.clear()
    assert _reports(user) == evaluated and cache[0] is False

    # Signed with this user's key, but naming a class no entry may make: refused, the call evaluated.
    value = stored["value"]
    value["objects"] = [["object", "os:_wrap_close", []] if item[0] == "object" else item for item in value["objects"]]
    library_cache.store("factory", stored["key"], value)
    cache.clear()
    assert _reports(user) == evaluated and cache[0] is False


def test_only_names_the_file_merely_calls_are_read_when_called():
    import libcst as cst

    module = cst.parse_module(textwrap.dedent("""\
        from keras.applications import ResNet50, VGG16, MobileNet, Xception
        from keras.applications import DenseNet121
        import keras.applications as apps

        a = ResNet50(weights=None)
        b = VGG16(weights=None)
        name = VGG16.__name__          # used as a value: bound to the function itself
        factories = [MobileNet]        # passed around
        def Xception(): pass           # bound again
        from other import DenseNet121  # imported twice
        c = apps.Xception(DenseNet121=1)
    """))
    # `apps` is only ever read for an attribute, never called: it stays bound to what it names.
    assert factory_cache.only_called(module) == {"ResNet50"}


def test_a_report_kept_for_a_rebuilt_call_goes_stale_with_the_library_file(tiny_keras, cache):
    """The results cache keeps a report with the files its analysis read: a call rebuilt from the library cache
    counts as reading the factory's file, so editing that file makes the kept report stale."""
    application, user = tiny_keras
    other = user.with_name("other.py")
    other.write_text("# the same call in another file\n" + user.read_text())
    _reports(user, results_cache=True)  # evaluates, and keeps the call
    cache.clear()
    assert _params(_reports(other, results_cache=True)[0]) == (8 * 3 + 3) + (3 * 2 + 2)
    assert cache == [True]  # rebuilt (the text report came from the results cache)
    application.write_text(TINY_APPLICATION.replace("layers.Dense(2,", "layers.Dense(5,"))
    assert _params(_reports(other, results_cache=True)[0]) == (8 * 3 + 3) + (3 * 5 + 5)


def test_an_entry_made_by_other_archlint_code_is_not_used(tiny_keras, cache, monkeypatch):
    """The entry is keyed on the fingerprint the results cache uses: archlint's package and its rules."""
    from archlint import disk_cache

    _, user = tiny_keras
    evaluated = _reports(user)
    monkeypatch.setattr(disk_cache, "_fingerprint", "archlint as changed")
    cache.clear()
    assert _reports(user) == evaluated and cache[0] is False


def test_the_code_fingerprint_covers_the_rules(tmp_path, monkeypatch):
    import archlint.rules
    from archlint import disk_cache

    rules = tmp_path / "rules"
    rules.mkdir()
    (rules / "__init__.py").write_text("")
    (rules / "al999_rule.py").write_text("THRESHOLD = 1\n")
    monkeypatch.setattr(archlint.rules, "__file__", str(rules / "__init__.py"))
    monkeypatch.setattr(disk_cache, "_fingerprint", None)
    before = disk_cache.code_fingerprint()
    time.sleep(0.05)  # past the resolution of the file system's times
    (rules / "al999_rule.py").write_text("THRESHOLD = 2\n")
    monkeypatch.setattr(disk_cache, "_fingerprint", None)
    assert disk_cache.code_fingerprint() != before


def test_a_call_using_a_module_an_earlier_call_read_goes_stale_with_that_module(tiny_keras, cache, monkeypatch):
    """Tiny2 builds its head with tiny.py's: called after Tiny, its module is the only one the call reads, yet
    tiny.py decides its result too."""
    application, user = tiny_keras
    keras = application.parent.parent.parent
    (keras / "applications" / "__init__.py").write_text("from keras.src.applications.tiny import Tiny as Tiny\n"
                                                       "from keras.src.applications.tiny2 import Tiny2 as Tiny2\n")
    application.write_text(TINY_APPLICATION + "\n\ndef head(x):\n    return layers.Dense(2, name='head')(x)\n")
    (application.parent / "tiny2.py").write_text(textwrap.dedent("""\
        from keras.src import layers
        from keras.src.api_export import keras_export
        from keras.src.applications import tiny
        from keras.src.models import Functional


        @keras_export("keras.applications.Tiny2")
        def Tiny2(units=4, name="tiny2"):
            inputs = layers.Input(shape=(8,), name="tiny2_input")
            return Functional(inputs, tiny.head(layers.Dense(units, name="body")(inputs)), name=name)
    """))
    both = user.with_name("both.py")
    both.write_text("from keras.applications import Tiny, Tiny2\n\na = Tiny(units=3)\nb = Tiny2(units=3)\n")
    second = user.with_name("second.py")
    second.write_text("from keras.applications import Tiny2\n\nb = Tiny2(units=3)\n")
    _reports(both)
    cache.clear()
    _reports(second)
    assert cache == [True, True]  # rebuilt from the call `both` kept
    stat = application.stat()
    time.sleep(0.05)  # past the resolution of the file system's change time
    application.write_text(application.read_text().replace("Dense(2, name='head')", "Dense(5, name='head')"))
    os.utime(application, ns=(stat.st_atime_ns, stat.st_mtime_ns))
    assert _params(_reports(second)[0]) == (8 * 3 + 3) + (3 * 5 + 5)
    assert _reports(second) == _evaluated(second, monkeypatch)
