"""`archlint graph`: Mermaid and DOT diagrams of a model, clusters per helper call, Graphviz rendering.

The golden files in tests/golden/graph/ were reviewed against the fixtures' source: every node a layer of the
model (shapes and parameters as the fixture's Keras record has them), every edge a tensor the source passes.
The tests below also count nodes, edges and clusters from the source, independently of the goldens.
"""

import os
import re
import shutil
import xml.etree.ElementTree as ElementTree

import pytest
from click.testing import CliRunner

from archlint.cli import main

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
GOLDEN = os.path.join(ROOT, "tests", "golden", "graph")
MODELS = os.path.join(ROOT, "fixtures", "models")
KERAS_RESNET = None
try:
    import importlib.util
    spec = importlib.util.find_spec("keras")
    if spec is not None and spec.submodule_search_locations:
        candidate = os.path.join(spec.submodule_search_locations[0], "src", "applications", "resnet.py")
        KERAS_RESNET = candidate if os.path.exists(candidate) else None
except (ImportError, ValueError):
    pass

GOLDENS = [
    ("sequential_mnist_cnn.mmd", "sequential_mnist_cnn.py", ["--show-shapes", "--show-params"]),
    ("resnet_bottleneck_operator_add.dot", "resnet_bottleneck_operator_add.py",
     ["--show-shapes", "--show-params", "--format", "dot", "--rankdir", "LR"]),
    ("helper_conv_blocks.calls.mmd", "helper_conv_blocks.py", ["--group", "calls", "--show-shapes"]),
    ("helper_conv_blocks.collapsed.dot", "helper_conv_blocks.py", ["--collapse", "--show-params", "--format", "dot"]),
]


def graph(*args, **kwargs):
    return CliRunner().invoke(main, ["graph", *args], catch_exceptions=False, **kwargs)


@pytest.mark.parametrize("golden, fixture, options", GOLDENS, ids=[g[0] for g in GOLDENS])
def test_golden_output(golden, fixture, options):
    result = graph(os.path.join(MODELS, fixture), *options)
    assert result.exit_code == 0, result.output
    with open(os.path.join(GOLDEN, golden), encoding="utf-8") as handle:
        assert result.output == handle.read()


def mermaid_nodes(text):
    return re.findall(r'^\s+(\w+)[\[(]+"', text, re.MULTILINE)


def mermaid_edges(text):
    return re.findall(r"^\s+(\w+) --> (\w+)$", text, re.MULTILINE)


def dot_nodes(text):
    return re.findall(r"^\s+(\w+) \[label=", text, re.MULTILINE)


def dot_edges(text):
    return re.findall(r"^\s+(\w+) -> (\w+);$", text, re.MULTILINE)


def test_sequential_draws_its_input_and_a_chain():
    """The Sequential's 7 listed layers after its Input: 8 nodes, 7 edges one after the other."""
    text = graph(os.path.join(MODELS, "sequential_mnist_cnn.py")).output
    nodes = mermaid_nodes(text)
    assert len(nodes) == 8
    assert mermaid_edges(text) == list(zip(nodes, nodes[1:]))
    # 3 * 3 * 1 * 32 + 32 and 1600 * 10 + 10 parameters, with --show-params
    shown = graph(os.path.join(MODELS, "sequential_mnist_cnn.py"), "--show-params").output
    assert "conv2d (Conv2D)<br/>320 params" in shown and "dense (Dense)<br/>16,010 params" in shown


def test_residual_block_with_operator_add():
    """The source: Input, 2 ZeroPadding2D, 5 Conv2D (stem, shortcut, three in the bottleneck), 3
    BatchNormalization, Activation, 3 ReLU, MaxPooling2D, GlobalAveragePooling2D and Dense: 18 layers, and the
    `+` operator: 19 nodes. The 17 layers after the Input take one tensor each and `shortcut + y` two: 19 edges."""
    text = graph(os.path.join(MODELS, "resnet_bottleneck_operator_add.py"), "--format", "dot").output
    nodes = dot_nodes(text)
    assert len(nodes) == 19
    edges = dot_edges(text)
    assert len(edges) == 19
    labels = dict(re.findall(r'^\s+(\w+) \[label="([^"\\]*)', text, re.MULTILINE))
    by_label = {label: key for key, label in labels.items()}
    add = by_label["add"]
    assert sorted(labels[source] for source, target in edges if target == add) == \
        ["conv2d_1 (Conv2D)", "conv2d_4 (Conv2D)"]
    # AL205 (a bias before BatchNormalization) marks the three convolutions followed by one, in the info colour
    marked = re.findall(r'^\s+(\w+) \[label="([^"\\]*)[^\]]*AL205", fillcolor="#ddf4ff"', text, re.MULTILINE)
    assert sorted(label for _, label in marked) == ["conv2d (Conv2D)", "conv2d_2 (Conv2D)", "conv2d_3 (Conv2D)"]


def test_helper_calls_are_clusters_nested_as_the_calls_were():
    """conv_bn_relu() once at the top level, downsample() twice, each calling conv_bn_relu() twice: 7 clusters,
    of 3 layers each at the innermost; the input and the head are in none."""
    text = graph(os.path.join(MODELS, "helper_conv_blocks.py"), "--group", "calls").output
    labels = re.findall(r'^(\s*)subgraph c\d+\["([^"]*)"\]', text, re.MULTILINE)
    assert [(len(indent), label) for indent, label in labels] == [
        (2, "conv_bn_relu(), line 18"), (2, "downsample(), line 19"), (4, "conv_bn_relu(), line 13"),
        (4, "conv_bn_relu(), line 14"), (2, "downsample(), line 20"), (4, "conv_bn_relu(), line 13"),
        (4, "conv_bn_relu(), line 14")]
    assert len(mermaid_nodes(text)) == 18  # Input, 5 x (Conv2D, BatchNormalization, ReLU), pooling, Dense


def test_collapse_folds_each_innermost_call_with_its_totals():
    """conv_bn_relu(x, 16) on 3 channels, no bias: 3*3*3*16 + 4*16 (BatchNormalization) = 496 parameters."""
    text = graph(os.path.join(MODELS, "helper_conv_blocks.py"), "--collapse", "--show-params", "--format", "dot").output
    assert 'c0 [label="conv_bn_relu(), line 18 (3 layers)\\n496 params", peripheries=2];' in text
    # Input, the 5 folded calls, pooling and Dense: 8 nodes in a chain of 7 edges
    assert len(dot_nodes(text)) == 8 and len(dot_edges(text)) == 7


@pytest.mark.skipif(KERAS_RESNET is None, reason="Keras is not installed")
def test_resnet50_one_cluster_per_block_call():
    """resnet.py's ResNet50: stack_fn() calls stack_residual_blocks_v1() for 3, 4, 6 and 3 blocks, each block one
    residual_block_v1() call: 16 block clusters in 4 stack clusters inside stack_fn()'s. The stem (conv1_*,
    pool1_*) and the head are built by ResNet() itself, which builds the whole model: no cluster of their own."""
    text = graph(KERAS_RESNET, "--symbol", "ResNet50", "--group", "calls", "--format", "dot").output
    labels = re.findall(r'^\s+label="([^"]*)"; style', text, re.MULTILINE)
    blocks = [label for label in labels if label.startswith("residual_block_v1(): ")]
    assert blocks == [f"residual_block_v1(): conv{stage}_block{i}"
                      for stage, count in ((2, 3), (3, 4), (4, 6), (5, 3)) for i in range(1, count + 1)]
    assert [label for label in labels if label.startswith("stack_residual_blocks_v1")] == \
        [f"stack_residual_blocks_v1(): conv{stage}" for stage in (2, 3, 4, 5)]
    assert len(labels) == 16 + 4 + 1
    # the first block of a stack has the shortcut Conv2D and BatchNormalization: 12 layers, the others 10;
    # with the input, 6 stem layers and 2 head layers: 177 nodes, as many as ResNet50's model.layers
    collapsed = graph(KERAS_RESNET, "--symbol", "ResNet50", "--collapse", "--show-params", "--format", "dot").output
    sizes = re.findall(r'label="residual_block_v1\(\): conv\d_block\d \((\d+) layers\)', collapsed)
    assert sizes == [str(12 if i == 0 else 10) for count in (3, 4, 6, 3) for i in range(count)]
    assert 4 * 12 + 12 * 10 + 9 == 177 == len(dot_nodes(text))
    # conv2_block1 on 64 channels, filters 64: the shortcut 64*256+256 and its BN 4*256; 64*64+64 and BN 4*64;
    # 3*3*64*64+64 and BN 4*64; 64*256+256 and BN 4*256
    first = 16640 + 1024 + 4160 + 256 + 36928 + 256 + 16640 + 1024
    assert f"residual_block_v1(): conv2_block1 (12 layers)\\n{first:,} params" in collapsed


@pytest.mark.skipif(shutil.which("dot") is None, reason="Graphviz's dot is not installed")
def test_graphviz_renders_the_dot(tmp_path):
    """SVG drawn by Graphviz: its node, edge and cluster groups are those of the DOT."""
    out = tmp_path / "model.svg"
    result = graph(os.path.join(MODELS, "helper_conv_blocks.py"), "--group", "calls", "-o", str(out))
    assert result.exit_code == 0, result.output
    svg = ElementTree.parse(out).getroot()
    classes = [g.get("class") for g in svg.iter("{http://www.w3.org/2000/svg}g")]
    assert (classes.count("node"), classes.count("edge"), classes.count("cluster")) == (18, 17, 7)
    png = tmp_path / "model.png"
    assert graph(os.path.join(MODELS, "helper_conv_blocks.py"), "-o", str(png)).exit_code == 0
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_without_graphviz_svg_is_one_line_and_exit_2(monkeypatch, tmp_path):
    monkeypatch.setenv("PATH", str(tmp_path))
    result = CliRunner().invoke(main, ["graph", os.path.join(MODELS, "helper_conv_blocks.py"), "--format", "svg"])
    assert result.exit_code == 2
    assert result.output.count("\n") == 1 and "install Graphviz" in result.output
    # Mermaid and DOT need nothing
    assert graph(os.path.join(MODELS, "helper_conv_blocks.py"), "--format", "dot").exit_code == 0


def test_several_models_need_a_symbol(tmp_path):
    path = tmp_path / "two.py"
    path.write_text("import keras\na = keras.Sequential([keras.Input((4,)), keras.layers.Dense(2)])\n"
                    "b = keras.Sequential([keras.Input((4,)), keras.layers.Dense(3)])\n")
    result = CliRunner().invoke(main, ["graph", str(path)])
    assert result.exit_code == 2 and "choose one with --symbol" in result.output and "a, b" in result.output
    assert CliRunner().invoke(main, ["graph", str(path), "--symbol", "c"]).exit_code == 2
    chosen = graph(str(path), "--symbol", "b", "--show-params")
    assert chosen.exit_code == 0 and "dense_1 (Dense)<br/>15 params" in chosen.output  # 4 * 3 + 3


def test_findings_mark_nodes_by_severity(tmp_path):
    """A bias before BatchNormalization (AL205, info) and a Dense on a feature map (AL201, a warning) in one
    model; a Conv2D whose output would be empty (AL101, an error) in another."""
    path = tmp_path / "warned.py"
    path.write_text("import keras\nfrom keras import layers\nmodel = keras.Sequential([keras.Input((8, 8, 3)), "
                    "layers.Conv2D(8, 3), layers.BatchNormalization(), layers.Dense(2)])\n")
    text = graph(str(path)).output
    assert '  n1["conv2d (Conv2D)<br/>AL205"]' in text and '  n3["dense (Dense)<br/>AL201"]' in text
    assert "  class n1 info\n" in text and "  class n3 warning\n" in text and " error" not in text
    path.write_text("import keras\nfrom keras import layers\n"
                    "model = keras.Sequential([keras.Input((4, 4, 3)), layers.Conv2D(8, 5), layers.Dense(2)])\n")
    text = graph(str(path), "--format", "dot").output
    assert 'n1 [label="conv2d (Conv2D)\\nAL101", fillcolor="#ffebe9", color="#cf222e", penwidth=2];' in text


def test_expand_nested_draws_a_model_used_as_a_layer_inside_a_cluster(tmp_path):
    """The inner Sequential's Dense sits in a cluster named after the model, between the outer input and Dense;
    its own InputLayer is not drawn (the outer tensor enters where it did)."""
    path = tmp_path / "nested.py"
    path.write_text("import keras\nfrom keras import layers\n"
                    "inner = keras.Sequential([keras.Input((5,)), layers.Dense(3, name='hidden')], name='inner')\n"
                    "model = keras.Sequential([keras.Input((5,)), inner, layers.Dense(1, name='out')])\n")
    flat = graph(str(path), "--symbol", "model").output
    assert 'n1["inner (Sequential)"]' in flat
    text = graph(str(path), "--symbol", "model", "--expand-nested").output
    assert text == ('flowchart TB\n  n0["input_layer_1 (InputLayer)"]\n  n2["out (Dense)"]\n'
                    '  subgraph n1_model["inner (Sequential)"]\n    n1_n1["hidden (Dense)"]\n  end\n'
                    "  n0 --> n1_n1\n  n1_n1 --> n2\n")


@pytest.mark.skipif(KERAS_RESNET is None, reason="Keras is not installed")
def test_expand_nested_keras_application_base():
    """MobileNetV2 under a new head: mobilenet_v2.py calls _inverted_res_block() 17 times; collapsed, each is
    one node inside the base model's cluster, and the nodes' parameters add up to Keras's total (416,613)."""
    path = os.path.join(MODELS, "applications_mobilenetv2_frozen_head.py")
    text = graph(path, "--symbol", "model", "--expand-nested", "--collapse", "--show-params", "--format", "dot").output
    assert len(re.findall(r'label="_inverted_res_block\(\): ', text)) == 17
    assert 'label="mobilenetv2_0.35_96 (Functional)"' in text
    params = [int(count.replace(",", "")) for count in re.findall(r"\\n([\d,]+) params", text)]
    assert sum(params) == 416613


def test_markdown_report_draws_nested_models_expanded_when_asked(tmp_path):
    path = tmp_path / "nested.py"
    path.write_text("import keras\nfrom keras import layers\n"
                    "inner = keras.Sequential([keras.Input((5,)), layers.Dense(3, name='hidden')], name='inner')\n"
                    "model = keras.Sequential([keras.Input((5,)), inner, layers.Dense(1, name='out')])\n")
    check = ["check", str(path), "--format", "markdown", "--exit-zero"]
    assert 'subgraph n1_model["inner (Sequential)"]' not in CliRunner().invoke(main, check).output
    expanded = CliRunner().invoke(main, [*check, "--expand-nested"]).output
    assert 'subgraph n1_model["inner (Sequential)"]\n    n1_n1["hidden (Dense)<br/>(None, 3)<br/>18 params"]' in expanded


DATA_SIZED_HEAD = """\
import os

import keras
from keras import layers

classes = os.listdir("classes")


def head(x):
    x = layers.Dense(8, activation="relu")(x)
    return layers.Dense(len(classes))(x)


inputs = keras.Input((4,))
outputs = head(layers.Dense(4, activation="relu")(inputs))
model = keras.Model(inputs, outputs)
"""


def test_counts_of_a_number_read_from_data_are_drawn_as_expressions(tmp_path):
    """In head(): Dense(8) on 4 features, 4*8 + 8 = 40; Dense(n) on 8, 8n + n = 9n. The folded call holds both."""
    path = tmp_path / "head.py"
    path.write_text(DATA_SIZED_HEAD)
    text = graph(str(path), "--collapse", "--show-params", "--format", "dot").output
    assert "9 * len(classes) + 40 params" in text
    drawn = graph(str(path), "--show-params").output
    assert "9 * len(classes) params" in drawn and "40 params" in drawn
    markdown = CliRunner().invoke(main, ["check", "--format", "markdown", str(path)])
    assert markdown.exit_code == 0 and "9 * len(classes) params" in markdown.output
