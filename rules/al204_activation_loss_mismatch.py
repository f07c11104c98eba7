"""AL204: an output activation the compiled loss does not expect."""

from archlint.dims import is_size
from archlint.layers.base import snake_case
from archlint.layers.conv import WindowedConv
from archlint.layers.core import Activation, Dense, Softmax
from archlint.models import FunctionalModel, SequentialModel
from archlint.rules import Rule, describe, finding, where
from archlint.values import LossObject, Ref

# Cross-entropies by Keras name: what they expect of the output, and where a loss class takes from_logits positionally.
LOSSES = {
    "binary_crossentropy": ("binary", 0),
    "binary_focal_crossentropy": ("binary", 3),
    "categorical_crossentropy": ("categorical", 0),
    "categorical_focal_crossentropy": ("categorical", 2),
    "sparse_categorical_crossentropy": ("categorical", 0),
}
LOSS_ALIASES = {"bce": "binary_crossentropy"}
PROBABILITIES = {"binary": ("sigmoid", "hard_sigmoid"), "categorical": ("softmax",)}
SQUASHING = ("sigmoid", "hard_sigmoid", "softmax")
# Regression losses by Keras name and alias: they compare values, not class probabilities.
REGRESSION = {"mean_squared_error", "mean_absolute_error", "mean_absolute_percentage_error",
              "mean_squared_logarithmic_error", "huber", "log_cosh", "huber_loss", "logcosh"}
REGRESSION_ALIASES = {"mse": "mean_squared_error", "mae": "mean_absolute_error", "mape": "mean_absolute_percentage_error",
                      "msle": "mean_squared_logarithmic_error"}


def check(report, settings):
    for model in report.models:
        compiled = getattr(model.model, "compile_args", None)
        if not compiled or "loss" not in compiled:
            continue
        compiled_at = getattr(model.model, "compile_position", None)
        for output, loss in _losses_by_output(model.model, compiled["loss"]):
            problem = _mismatch(output, loss)
            if problem:
                at_line = f" at {report.line_name(compiled_at.line)}" if compiled_at else ""
                yield finding(RULE.code, f"{describe(output.layer)} {problem} "
                                         f"(loss {_loss_text(loss)} compiled{at_line})", where(output), model.symbol,
                              output.layer)


def _losses_by_output(model, loss):
    """Each output node with the loss compile() gives it: one for all, a list in output order, or a dict by name."""
    if isinstance(model, FunctionalModel):
        outputs = [tensor.node for tensor in model.outputs]
    elif isinstance(model, SequentialModel) and model.layers and model.output_tensor is not None:
        outputs = [model.output_tensor.node]
    else:
        return []
    if isinstance(loss, (list, tuple)):
        return list(zip(outputs, loss))
    if isinstance(loss, dict):
        return [(node, loss[node.layer.name]) for node in outputs if node.layer.name in loss]
    return [(node, loss) for node in outputs]


def _cross_entropy(loss) -> tuple[str, bool] | None:
    """(what the loss expects, from_logits) for a cross-entropy given as a name, function, class or instance."""
    name = _loss_name(loss)
    if name is None:
        return None
    kind, from_logits_at = LOSSES.get(LOSS_ALIASES.get(name, name), (None, 0))
    if kind is None:
        return None
    from_logits = False
    if isinstance(loss, LossObject):
        positional = loss.args[from_logits_at] if len(loss.args) > from_logits_at else False
        from_logits = loss.kwargs.get("from_logits", positional)
    return (kind, from_logits) if isinstance(from_logits, bool) else None


def _regression(loss) -> bool:
    name = _loss_name(loss)
    return name is not None and REGRESSION_ALIASES.get(name, name) in REGRESSION


def _loss_name(loss) -> str | None:
    """A loss given as a name, function, class or instance, by its snake_case name ("categorical_crossentropy")."""
    if isinstance(loss, str):
        return snake_case(loss)
    if isinstance(loss, (Ref, LossObject)):
        return snake_case(loss.qualname.rsplit(".", 1)[-1])
    return None


def _activation(layer) -> str | None:
    if isinstance(layer, Softmax):
        return "softmax"
    if isinstance(layer, (Dense, Activation, WindowedConv)):
        return layer.activation
    return None


def _mismatch(output, loss) -> str | None:
    expected, activation = _cross_entropy(loss), _activation(output.layer)
    shape = output.outputs[0].shape if len(output.outputs) == 1 else None
    if _regression(loss) and activation in SQUASHING and shape:
        if activation == "softmax":
            return (f"ends in softmax over {shape[-1]} units, whose outputs sum to 1, but a regression loss compares "
                    f"them as values: for classes use categorical cross-entropy; for values drop the softmax")
        return (f"ends in {activation}, which only reaches values in (0, 1), with a regression loss: for classes use "
                f"binary cross-entropy; for values drop the {activation} unless the targets are scaled into (0, 1)")
    if expected is None or activation is None or not shape:
        return None
    kind, from_logits = expected
    units = shape[-1]
    if from_logits:
        if activation in SQUASHING:
            return (f"ends in {activation}, but from_logits=True makes the loss apply "
                    f"{'softmax' if kind == 'categorical' else 'sigmoid'} again: drop from_logits=True or the activation")
        return None
    if activation in PROBABILITIES[kind]:
        return None
    if kind == "binary" and activation == "softmax":
        if units == 1 or is_size(units):
            return None  # AL203 says what is wrong with it; a number read from data may be 1
        return (f"ends in softmax over {units} units, but binary cross-entropy scores each unit as its own yes/no: "
                f"use categorical cross-entropy, or sigmoid for independent labels")
    if kind == "categorical" and activation in PROBABILITIES["binary"]:
        return (f"ends in {activation}, whose outputs do not sum to 1 as categorical cross-entropy expects: "
                f"use softmax, or binary cross-entropy for independent labels")
    wanted = PROBABILITIES[kind][0]
    ending = "no activation" if activation == "linear" else activation
    return (f"ends in {ending}, but the loss expects probabilities: add {wanted} to the output or pass "
            f"from_logits=True")


def _loss_text(loss) -> str:
    if isinstance(loss, LossObject):
        arguments = [repr(a) for a in loss.args] + [f"{k}={v!r}" for k, v in loss.kwargs.items()]
        return f"{loss.qualname.rsplit('.', 1)[-1]}({', '.join(arguments)})"
    return repr(loss) if isinstance(loss, str) else loss.qualname.rsplit(".", 1)[-1]


RULE = Rule(
    code="AL204",
    name="activation-loss-mismatch",
    severity="warning",
    summary="the output activation and the compiled loss disagree (sigmoid with categorical cross-entropy, softmax "
            "with binary cross-entropy on >1 unit, `from_logits=True` on a softmax output, a linear output with "
            "cross-entropy, softmax or sigmoid with a regression loss such as mse)",
    what="""
        A model compiled with a cross-entropy loss (binary, categorical, sparse categorical,
        or their focal variants; by name, function or loss object) whose output layer's
        activation does not produce what the loss expects: softmax or sigmoid outputs with
        `from_logits=True`, sigmoid with categorical cross-entropy, softmax over several units
        with binary cross-entropy, or a linear output without `from_logits=True`; or a softmax or
        sigmoid output compiled with a regression loss (mean squared or absolute error, Huber,
        log-cosh). The loss is read from `model.compile(...)`; a list or dict of losses is
        matched to the outputs.
        """,
    why="""
        Keras trains such a model without complaint, but the loss is computed on the wrong
        quantity: probabilities squashed a second time give tiny, flat gradients, outputs
        that do not sum to one make categorical cross-entropy meaningless, and unbounded
        outputs are clipped into [0, 1]. Accuracy stalls or is misreported.
        """,
    fix="""
        Pair softmax with (sparse) categorical cross-entropy and sigmoid with binary
        cross-entropy, or keep the output linear and pass `from_logits=True` to the loss,
        which is also numerically safer.
        """,
    fires=("""
        import keras
        from keras import layers

        model = keras.Sequential([
            keras.Input(shape=(20,)),
            layers.Dense(64, activation="relu"),
            layers.Dense(10, activation="softmax"),  # AL204
        ])
        model.compile(optimizer="adam", loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True))
        """, """
        import keras
        from keras import layers

        inputs = keras.Input(shape=(20,))
        x = layers.Dense(64, activation="relu")(inputs)
        outputs = layers.Dense(5, activation="sigmoid")(x)  # AL204
        model = keras.Model(inputs, outputs)
        model.compile("adam", "categorical_crossentropy")
        """, """
        import keras
        from keras import layers

        model = keras.Sequential([
            keras.Input(shape=(20,)),
            layers.Dense(3, activation="softmax"),  # AL204
        ])
        model.compile(optimizer="adam", loss="binary_crossentropy")
        """, """
        import keras
        from keras import layers

        model = keras.Sequential([
            keras.Input(shape=(20,)),
            layers.Dense(10),  # AL204
        ])
        model.compile(optimizer="adam", loss=keras.losses.categorical_crossentropy)
        """, """
        import keras
        from keras import layers

        model = keras.Sequential([
            keras.Input(shape=(20,)),
            layers.Dense(10, activation="softmax"),  # AL204
        ])
        model.compile(optimizer="sgd", loss="mean_squared_error")
        """),
    passes=("""
        import keras
        from keras import layers

        model = keras.Sequential([
            keras.Input(shape=(20,)),
            layers.Dense(64, activation="relu"),
            layers.Dense(10),
        ])
        model.compile(optimizer="adam", loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True))
        """, """
        import keras
        from keras import layers

        model = keras.Sequential([
            keras.Input(shape=(20,)),
            layers.Dense(10, activation="softmax"),
        ])
        model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
        """, """
        import keras
        from keras import layers

        model = keras.Sequential([
            keras.Input(shape=(20,)),
            layers.Dense(1, activation="sigmoid"),
        ])
        model.compile(optimizer="adam", loss=keras.losses.BinaryCrossentropy())
        """, """
        import keras
        from keras import layers

        model = keras.Sequential([
            keras.Input(shape=(20,)),
            layers.Dense(1),
        ])
        model.compile(optimizer="adam", loss="mse")
        """),
    check=check,
)
