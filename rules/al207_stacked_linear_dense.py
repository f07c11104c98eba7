"""AL207: a Dense layer without activation feeding another Dense layer: the two are one linear map."""

from archlint.dims import is_size
from archlint.layers import DROPOUT
from archlint.layers.core import Dense
from archlint.layers.normalization import BatchNormalization
from archlint.rules import Rule, applications, describe, finding, input_shape, where

# Between two Dense layers these keep the composition linear (affine, at inference).
LINEAR_BETWEEN = (*DROPOUT, BatchNormalization)


def check(report, settings):
    if report.graph is None:
        return
    graph = report.graph
    for symbol, node in applications(report):
        if not isinstance(node.layer, Dense):
            continue
        first, between = _linear_dense_before(node, graph)
        if first is None or _bottleneck(first, node):
            continue
        via = f" (through {', '.join(describe(n.layer) for n in between)})" if between else ""
        yield finding(RULE.code, f"{describe(first.layer)} has no activation and feeds {describe(node.layer)} "
                                 f"directly{via}: two linear maps in a row are one linear map, so the first adds "
                                 f"parameters but no capacity; give it an activation (activation=\"relu\") or drop it",
                      where(first), symbol, first.layer)


def _linear_dense_before(node, graph):
    """The linear Dense whose output only this node uses, looking through dropout and normalization."""
    between = []
    source = node.inputs[0].node if len(node.inputs) == 1 else None
    while source is not None and isinstance(source.layer, LINEAR_BETWEEN) and len(list(graph.successors(source))) == 1:
        between.insert(0, source)
        source = source.inputs[0].node if len(source.inputs) == 1 else None
    if source is None or not isinstance(source.layer, Dense) or source.layer.activation != "linear":
        return None, []
    if len(list(graph.successors(source))) != 1:
        return None, []
    return source, between


def _bottleneck(first, second) -> bool:
    """A narrow linear layer between wider ones factorizes a large matrix: fewer parameters, on purpose."""
    shape = input_shape(first)
    width = shape[-1] if shape else None
    units = first.layer.units
    if any(is_size(size) for size in (width, units, second.layer.units)):
        return True  # a width read from data (Dense(num_classes)) may be the narrow one: nothing is said
    return isinstance(width, int) and units < width and units < second.layer.units


RULE = Rule(
    code="AL207",
    name="stacked-linear-dense",
    severity="warning",
    summary="a Dense layer without activation feeds another Dense layer (through dropout or normalization at most): "
            "the two collapse into one linear map",
    what="""
        A Dense layer whose activation is linear (none given) and whose only consumer is another
        Dense layer, directly or through Dropout-like layers and BatchNormalization, which keep
        the composition linear. A narrow linear layer between wider ones (a low-rank
        factorization, which saves parameters) is left alone.
        """,
    why="""
        W2 (W1 x + b1) + b2 is W x + b: the stack has exactly the expressive power of a single
        Dense layer, while costing the parameters of both. Usually the activation was
        forgotten (Keras's default is linear), as in Keras 1 code that added Activation layers
        separately and lost one.
        """,
    fix="""
        Give the first layer an activation (`activation="relu"`), or remove it.
        """,
    fires=("""
        import keras
        from keras import layers

        model = keras.Sequential([
            keras.Input(shape=(20,)),
            layers.Dense(64),  # AL207
            layers.Dense(64, activation="relu"),
            layers.Dense(1),
        ])
        """, """
        import keras
        from keras import layers

        inputs = keras.Input(shape=(20,))
        x = layers.Dense(128, activation="relu")(inputs)
        x = layers.Dense(128)(x)  # AL207
        x = layers.Dropout(0.5)(x)
        outputs = layers.Dense(10, activation="softmax")(x)
        model = keras.Model(inputs, outputs)
        """),
    passes=("""
        import keras
        from keras import layers

        model = keras.Sequential([
            keras.Input(shape=(20,)),
            layers.Dense(64),
            layers.Activation("relu"),
            layers.Dense(1),
        ])
        """, """
        import keras
        from keras import layers

        model = keras.Sequential([
            keras.Input(shape=(512,)),
            layers.Dense(32),
            layers.Dense(512, activation="relu"),
        ])
        """),
    check=check,
)
