"""`archlint diff`: what a change did to the models, between git revisions or two files.

Expected parameter counts are those real Keras gave for the two versions (recorded with
../shared/tools/keras_truth.py, written out below as arithmetic)."""

import json
import os
import shutil
import subprocess

import pytest
from click.testing import CliRunner

from archlint.cli import main
from archlint.modeldiff import automatic_name, match_layers

pytestmark = pytest.mark.skipif(shutil.which("git") is None, reason="git is not installed")

BEFORE = """\
import keras
from keras import layers

model = keras.Sequential([
    keras.Input(shape=(32, 32, 3)),
    layers.Conv2D(32, 3, padding="same", use_bias=False),
    layers.BatchNormalization(),
    layers.Conv2D(64, 3, padding="same", use_bias=False),
    layers.BatchNormalization(),
    layers.ReLU(),
    layers.GlobalAveragePooling2D(),
    layers.Dense(10),
])
"""
# conv2d_1 widened to 128 filters, and a 1x1 Conv2D (with its bias, before BatchNormalization) back to 64
AFTER = BEFORE.replace('    layers.Conv2D(64, 3, padding="same", use_bias=False),\n',
                       '    layers.Conv2D(128, 3, padding="same", use_bias=False),\n    layers.Conv2D(64, 1),\n')
# Keras: conv2d 3*3*3*32 = 864, batch_normalization 4*32 = 128, conv2d_1 3*3*32*64 = 18,432,
# batch_normalization_1 4*64 = 256, dense 64*10 + 10 = 650
TOTAL_BEFORE = 864 + 128 + 18432 + 256 + 650
assert TOTAL_BEFORE == 20330
CONV_BEFORE, CONV_AFTER = 3 * 3 * 32 * 64, 3 * 3 * 32 * 128  # 18,432 -> 36,864
PROJECTION = 128 * 64 + 64  # 8,256
TOTAL_AFTER = TOTAL_BEFORE - CONV_BEFORE + CONV_AFTER + PROJECTION
assert TOTAL_AFTER == 47018


def git(repo, *args):
    subprocess.run(["git", "-C", str(repo), *args], check=True, capture_output=True)


@pytest.fixture
def repo(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    git(tmp_path, "init", "-q")
    git(tmp_path, "config", "user.email", "test@example.invalid")
    git(tmp_path, "config", "user.name", "test")
    git(tmp_path, "config", "commit.gpgsign", "false")

    def commit(files: dict, message="change"):
        for name, text in files.items():
            path = tmp_path / name
            path.parent.mkdir(parents=True, exist_ok=True)
            if text is None:
                path.unlink()
            else:
                path.write_text(text)
        git(tmp_path, "add", "-A")
        git(tmp_path, "commit", "-q", "-m", message)

    return tmp_path, commit


def diff(*args):
    return CliRunner().invoke(main, ["diff", *args])


def test_one_widened_layer_and_one_added(repo):
    root, commit = repo
    commit({"model.py": BEFORE})
    commit({"model.py": AFTER})
    result = diff("HEAD~1", "--format", "json")
    assert result.exit_code == 0, result.output
    document = json.loads(result.output)
    assert (document["base"], document["head"]) == ("HEAD~1", "working tree")
    [file] = document["files"]
    assert (file["path"], file["status"]) == ("model.py", "modified")
    [model] = file["models"]
    assert model["status"] == "changed"
    assert model["total_params"] == {"base": TOTAL_BEFORE, "head": TOTAL_AFTER, "delta": 26688,
                                     "percent": pytest.approx(100 * 26688 / 20330)}
    layers = model["layers"]
    assert layers["changed"] == [{
        "base": {"name": "conv2d_1", "type": "Conv2D", "output_shape": [None, 32, 32, 64], "params": CONV_BEFORE,
                 "trainable_params": CONV_BEFORE},
        "head": {"name": "conv2d_1", "type": "Conv2D", "output_shape": [None, 32, 32, 128], "params": CONV_AFTER,
                 "trainable_params": CONV_AFTER}}]
    assert layers["added"] == [{"name": "conv2d_2", "type": "Conv2D", "output_shape": [None, 32, 32, 64],
                                "params": PROJECTION, "trainable_params": PROJECTION}]
    assert layers["removed"] == []
    # the projection's bias is cancelled by the BatchNormalization after it
    assert [(d["code"], d["layer"], d["line"]) for d in model["findings"]["introduced"]] == [("AL205", "conv2d_2", 9)]
    assert model["findings"]["fixed"] == []

    text = diff("HEAD~1").output
    assert "  model: 20,330 -> 47,018 (+26,688, +131.27%)\n" in text
    assert "    changed  conv2d_1 (Conv2D): (None, 32, 32, 64) -> (None, 32, 32, 128), params 18,432 -> 36,864\n" in text
    assert "    added    conv2d_2 (Conv2D) (None, 32, 32, 64), 8,256 params\n" in text
    assert "    introduced  model.py:9:5: AL205 " in text

    markdown = diff("HEAD~1", "HEAD", "--format", "markdown").output
    assert "## archlint diff: `HEAD~1` → `HEAD`" in markdown
    assert "**Parameters:** 20,330 -&gt; 47,018 (+26,688, +131.27%)" in markdown
    assert "| added | conv2d_2 (Conv2D) (None, 32, 32, 64), 8,256 params |" in markdown


def test_the_working_tree_and_a_fix(repo):
    """Undoing the change in the working tree: the finding is fixed, the layer removed."""
    root, commit = repo
    commit({"model.py": AFTER})
    (root / "model.py").write_text(BEFORE)
    text = diff("HEAD").output
    assert "  model: 47,018 -> 20,330 (-26,688, -56.76%)\n" in text
    assert "    removed  conv2d_2 (Conv2D) (None, 32, 32, 64), 8,256 params\n" in text
    assert "    fixed       model.py:9:5: AL205 " in text


def test_sibling_modules_come_from_the_same_revision(repo):
    """The model imports its block from a sibling module; only the module changes. The old revision's model
    must be analysed with the old module (read from that revision), the new with the new one."""
    root, commit = repo
    model = ("import keras\nfrom blocks import block\n\ninputs = keras.Input((8,))\n"
             "model = keras.Model(inputs, block(inputs))\n")
    commit({"pkg/model.py": model, "pkg/blocks.py": "from keras import layers\n\ndef block(x):\n"
                                                    "    return layers.Dense(4)(x)\n"})
    (root / "pkg" / "blocks.py").write_text("from keras import layers\n\ndef block(x):\n"
                                            "    return layers.Dense(6)(x)\n")
    document = json.loads(diff("HEAD", "--format", "json").output)
    [changed] = [f for f in document["files"] if f["path"] == "pkg/model.py"]
    [entry] = changed["models"]
    # Dense(4) on 8 features: 8*4 + 4 = 36; Dense(6): 8*6 + 6 = 54
    assert entry["total_params"]["base"] == 36 and entry["total_params"]["head"] == 54
    named = json.loads(diff("HEAD", "--format", "json", "--", "pkg/model.py").output)
    assert [f["path"] for f in named["files"]] == ["pkg/model.py"]
    assert named["files"][0]["models"][0]["total_params"]["delta"] == 54 - 36


def test_renamed_file_is_followed(repo):
    root, commit = repo
    commit({"model.py": BEFORE})
    git(root, "mv", "model.py", "network.py")
    (root / "network.py").write_text(BEFORE.replace("layers.Dense(10)", "layers.Dense(12)"))
    git(root, "add", "-A")
    text = diff("HEAD").output
    assert "network.py (renamed from model.py)\n" in text
    # dense: 64*10 + 10 = 650 -> 64*12 + 12 = 780
    assert "    changed  dense (Dense): (None, 10) -> (None, 12), params 650 -> 780\n" in text


def test_added_and_removed_files_and_models(repo):
    root, commit = repo
    commit({"a.py": BEFORE, "b.py": BEFORE})
    small = "import keras\n\nnet = keras.Sequential([keras.Input((3,)), keras.layers.Dense(2)])\n"  # 3*2 + 2
    commit({"a.py": None, "c.py": small})
    document = json.loads(diff("HEAD~1", "HEAD", "--format", "json").output)
    status = {f["path"]: (f["status"], [(m["symbol"], m["status"]) for m in f["models"]]) for f in document["files"]}
    # b.py, untouched beside them, imports neither: not compared
    assert status == {"a.py": ("removed", [("model", "removed")]), "c.py": ("added", [("net", "added")])}
    text = diff("HEAD~1", "HEAD").output
    assert "a.py (removed)\n  model: removed, 20,330 params\n" in text
    assert "c.py (added)\n  net: added, 8 params\n" in text
    assert "b.py" not in text
    # a model that git sees as renamed along with its file (a.py's content, moved): followed
    commit({"b.py": None, "d.py": BEFORE})
    assert "d.py (renamed from b.py)\n" not in diff("HEAD~1", "HEAD").output  # unchanged: nothing to say
    files = json.loads(diff("HEAD~1", "HEAD", "--format", "json").output)["files"]
    assert [(f["base_path"], f["status"]) for f in files if f["path"] == "d.py"] == [("b.py", "renamed")]


def test_two_files(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "before.py").write_text(BEFORE)
    (tmp_path / "after.py").write_text(AFTER)
    result = diff("before.py", "after.py")
    assert result.exit_code == 0
    assert "  model: 20,330 -> 47,018 (+26,688, +131.27%)\n" in result.output
    missing = diff("before.py", "later.py")
    assert missing.exit_code == 2 and "later.py: no such file" in missing.output


def test_one_line_reasons_and_exit_2(repo, tmp_path_factory, monkeypatch):
    root, commit = repo
    commit({"model.py": BEFORE})
    for args, reason in ((["nope"], "unknown revision 'nope'"),
                         (["HEAD", "--", "missing.py"], "missing.py: in neither HEAD nor the working tree"),
                         (["HEAD", "HEAD", "HEAD"], "at most two revisions")):
        result = diff(*args)
        assert result.exit_code == 2 and reason in result.output, (args, result.output)
    elsewhere = tmp_path_factory.mktemp("plain")
    monkeypatch.chdir(elsewhere)
    result = diff("HEAD")
    assert result.exit_code == 2 and "is not in a git repository" in result.output
    assert result.output.count("\n") == 1


def test_an_inserted_layer_shifts_no_match():
    """Keras's automatic names shift when a layer is inserted before them: matched by place, not by name."""
    def row(name, kind, shape, params):
        return {"name": name, "type": kind, "output_shape": shape, "params": params, "trainable_params": params}

    base = [row("conv2d", "Conv2D", [None, 8, 8, 4], 112), row("conv2d_1", "Conv2D", [None, 8, 8, 4], 148)]
    head = [row("conv2d", "Conv2D", [None, 8, 8, 4], 112), row("conv2d_1", "Conv2D", [None, 8, 8, 4], 148),
            row("conv2d_2", "Conv2D", [None, 8, 8, 4], 148)]
    pairs, removed, added = match_layers(base, head)
    assert removed == [] and len(added) == 1
    assert all(old["params"] == new["params"] for old, new in pairs)
    assert automatic_name("max_pooling2d_3", "MaxPooling2D") and automatic_name("re_lu", "ReLU")
    assert not automatic_name("stem_conv", "Conv2D")


def test_totals_of_a_number_read_from_data_change_as_expressions(tmp_path, monkeypatch):
    """Before: Dense(8) on 4 (40) then Dense(n) on 8 (9n); after: Dense(16) on 4 (80) then Dense(n) on 16 (17n)."""
    monkeypatch.chdir(tmp_path)
    before = "import os\nimport keras\nfrom keras import layers\n\nclasses = os.listdir('classes')\n" \
             "model = keras.Sequential([keras.Input((4,)), layers.Dense(8), layers.Dense(len(classes))])\n"
    (tmp_path / "before.py").write_text(before)
    (tmp_path / "after.py").write_text(before.replace("Dense(8)", "Dense(16)"))
    result = diff("before.py", "after.py")
    assert result.exit_code == 0
    assert "  model: 9 * len(classes) + 40 -> 17 * len(classes) + 80\n" in result.output
    totals = json.loads(diff("before.py", "after.py", "--format", "json").output)["files"][0]["models"][0]["total_params"]
    assert totals == {"base": "9 * len(classes) + 40", "head": "17 * len(classes) + 80", "delta": None, "percent": None}
