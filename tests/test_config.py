"""Settings from pyproject.toml and the command line, inline suppressions, and the `rules`/`rule` commands."""

import json
import textwrap

import pytest
from click.testing import CliRunner

from archlint.cli import main
from archlint.config import ConfigError, Settings, apply, find_config, load, parse_shape
from archlint.lint import lint_source
from archlint.rules import all_rules

# AL205 (info) on line 6, AL201 (warning) on line 8, AL206 (warning) on line 9.
MODEL = """\
import keras
from keras import layers

model = keras.Sequential([
    keras.Input(shape=(32, 32, 3)),
    layers.Conv2D(16, 3),
    layers.BatchNormalization(),
    layers.Dense(10),
    layers.Conv2D(8, 1, strides=2),
])
"""
FINDINGS = {("AL205", 6), ("AL201", 8), ("AL206", 9)}


def run(args, **kwargs):
    return CliRunner().invoke(main, args, catch_exceptions=False, **kwargs)


def found(source, settings=None, path="model.py"):
    return {(d.code, d.line) for d in lint_source(source, path, settings or Settings()).diagnostics}


def check_json(args):
    result = run(["check", "--format", "json", *args])
    diagnostics = json.loads(result.output)["files"][0]["diagnostics"]
    return result.exit_code, {(d["code"], d["line"], d["severity"]) for d in diagnostics}


@pytest.fixture
def project(tmp_path, monkeypatch):
    """A project directory holding the model, with a pyproject.toml written from the given [tool.archlint] body."""
    monkeypatch.chdir(tmp_path)
    (tmp_path / "src").mkdir()
    (tmp_path / "src" / "model.py").write_text(MODEL)

    def write(body):
        (tmp_path / "pyproject.toml").write_text("[tool.archlint]\n" + textwrap.dedent(body))
        return tmp_path
    return write


def test_model_findings_without_settings():
    assert found(MODEL) == FINDINGS


@pytest.mark.parametrize("settings, expected", [
    ({"select": ["AL2"]}, {("AL201", 8), ("AL205", 6), ("AL206", 9)}),
    ({"select": "AL201,stride-larger-than-kernel"}, {("AL201", 8), ("AL206", 9)}),
    ({"ignore": ["bias-before-batchnorm", "AL206"]}, {("AL201", 8)}),
    ({"per-file-ignores": {"src/*.py": ["AL201"]}}, {("AL205", 6), ("AL206", 9)}),
    ({"per-file-ignores": {"other.py": ["AL201"]}}, FINDINGS),
])
def test_selection(settings, expected, tmp_path):
    (tmp_path / "src").mkdir()
    path = tmp_path / "src" / "model.py"
    assert found(MODEL, apply(Settings(root=str(tmp_path)), settings), str(path)) == expected


def test_severity_overrides_by_code_prefix_and_name():
    settings = apply(Settings(), {"severity": {"AL2": "error", "bias-before-batchnorm": "warning"}})
    severities = {d.code: d.severity for d in lint_source(MODEL, "m.py", settings).diagnostics}
    assert severities == {"AL201": "error", "AL205": "warning", "AL206": "error"}


def test_param_share_threshold_and_budget():
    source = textwrap.dedent("""\
        import keras
        from keras import layers

        model = keras.Sequential([
            keras.Input(shape=(28, 28, 1)),
            layers.Conv2D(32, 3, activation="relu"),
            layers.MaxPooling2D(),
            layers.Conv2D(64, 3, activation="relu"),
            layers.MaxPooling2D(),
            layers.Flatten(),
            layers.Dense(10, activation="softmax"),
        ])
        """)
    # The Dense holds 16,010 of 34,826 parameters: 46%.
    assert found(source) == set()
    assert found(source, apply(Settings(), {"max-layer-param-share": 0.4})) == {("AL202", 11)}
    report = lint_source(source, "m.py", apply(Settings(), {"max-params": 30_000}))
    [budget] = report.diagnostics
    assert (budget.code, budget.line) == ("AL202", 4)
    assert "34,826 parameters, above the max-params budget of 30,000" in budget.message
    assert "largest layer is conv2d_1 (Conv2D) with 18,496" in budget.message


@pytest.mark.parametrize("comment, silenced", [
    ("# archlint: ignore[AL201]", {"AL201"}),
    ("# archlint: ignore[dense-on-spatial-tensor, AL206]", {"AL201", "AL206"}),
    ("# archlint: ignore", {"AL201", "AL206"}),
    ("# noqa: AL201", {"AL201"}),
    ("# noqa: E501, AL206", {"AL206"}),
    ("# noqa", set()),
    ("# noqa: E501", set()),
])
def test_inline_suppression(comment, silenced):
    source = textwrap.dedent(f"""\
        import keras
        from keras import layers

        inputs = keras.Input(shape=(32, 32, 16))
        x = layers.Dense(8)(layers.Conv2D(8, 1, strides=2)(inputs))  {comment}
        model = keras.Model(inputs, x)
        """)
    assert found(source) == {(code, 5) for code in {"AL201", "AL206"} - silenced}


def test_only_comments_suppress():
    in_a_string = MODEL.replace("layers.Dense(10),", 'layers.Dense(10, name="# archlint: ignore"),')
    assert found(in_a_string) == FINDINGS
    in_a_comment = MODEL.replace("layers.Dense(10),", "layers.Dense(10),  # archlint: ignore")
    assert found(in_a_comment) == FINDINGS - {("AL201", 8)}


def test_pyproject_is_found_above_the_paths(project):
    root = project("""\
        ignore = ["AL205"]
        severity = { AL206 = "info" }
        fail-on = "error"
        """)
    assert find_config(str(root / "src")) == str(root / "pyproject.toml")
    status, diagnostics = check_json(["src/model.py"])
    assert (status, diagnostics) == (0, {("AL201", 8, "warning"), ("AL206", 9, "info")})
    # Command-line options replace the file's.
    status, diagnostics = check_json(["--ignore", "AL201", "--fail-on", "warning", "src"])
    assert (status, diagnostics) == (0, {("AL205", 6, "info"), ("AL206", 9, "info")})


def test_pyproject_without_archlint_table_is_skipped(tmp_path):
    (tmp_path / "pyproject.toml").write_text("[tool.archlint]\nfail-on = 'error'\n")
    (tmp_path / "inner").mkdir()
    (tmp_path / "inner" / "pyproject.toml").write_text("[tool.black]\nline-length = 100\n")
    assert find_config(str(tmp_path / "inner")) == str(tmp_path / "pyproject.toml")


def test_config_option_names_a_file(project, tmp_path):
    project('ignore = ["AL2"]\n')
    (tmp_path / "strict.toml").write_text('select = ["AL201"]\nfail-on = "warning"\n')
    status, diagnostics = check_json(["--config", "strict.toml", "src"])
    assert (status, diagnostics) == (1, {("AL201", 8, "warning")})


def test_exclude_and_force_exclude(project):
    project('exclude = ["src"]\n')
    assert json.loads(run(["check", "--format", "json", "."]).output)["files"] == []
    assert run(["check", "--format", "json", "src/model.py"]).exit_code == 1
    assert json.loads(run(["check", "--format", "json", "--force-exclude", "src/model.py"]).output)["files"] == []


def test_command_line_settings(project):
    project("")
    status, diagnostics = check_json(["--per-file-ignores", "model.py:AL201,AL206", "--severity", "AL205=error", "src"])
    assert (status, diagnostics) == (1, {("AL205", 6, "error")})


@pytest.mark.parametrize("body, message", [
    ('slect = ["AL1"]', "unknown setting `slect`"),
    ('select = ["XY1"]', "'XY1' is no rule code, prefix or name"),
    ('fail-on = "sometimes"', "`fail-on`: expected one of error, warning, info, never"),
    ("max-layer-param-share = 1.5", "`max-layer-param-share`: expected a number above 0 and at most 1"),
    ('severity = { AL201 = "fatal" }', "`severity`: expected one of error, warning, info"),
    ("select = [", "is not valid TOML"),
])
def test_bad_settings_are_usage_errors(project, body, message):
    project(body)
    result = CliRunner().invoke(main, ["check", "src"])
    assert result.exit_code == 2
    assert message in result.output


def test_bad_command_line_code_is_a_usage_error(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "m.py").write_text(MODEL)
    result = CliRunner().invoke(main, ["check", "--select", "dense-on-image", "m.py"])
    assert result.exit_code == 2 and "'dense-on-image' is no rule code, prefix or name" in result.output


def test_input_shapes():
    assert load(None).input_shapes == {}
    settings = apply(Settings(), {"input-shapes": {"image": "224,224,3", "tokens": ["T"], "audio": "None, 1"}})
    assert settings.input_shapes == {"image": (224, 224, 3), "tokens": ("T",), "audio": (None, 1)}
    with pytest.raises(ConfigError):
        parse_shape("224,-1")


def test_rules_command_lists_the_catalog():
    lines = run(["rules"]).output.splitlines()
    assert [line.split()[0] for line in lines] == [rule.code for rule in all_rules()]
    assert lines[1].split()[:3] == ["AL101", "negative-dimension", "error"]


@pytest.mark.parametrize("name", ["AL203", "al203", "softmax-over-single-unit"])
def test_rule_command_prints_the_documentation(name):
    text = run(["rule", name]).output
    assert text.startswith("AL203 softmax-over-single-unit (warning by default)")
    for section in ("What it finds", "Why it matters", "Example", "Fix", "Not flagged"):
        assert f"\n{section}\n" in text
    assert 'layers.Dense(1, activation="softmax"),  # AL203' in text


def test_rule_command_unknown_rule():
    result = CliRunner().invoke(main, ["rule", "AL999"])
    assert result.exit_code == 2 and "no rule 'AL999'" in result.output
