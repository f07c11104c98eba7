"""Markdown: the fenced Python blocks of a tutorial checked as one program, every line the Markdown's own."""

import json
import pathlib

import pytest
from click.testing import CliRunner

from archlint.cli import main
from archlint.config import Settings
from archlint.lint import lint_file

FIXTURES = pathlib.Path(__file__).resolve().parent.parent / "fixtures" / "markdown"

# The three seed examples, as a blog post shows them.
SEED_TUTORIAL = '''\
# Shapes and parameters by hand

Install first:

```bash
pip install tensorflow
```

## Dense on a rank-3 tensor

```python
import tensorflow as tf

inputs = tf.zeros((64, 10, 20))  # (samples, height, width)
dense_layer = tf.keras.layers.Dense(30)
outputs = dense_layer(inputs)
```

A Dense layer mixes only the last axis.

## Conv2D with and without padding

```python
batch_size = 64
pic = tf.zeros((batch_size, 300, 300, 3))

conv_layer = tf.keras.layers.Conv2D(filters=16, kernel_size=(5, 5), strides=(1, 1))
conv_out = conv_layer(pic)

pad_conv_layer = tf.keras.layers.Conv2D(filters=16, kernel_size=(5, 5), strides=(1, 1), padding="same")
pad_conv_out = pad_conv_layer(pic)
```

The output size is O = (I - F + 2P) / S + 1:

```
(64, 296, 296, 16)
```

## Pooling

```python
pic = tf.zeros((64, 300, 300, 3))
conv_out = tf.keras.layers.Conv2D(filters=16, kernel_size=(5, 5), strides=(1, 1))(pic)
pool_out = tf.keras.layers.MaxPool2D()(conv_out)
```
'''


def check(tmp_path, text: str, name: str = "post.md"):
    path = tmp_path / name
    path.write_text(text)
    return lint_file(str(path), Settings())


def test_the_seed_tutorial_gives_the_seed_figures_at_markdown_lines(tmp_path):
    report = check(tmp_path, SEED_TUTORIAL)
    assert report.diagnostics == []
    (model,) = report.models
    lines = SEED_TUTORIAL.split("\n")
    rows = [(row.type, row.output_shape, row.params, lines[row.line - 1]) for row in model.layers]
    conv = (5 * 5 * 3 + 1) * 16  # (F*F*C + 1) * K
    valid = (300 - 5) // 1 + 1  # (I - F + 2P) / S + 1 with P = 0
    pooled = (valid - 2) // 2 + 1  # a 2x2 pool with stride 2
    assert [row[:3] for row in rows] == [
        ("Dense", (64, 10, 30), 20 * 30 + 30),
        ("Conv2D", (64, valid, valid, 16), conv),
        ("Conv2D", (64, 300, 300, 16), conv),
        ("Conv2D", (64, valid, valid, 16), conv),
        ("MaxPooling2D", (64, pooled, pooled, 16), 0),
    ]
    assert (valid, pooled, conv) == (296, 148, 1216)
    # Each row's line is the Markdown line that made the layer.
    assert ["Dense(30)" in rows[0][3], "conv_layer = " in rows[1][3], "pad_conv_layer = " in rows[2][3],
            "Conv2D(filters=16" in rows[3][3] and "(pic)" in rows[3][3], "MaxPool2D()" in rows[4][3]] == [True] * 5


def test_a_broken_model_between_prose_is_found_at_the_line_keras_fails_on():
    path = FIXTURES / "al101_tutorial_kernel_too_big.md"
    truth = json.loads(path.with_suffix(".keras.json").read_text())
    report = lint_file(str(path), Settings())
    errors = [(d.code, d.line, d.column) for d in report.diagnostics if d.severity == "error"]
    line = path.read_text().split("\n")[truth["error"]["line"] - 1]
    assert errors == [("AL101", truth["error"]["line"], line.index("layers.Conv2D") + 1)]


def test_other_languages_plain_fences_and_ipython_syntax_are_skipped(tmp_path):
    report = check(tmp_path, "\n".join([
        "```ipython",
        "!pip install keras",
        "%load_ext autoreload",
        "import keras",
        "```",
        "```",
        "this plain block is output, not code (",
        "```",
        "```javascript",
        "const model = tf.sequential();",
        "```",
        "~~~{.python}",
        "model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(3)])",
        "~~~",
        "```python3",
        "%%bash",
        "echo a shell cell is left out",
        "```",
        "",
    ]))
    assert report.diagnostics == []
    (model,) = report.models
    assert (model.symbol, model.line, model.total_params) == ("model", 13, 4 * 3 + 3)


def test_a_fence_indented_in_a_list_reports_the_markdown_column(tmp_path):
    text = "\n".join([
        "1. Build it:",
        "",
        "   ```py",
        "   import keras",
        "   x = keras.Input((3, 3, 1))",
        "   y = keras.layers.Conv2D(2, 5)(x)",
        "   ```",
        "",
    ])
    report = check(tmp_path, text)
    (finding,) = report.diagnostics
    assert (finding.code, finding.line, finding.column) == ("AL101", 6, text.split("\n")[5].index("keras.layers") + 1)


def test_a_block_that_is_not_python_is_left_out_and_the_others_checked(tmp_path):
    report = check(tmp_path, "\n".join([
        "```python",
        "import keras",
        "```",
        "Pseudo-code:",
        "```python",
        "for each layer in model: print it",
        "```",
        "```python",
        "model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(3)])",
        "```",
    ]))
    assert [(d.code, d.line) for d in report.diagnostics] == [("AL001", 6)]
    assert [model.total_params for model in report.models] == [4 * 3 + 3]


def test_an_unclosed_fence_runs_to_the_end_and_suppressions_work(tmp_path):
    report = check(tmp_path, "\n".join([
        "Text.",
        "```python",
        "import keras",
        "model = keras.Sequential([keras.Input((8, 8, 3)), keras.layers.Dense(2)])  # archlint: ignore[AL201]",
        "other = keras.Sequential([keras.Input((8, 8, 3)), keras.layers.Dense(2)])",
    ]))
    assert [(d.code, d.line) for d in report.diagnostics] == [("AL201", 5)]
    assert [model.symbol for model in report.models] == ["model", "other"]


def test_myst_code_cells_lose_their_options(tmp_path):
    report = check(tmp_path, "\n".join([
        "```{code-cell} ipython3",
        ":tags: [hide-output]",
        "import keras",
        "model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(3)])",
        "```",
        "```{code-cell} python",
        "---",
        "tags: [hide-input]",
        "---",
        "other = keras.Sequential([keras.Input((2,)), keras.layers.Dense(1)])",
        "```",
    ]))
    assert report.diagnostics == []
    assert [(model.symbol, model.line, model.total_params) for model in report.models] == \
        [("model", 4, 4 * 3 + 3), ("other", 10, 2 + 1)]


def test_a_markdown_file_that_is_not_utf8_is_a_finding(tmp_path):
    path = tmp_path / "latin1.md"
    path.write_bytes("caf\xe9\n```python\nimport keras\n```\n".encode("latin-1"))
    assert [d.code for d in lint_file(str(path), Settings()).diagnostics] == ["AL001"]


@pytest.mark.parametrize("configured", [False, True])
def test_directories_include_markdown_only_when_configured(tmp_path, configured):
    (tmp_path / "model.py").write_text("import keras\n")
    (tmp_path / "docs").mkdir()
    (tmp_path / "docs" / "post.md").write_text(SEED_TUTORIAL)
    (tmp_path / "pyproject.toml").write_text('[tool.archlint]\n' + ('extend-include = ["*.md"]\n' if configured else ''))
    result = CliRunner().invoke(main, ["check", "--format", "json", str(tmp_path)])
    assert result.exit_code == 0, result.output
    found = [pathlib.Path(f["path"]).name for f in json.loads(result.stdout)["files"]]
    assert found == (["model.py", "post.md"] if configured else ["model.py"])


def test_a_markdown_file_named_is_checked_without_configuration(tmp_path):
    (tmp_path / "post.md").write_text(SEED_TUTORIAL)
    result = CliRunner().invoke(main, ["check", "--format", "json", str(tmp_path / "post.md")])
    assert result.exit_code == 0, result.output
    (model,) = json.loads(result.stdout)["files"][0]["models"]
    assert model["total_params"] == 20 * 30 + 30 + 3 * (5 * 5 * 3 + 1) * 16


def test_sarif_of_markdown_uses_the_markdown_line():
    from tests.test_reports import sarif_schema_validator

    path = FIXTURES / "al101_tutorial_kernel_too_big.md"
    truth = json.loads(path.with_suffix(".keras.json").read_text())
    document = json.loads(CliRunner().invoke(main, ["check", "--format", "sarif", str(path)]).stdout)
    assert not list(sarif_schema_validator().iter_errors(document))
    (result,) = document["runs"][0]["results"]
    assert result["locations"][0]["physicalLocation"]["region"]["startLine"] == truth["error"]["line"]
    assert "logicalLocations" not in result["locations"][0]
