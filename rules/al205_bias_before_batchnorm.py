"""AL205: a bias that the BatchNormalization right after it subtracts away."""

from archlint.layers.conv import WindowedConv
from archlint.layers.core import Dense
from archlint.layers.normalization import BatchNormalization
from archlint.models import FunctionalModel
from archlint.rules import Rule, applications, describe, finding, where


def check(report, settings):
    if report.graph is None:
        return  # the file did not parse
    graph = report.graph
    model_outputs = {id(tensor) for model in report.models if isinstance(model.model, FunctionalModel)
                     for tensor in model.model.outputs}
    flagged: set[int] = set()
    for symbol, node in applications(report):
        layer = node.layer
        if id(layer) in flagged or not _linear_bias(layer):
            continue
        # Every application must feed only such BatchNormalizations: the shared bias matters wherever one does not.
        normalizations = [_cancelling_normalizations(n, graph, model_outputs) for n in graph.nodes_of(layer)]
        if all(normalizations):
            flagged.add(id(layer))
            names = ", ".join(dict.fromkeys(describe(bn.layer) for found in normalizations for bn in found))
            yield finding(RULE.code, f"{describe(layer)} adds a bias that {names} cancels right after by subtracting "
                                     f"the mean: pass use_bias=False to save its {layer.bias.size:,} parameters "
                                     f"(BatchNormalization's own offset, beta, takes its place)",
                          where(node), symbol, layer)


def _linear_bias(layer) -> bool:
    """A bias added last, with no activation after it (one in between would keep it from cancelling)."""
    return isinstance(layer, (Dense, WindowedConv)) and getattr(layer, "bias", None) is not None \
        and layer.activation == "linear"


def _cancelling_normalizations(node, graph, model_outputs) -> list:
    """The BatchNormalizations normalizing the node's output over its bias axis; [] unless they are all that use it."""
    tensor = node.outputs[0] if len(node.outputs) == 1 else None
    if tensor is None or tensor.shape is None or id(tensor) in model_outputs:
        return []
    rank = len(tensor.shape)
    bias_axis = 1 if getattr(node.layer, "data_format", "channels_last") == "channels_first" else rank - 1
    consumers = list(graph.successors(node))
    if consumers and all(isinstance(c.layer, BatchNormalization) and c.layer.axis % rank == bias_axis
                         for c in consumers):
        return consumers
    return []


RULE = Rule(
    code="AL205",
    name="bias-before-batchnorm",
    severity="info",
    summary="a bias feeds straight into BatchNormalization, which cancels it",
    what="""
        A Dense or convolution layer with a bias and no activation whose output goes only to
        BatchNormalization layers normalizing over the bias's axis (the channel axis).
        """,
    why="""
        BatchNormalization subtracts the mean of each channel, which removes any constant
        added to that channel: the bias never changes the output and its gradient is zero.
        It wastes parameters and memory; BatchNormalization's beta already provides the offset.
        """,
    fix="""
        Pass use_bias=False to the layer before BatchNormalization.
        """,
    fires=("""
        import keras
        from keras import layers

        model = keras.Sequential([
            keras.Input(shape=(32, 32, 3)),
            layers.Conv2D(32, 3),  # AL205
            layers.BatchNormalization(),
            layers.Activation("relu"),
        ])
        """, """
        import keras
        from keras import layers

        inputs = keras.Input(shape=(16,))
        x = layers.Dense(64)(inputs)  # AL205
        x = layers.BatchNormalization()(x)
        model = keras.Model(inputs, x)
        """),
    passes=("""
        import keras
        from keras import layers

        model = keras.Sequential([
            keras.Input(shape=(32, 32, 3)),
            layers.Conv2D(32, 3, use_bias=False),
            layers.BatchNormalization(),
            layers.Activation("relu"),
        ])
        """, """
        import keras
        from keras import layers

        model = keras.Sequential([
            keras.Input(shape=(32, 32, 3)),
            layers.Conv2D(32, 3, activation="relu"),
            layers.BatchNormalization(),
        ])
        """, """
        import keras
        from keras import layers

        inputs = keras.Input(shape=(32, 32, 16))
        x = layers.Conv2D(16, 3, padding="same")(inputs)
        y = layers.BatchNormalization()(x)
        outputs = layers.Add()([x, y])
        model = keras.Model(inputs, outputs)
        """, """
        import keras
        from keras import layers

        inputs = keras.Input(shape=(32, 32, 16))
        x = layers.Conv2D(16, 3)(inputs)
        x = layers.BatchNormalization(axis=1)(x)
        model = keras.Model(inputs, x)
        """),
    check=check,
)
