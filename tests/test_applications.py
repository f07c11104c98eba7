"""The Keras Applications sources shipped in the installed keras wheel, analysed statically.

Every factory's total parameter count must equal what real Keras builds with
weights=None (the figures below were measured with Keras 3); per-layer rows are compared with what Keras builds for
the same user code, recorded in fixtures/applications/ (built live when the installed Keras
is not the one that recorded them).
"""

import importlib.metadata
import importlib.util
import json
import os
import pathlib

import pytest

from archlint.analysis import analyze_file
from tests.fixture_compare import _shape

EXPECTED_TOTALS = {
    "vgg16": {"VGG16": 138_357_544},
    "vgg19": {"VGG19": 143_667_240},
    "resnet": {"ResNet50": 25_636_712, "ResNet101": 44_707_176, "ResNet152": 60_419_944},
    "resnet_v2": {"ResNet50V2": 25_613_800, "ResNet101V2": 44_675_560, "ResNet152V2": 60_380_648},
    "inception_v3": {"InceptionV3": 23_851_784},
    "inception_resnet_v2": {"InceptionResNetV2": 55_873_736},
    "xception": {"Xception": 22_910_480},
    "mobilenet": {"MobileNet": 4_253_864},
    "mobilenet_v2": {"MobileNetV2": 3_538_984},
    "mobilenet_v3": {"MobileNetV3Small": 2_554_968, "MobileNetV3Large": 5_507_432},
    "densenet": {"DenseNet121": 8_062_504, "DenseNet169": 14_307_880, "DenseNet201": 20_242_984},
    "nasnet": {"NASNetMobile": 5_326_716, "NASNetLarge": 88_949_818},
    "efficientnet": {"EfficientNetB0": 5_330_571, "EfficientNetB1": 7_856_239, "EfficientNetB2": 9_177_569,
                     "EfficientNetB3": 12_320_535, "EfficientNetB4": 19_466_823, "EfficientNetB5": 30_562_527,
                     "EfficientNetB6": 43_265_143, "EfficientNetB7": 66_658_687},
    "efficientnet_v2": {"EfficientNetV2B0": 7_200_312, "EfficientNetV2B1": 8_212_124, "EfficientNetV2B2": 10_178_374,
                        "EfficientNetV2B3": 14_467_622, "EfficientNetV2S": 21_612_360, "EfficientNetV2M": 54_431_388,
                        "EfficientNetV2L": 119_027_848},
    "convnext": {"ConvNeXtTiny": 28_589_128, "ConvNeXtSmall": 50_223_688, "ConvNeXtBase": 88_591_464,
                 "ConvNeXtLarge": 197_767_336, "ConvNeXtXLarge": 350_196_968},
}
FACTORIES = [(module, name) for module, names in EXPECTED_TOTALS.items() for name in names]


def applications_dir() -> pathlib.Path:
    """The installed keras package's applications sources, located without importing keras."""
    spec = importlib.util.find_spec("keras")
    if spec is None or spec.origin is None:
        pytest.skip("keras is not installed")
    path = pathlib.Path(spec.origin).parent / "src" / "applications"
    if not path.is_dir():
        pytest.skip(f"{path} not found")
    return path


_reports = {}


def report_of(module: str):
    if module not in _reports:
        _reports[module] = analyze_file(str(applications_dir() / f"{module}.py"))
    return _reports[module]


@pytest.mark.parametrize("module", sorted(EXPECTED_TOTALS))
def test_totals_match_keras(module):
    report = report_of(module)
    models = {m.symbol: m for m in report.models}
    for name, total in EXPECTED_TOTALS[module].items():
        assert name in models, f"{name} not found in {module}.py (found {sorted(models)})"
        model = models[name]
        assert (model.total_params, model.complete) == (total, True), name
    assert [d for d in report.diagnostics if d.severity == "error"] == []


APPLICATIONS = pathlib.Path(__file__).resolve().parent.parent / "fixtures" / "applications"
# The Keras that recorded fixtures/applications/*.keras.json (written by fixtures/make_expected.py).
RECORDED_WITH = APPLICATIONS / "keras_version.txt"


def installed_keras_version() -> str | None:
    try:
        return importlib.metadata.version("keras")
    except importlib.metadata.PackageNotFoundError:
        return None


def keras_rows(name: str) -> dict:
    """What Keras builds for `model = NAME(weights=None)`: recorded by the Keras installed here, or built now.

    A live build of the large applications takes a minute each and repeats what the recorded
    file says, unless the installed Keras differs from the one that recorded it.
    """
    user_code = APPLICATIONS / f"{name}.py"
    version = installed_keras_version()
    if version is None or version == RECORDED_WITH.read_text().strip():
        return json.loads(user_code.with_suffix(".keras.json").read_text())["models"]["model"]
    os.environ.setdefault("KERAS_BACKEND", "jax")
    keras = pytest.importorskip("keras")
    keras.backend.clear_session()
    scope = {}
    exec(compile(user_code.read_text(), str(user_code), "exec"), scope)  # the repository's own three lines
    built = scope["model"]
    return {"total": built.count_params(), "trainable": sum(int(w.numpy().size) for w in built.trainable_weights),
            "layers": [{"name": layer.name, "type": type(layer).__name__, "output_shape": list(layer.output.shape),
                        "params": layer.count_params()} for layer in built.layers]}


@pytest.mark.parametrize("module, name", FACTORIES, ids=[n for _, n in FACTORIES])
def test_rows_match_keras(module, name):
    """User code building a library model: archlint reads the installed Keras's source for it."""
    applications_dir()
    want = keras_rows(name)
    model = {m.symbol: m for m in analyze_file(str(APPLICATIONS / f"{name}.py")).models}["model"]
    got = [(row.name, row.type, _shape(row.output_shape), row.params) for row in model.layers]
    assert got == [(row["name"], row["type"], row["output_shape"], row["params"]) for row in want["layers"]]
    assert (model.total_params, model.trainable_params) == (want["total"], want["trainable"])


def test_every_application_has_its_recorded_build():
    assert sorted(p.stem for p in APPLICATIONS.glob("*.py")) == sorted(name for _, name in FACTORIES)
    assert all((APPLICATIONS / f"{name}.keras.json").exists() for _, name in FACTORIES)
    assert RECORDED_WITH.read_text().strip()
