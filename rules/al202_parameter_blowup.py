"""AL202: one layer holding most of the model, or a model above its parameter budget."""

from archlint.config import read_count, read_share
from archlint.dims import format_shape, is_size, product
from archlint.layers import DROPOUT, ELEMENTWISE
from archlint.layers.conv import WindowedConv
from archlint.layers.core import Dense, Flatten
from archlint.layers.pooling import BasePooling
from archlint.rules import Option, Rule, describe, finding, upstream, where


def check(report, settings):
    flagged: set[int] = set()  # a layer listed by two models (a nested one and its parent) is reported once
    budget, most = settings.option("max-params"), settings.option("max-layer-param-share")
    for model in report.models:
        if is_size(model.total_params):
            continue  # a count depending on numbers read from data has no one size to compare
        if budget is not None and model.total_params > budget:
            yield _over_budget(model, budget)
        if not model.complete or not model.total_params:
            continue  # an unresolved part would inflate every share
        for row in model.layers:
            share = (row.params or 0) / model.total_params
            if share > most and id(row.layer) not in flagged:
                message = _flattened_map_message(row, model.total_params, share)
                if message:
                    flagged.add(id(row.layer))
                    yield finding(RULE.code, message, where(row.nodes[0]), model.symbol, row.layer)


def _flattened_map_message(row, total: int, share: float) -> str | None:
    """What a Dense fed by Flatten of a convolution's or pooling's map would hold with less to flatten."""
    if not isinstance(row.layer, Dense) or not row.nodes:
        return None
    flatten = upstream(row.nodes[0], DROPOUT)
    if flatten is None or not isinstance(flatten.layer, Flatten):
        return None
    source = upstream(flatten, ELEMENTWISE)
    feature_map = flatten.inputs[0].shape
    if source is None or not isinstance(source.layer, (WindowedConv, BasePooling)) or feature_map is None:
        return None
    spatial, channels = source.layer.spatial(feature_map), source.layer.channels(feature_map)
    if None in spatial or channels is None:
        return None
    rank = len(spatial)
    message = (f"{describe(row.layer)} holds {row.params:,} of the model's {total:,} parameters "
               f"({int(share * 100)}%): Flatten turns the {format_shape(feature_map)} map into "
               f"{product(feature_map[1:]):,} features. With GlobalAveragePooling{rank}D instead of Flatten it would "
               f"hold {_dense_params(row.layer, channels):,}")
    if min(spatial) >= 2:
        pooled = product(d // 2 for d in spatial) * channels
        message += f"; with one more MaxPooling{rank}D before Flatten, {_dense_params(row.layer, pooled):,}"
    return message


def _dense_params(dense: Dense, features: int) -> int:
    lora = dense.lora_rank or 0
    return features * (dense.units + lora) + lora * dense.units + (dense.units if dense.use_bias else 0)


def _over_budget(model, budget: int):
    largest = max((row for row in model.layers if row.params), key=lambda row: row.params, default=None)
    note = f"; its largest layer is {describe(largest.layer)} with {largest.params:,}" if largest else ""
    # Layers called eagerly have no model object: their entry starts at the first of them.
    position = getattr(model.model, "origin", None) or where(model.layers[0].nodes[0])
    return finding(RULE.code, f"model `{model.symbol}` has {model.total_params:,} parameters, above the max-params "
                              f"budget of {budget:,}{note}", position, model.symbol)


RULE = Rule(
    code="AL202",
    name="parameter-blowup",
    severity="warning",
    summary="parameter blowup: one layer holds most of the model's parameters, typically Dense after Flatten of a "
            "large feature map (threshold configurable)",
    what="""
        A Dense layer fed by Flatten of a convolution's or pooling's feature map that holds
        more than `max-layer-param-share` of its model's parameters (default 0.5). The message
        gives the parameter count the layer would have with GlobalAveragePooling instead of
        Flatten, and with one more 2x pooling before Flatten. With `max-params` set, a model
        with more parameters than that budget is flagged too, at the model.
        """,
    why="""
        Flattening a large map multiplies its height, width and channels into the Dense
        layer's input: such a layer can hold nearly all of a network's weights (VGG16's first
        Dense has 103 of its 138 million), costing memory and training time and inviting
        overfitting, while the convolutions do the actual feature extraction.
        """,
    fix="""
        Replace Flatten with GlobalAveragePooling2D (1D, 3D), or downsample further before
        Flatten (another pooling or strided convolution), or use fewer units.
        """,
    fires=("""
        import keras
        from keras import layers

        model = keras.Sequential([
            keras.Input(shape=(128, 128, 3)),
            layers.Conv2D(32, 3, activation="relu"),
            layers.MaxPooling2D(),
            layers.Conv2D(64, 3, activation="relu"),
            layers.MaxPooling2D(),
            layers.Flatten(),
            layers.Dense(128, activation="relu"),  # AL202
            layers.Dense(10, activation="softmax"),
        ])
        """,),
    passes=("""
        import keras
        from keras import layers

        model = keras.Sequential([
            keras.Input(shape=(128, 128, 3)),
            layers.Conv2D(32, 3, activation="relu"),
            layers.MaxPooling2D(),
            layers.Conv2D(64, 3, activation="relu"),
            layers.MaxPooling2D(),
            layers.GlobalAveragePooling2D(),
            layers.Dense(128, activation="relu"),
            layers.Dense(10, activation="softmax"),
        ])
        """, """
        import keras
        from keras import layers

        model = keras.Sequential([
            keras.Input(shape=(28, 28)),
            layers.Flatten(),
            layers.Dense(512, activation="relu"),
            layers.Dense(10, activation="softmax"),
        ])
        """),
    check=check,
    options=(
        Option("max-layer-param-share", 0.5, read_share, "the share of a model's parameters one layer may hold"),
        Option("max-params", None, read_count, "flag models with more parameters than this"),
    ),
)
