"""The rule catalog: every rule's examples run as tests (and under real Keras), the rule fixtures, finer points."""

import hashlib
import json
import os
import pathlib
import re
import subprocess
import sys

import pytest

import archlint.rules
from archlint import errors
from archlint.config import Settings
from archlint.lint import lint_source
from archlint.rules import all_rules, find_rule, resolve, severity_of
from fixtures.make_expected import recorder_digest
from tests.fixture_compare import mismatches
from tests.keras_oracle import keras_or_skip

REPO = pathlib.Path(__file__).resolve().parent.parent
RULES_DIR = pathlib.Path(archlint.rules.__file__).parent
RULE_FIXTURES = sorted((REPO / "fixtures" / "rules").glob("*.py"))
TRUTH = pathlib.Path(os.environ.get("ARCHLINT_KERAS_TRUTH", REPO.parent / "shared" / "tools" / "keras_truth.py"))
MARKER = re.compile(r"\s*[^\s#].*#\s*(AL\d{3}(?:[\s,]+AL\d{3})*)\b")  # a trailing comment naming the codes found there
SPEC_SEVERITIES = {
    "AL001": "error", "AL101": "error", "AL102": "error", "AL103": "error", "AL104": "error", "AL105": "error",
    "AL106": "error", "AL201": "warning", "AL202": "warning", "AL203": "warning", "AL204": "warning",
    "AL107": "error", "AL108": "error", "AL109": "error", "AL110": "warning", "AL111": "error", "AL112": "error",
    "AL205": "info", "AL206": "warning", "AL207": "warning", "AL208": "warning", "AL209": "warning",
    "AL210": "warning", "AL211": "warning", "AL301": "info", "AL302": "warning", "AL303": "info", "AL401": "error",
    "AL901": "warning",
}
EXAMPLES = [(rule.code, kind, index, source) for rule in all_rules()
            for kind, sources in (("fires", rule.fires), ("passes", rule.passes))
            for index, source in enumerate(sources)]


def verify_only(rule) -> bool:
    """Rules only `check --verify` finds: their examples would need the runtime, which lint_source does not run."""
    return rule.summary.startswith("`--verify`")


def marked(source: str) -> set[tuple[str, int]]:
    """(code, line) of every finding the source's trailing `# CODE` comments announce."""
    found = set()
    for number, line in enumerate(source.splitlines(), 1):
        match = MARKER.match(line)
        if match:
            found |= {(code, number) for code in re.findall(r"AL\d{3}", match.group(1))}
    return found


def findings(source: str, settings=None, path="example.py") -> set[tuple[str, int]]:
    report = lint_source(source, path, settings or Settings())
    return {(d.code, d.line) for d in report.diagnostics}


def found_codes(source: str) -> set[tuple[str, int]]:
    """The graph rules' findings only."""
    return {(code, line) for code, line in findings(source) if code.startswith("AL2")}


def test_catalog_has_the_interface_spec_codes_and_severities():
    catalog = {rule.code: rule.severity for rule in all_rules()}
    assert {code: catalog.get(code) for code in SPEC_SEVERITIES} == SPEC_SEVERITIES
    assert find_rule("AL101").name == "negative-dimension"


@pytest.mark.parametrize("rule", all_rules(), ids=lambda r: r.code)
def test_rule_unit_is_complete(rule):
    module = f"{rule.code.lower()}_{rule.name.replace('-', '_')}.py"
    assert (RULES_DIR / module).exists(), f"{rule.code} lives in {module}"
    assert re.fullmatch(r"[a-z0-9]+(-[a-z0-9]+)*", rule.name)
    assert rule.summary and rule.what and rule.why and rule.fix
    assert (rule.check is None) == (rule.code[2] != "2"), "graph rules (AL2xx) check; the evaluator finds the others"
    if not verify_only(rule):
        assert rule.fires and rule.passes
        assert all(code == rule.code for source in rule.fires for code, _ in marked(source))


def test_each_rule_code_is_written_in_one_place():
    """What the parser, evaluator and runtime find has its code in errors.py, as its kind, which its rule module
    takes; the other rules write theirs in their own module. Nowhere else is a code written (a rule's
    documentation may show its own)."""
    kinds, pending = {}, [errors.Finding]
    while pending:
        kind = pending.pop()
        pending += kind.__subclasses__()
        if hasattr(kind, "code"):
            kinds[kind.code] = kind
    written: dict[str, list[str]] = {}
    for path in sorted([*pathlib.Path(errors.__file__).parent.rglob("*.py"), *RULES_DIR.glob("*.py")]):
        for code in sorted(set(re.findall(r'"(AL\d{3})"', path.read_text()))):
            written.setdefault(code, []).append(path.name)
    for rule in all_rules():
        module = f"{rule.code.lower()}_{rule.name.replace('-', '_')}.py"
        home = "errors.py" if rule.code in kinds else module
        places = written.pop(rule.code, [])
        assert home in places and set(places) <= {home, module}, f"{rule.code} is written in {places}"  # its docs
    assert written == {}


@pytest.mark.parametrize("code, kind, index, source", EXAMPLES, ids=[f"{c}-{k}-{i}" for c, k, i, _ in EXAMPLES])
def test_example(code, kind, index, source):
    """A must-fire example gets the rule exactly on its marked lines; a near miss does not get it at all."""
    found = {(c, line) for c, line in findings(source) if c == code}
    assert found == marked(source), f"{code} {kind} example {index}"


def test_names_codes_and_prefixes_resolve():
    assert resolve("negative-dimension") == "AL101"
    assert resolve("al2") == "AL2"
    assert resolve("AL999") is None and resolve("E501") is None
    assert severity_of("AL205") == "info"


@pytest.mark.parametrize("path", RULE_FIXTURES, ids=lambda p: p.stem)
def test_rule_fixture(path):
    """Each fixture gets exactly the findings its `# CODE` comments mark, and builds as Keras built it."""
    source = path.read_text()
    assert findings(source, path=str(path)) == marked(source)
    truth = json.loads(path.with_suffix(".keras.json").read_text())
    assert truth["error"] is None, "rule fixtures are models Keras builds"
    report = lint_source(source, str(path), Settings())
    if all(model.complete for model in report.models):
        assert mismatches(report, truth, path.stem) == []


@pytest.mark.parametrize("rule", [r for r in all_rules() if r.severity != "error" and not verify_only(r)],
                         ids=lambda r: r.code)
def test_rule_has_fixtures_that_fire_and_near_misses(rule):
    files = [p for p in RULE_FIXTURES if p.stem.startswith(rule.code.lower())]
    firing = [p for p in files if any(code == rule.code for code, _ in marked(p.read_text()))]
    assert len(firing) < len(files), "a near miss"
    if rule.code != "AL302":  # keras_truth.py cannot record a model Keras never builds: AL302's example fires instead
        assert firing


# Runs files under real Keras with keras_truth.py and prints the error each raised, or null.
KERAS_RUNNER = """
import json, sys
sys.path.insert(0, sys.argv[1])
import keras_truth
verdicts = {}
for path in sys.argv[2:]:
    try:
        verdicts[path] = keras_truth.run(path)["error"]
    except ValueError:  # the file ran; keras_truth cannot describe a model Keras has not built yet
        verdicts[path] = None
print(json.dumps(verdicts))
"""


# What Keras did with each example, by the example's recording digest (tests/record_rule_verdicts.py writes it).
RECORDED_VERDICTS = REPO / "tests" / "data" / "rule_example_verdicts.json"
LIVE_EVERY = 12  # this share of the examples always runs under Keras, also where a verdict is recorded


def run_keras(sources: dict, directory: pathlib.Path) -> dict:
    """keras_truth's error for each source (None where Keras builds it), all run in one process."""
    files = {}
    for key, source in sources.items():
        path = directory / f"{'_'.join(map(str, key))}.py"
        path.write_text(source)
        files[key] = str(path)
    proc = subprocess.run([sys.executable, "-c", KERAS_RUNNER, str(TRUTH.parent), *files.values()],
                          env=dict(os.environ, KERAS_BACKEND="jax", PYTHONHASHSEED="0"), capture_output=True,
                          text=True, timeout=900)
    assert proc.returncode == 0, proc.stderr[-2000:]
    verdicts = json.loads(proc.stdout.splitlines()[-1])
    return {key: verdicts[path] for key, path in files.items()}


def example_digest(source: str) -> str | None:
    """The digest of a verdict on `source`: the installed Keras and JAX, keras_truth.py and the source."""
    recorder = recorder_digest(str(TRUTH))
    return recorder and hashlib.sha256(f"{recorder}\n{source}".encode()).hexdigest()


def error_line(error):
    return error and (error["type"], error["line"])


@pytest.fixture(scope="module")
def keras_verdicts(tmp_path_factory):
    """What real Keras does with every example: run now, or recorded by this Keras, JAX and keras_truth.py from
    the same source (a sample runs now all the same, and must agree with its recording)."""
    keras_or_skip()
    if not TRUTH.exists():
        pytest.skip(f"{TRUTH} not found")
    recorded = json.loads(RECORDED_VERDICTS.read_text()) if RECORDED_VERDICTS.exists() else {}
    current = {(code, kind, index): recorded[digest] for code, kind, index, source in EXAMPLES
               if (digest := example_digest(source)) in recorded}
    live = {(code, kind, index): source for i, (code, kind, index, source) in enumerate(EXAMPLES)
            if i % LIVE_EVERY == 0 or (code, kind, index) not in current}
    verdicts = run_keras(live, tmp_path_factory.mktemp("examples"))
    for key, error in verdicts.items():
        if key in current:
            assert error_line(error) == error_line(current[key]), f"{key}: Keras now differs from its recording"
    return {**current, **verdicts}


@pytest.mark.xdist_group("keras_on_rule_examples")  # one Keras run of the examples, on one worker
@pytest.mark.parametrize("code, kind, index, source", EXAMPLES, ids=[f"{c}-{k}-{i}" for c, k, i, _ in EXAMPLES])
def test_example_agrees_with_keras(code, kind, index, source, keras_verdicts):
    """An error rule's must-fire examples are exactly what Keras refuses; every other example builds."""
    error = keras_verdicts[(code, kind, index)]
    if severity_of(code) == "error" and kind == "fires":
        assert error is not None, "Keras builds it"
    else:
        assert error is None, f"Keras refuses it: {error}"


def test_bias_shared_with_an_application_it_matters_to_is_kept():
    source = """\
import keras
from keras import layers

a, b = keras.Input(shape=(8,)), keras.Input(shape=(8,))
shared = layers.Dense(4)
x = layers.BatchNormalization()(shared(a))
y = shared(b)
model = keras.Model([a, b], [x, y])
"""
    assert found_codes(source) == set()
    assert found_codes(source.replace("y = shared(b)", "y = layers.BatchNormalization()(shared(b))")) == {("AL205", 6)}


def test_layers_of_a_nested_model_are_checked_through_its_parent():
    source = """\
import keras
from keras import layers

inputs = keras.Input(shape=(16, 16, 3))
outputs = keras.Sequential([layers.Conv2D(8, 3), layers.Dense(4)])(inputs)  # AL201
model = keras.Model(inputs, outputs)
"""
    assert found_codes(source) == marked(source)


def test_a_keras_source_file_checked_directly_is_the_checked_code():
    """Left alone inside a model built from it, Keras's resnet.py checked as itself gets its own findings."""
    from archlint.evaluate.project_modules import installed_keras
    from archlint.lint import lint_file

    root = installed_keras()
    if root is None:
        pytest.skip("needs the installed Keras's source")
    report = lint_file(os.path.join(root, "src", "applications", "resnet.py"), Settings())
    assert {"AL205", "AL206"} <= {d.code for d in report.diagnostics}


def test_graph_rules_leave_keras_application_internals_alone():
    """ResNet50's own convolutions add a bias before BatchNormalization (AL205) and its shortcut
    projections stride past a 1x1 kernel (AL206): the checked code cannot change Keras's source."""
    source = """
import keras
from keras import layers

backbone = keras.applications.ResNet50(include_top=False, weights=None, input_shape=(64, 64, 3))
x = layers.Conv2D(8, 3, padding="same")(backbone.output)  # AL205
x = layers.BatchNormalization()(x)
model = keras.Model(backbone.input, x)
"""
    assert findings(source) == marked(source)
