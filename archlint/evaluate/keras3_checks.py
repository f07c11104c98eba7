"""Calls Keras 3 rejects (AL109) or reads differently from Keras 1/2 (AL110), found as the evaluator meets them.

Each check reports and returns what Keras 3 would have been given, so the analysis goes on
with the meaning the code had.
"""

from __future__ import annotations

from archlint.errors import MeaningChangedInKeras3, RejectedByKeras3
from archlint.evaluate.objects import Function
from archlint.graph import Tensor
from archlint.keras2_arguments import KERNEL_SIDES
from archlint.keras_names import canonical
from archlint.values import LossObject, MetricObject, Ref

# Model methods Keras 3 dropped: the method that replaces each (fit, evaluate and predict take generators).
REMOVED_MODEL_METHODS = {"fit_generator": "fit", "evaluate_generator": "evaluate", "predict_generator": "predict",
                         "predict_classes": "predict", "predict_proba": "predict"}
# Keras 1 keywords of fit, evaluate and predict, and their Keras 3 names (None: gone).
TRAINING_KEYWORDS = {"nb_epoch": "epochs", "samples_per_epoch": "steps_per_epoch", "nb_val_samples": "validation_steps",
                     "show_accuracy": None, "nb_worker": None}
SAVED_MODEL_EXTENSIONS = (".keras", ".h5", ".hdf5")
LOAD_FUNCTIONS = ("keras.models.load_model", "keras.saving.load_model")


def optimizer_arguments(ev, name: str, kwargs: dict, node) -> dict:
    """keras.optimizers.SGD(lr=0.1, decay=1e-6): `lr` is rejected, `decay` ignored."""
    leaf = name.rsplit(".", 1)[-1]
    if "lr" in kwargs:
        ev.report(RejectedByKeras3.code, f"{leaf}: Argument(s) not recognized: lr. Keras 3 spells it learning_rate="
                                         f"{_show(kwargs['lr'])}", node)
        kwargs = {("learning_rate" if key == "lr" else key): value for key, value in kwargs.items()}
    if "decay" in kwargs:
        ev.report(MeaningChangedInKeras3.code,
                  f"{leaf}: Keras 3 ignores decay= (with a warning only), so the learning rate never "
                  "decays: use a keras.optimizers.schedules.InverseTimeDecay learning rate", node)
    return kwargs


def compile_arguments(ev, arguments: dict, node) -> None:
    """compile(metrics="accuracy") or compile(metrics=keras.metrics.AUC()): Keras 3 wants a list, tuple or dict."""
    for key in ("metrics", "weighted_metrics"):
        metric = arguments.get(key)
        if isinstance(metric, str) and metric:
            shown, written = f"the string {metric!r}", repr(metric)
        elif isinstance(metric, (MetricObject, LossObject)) or (isinstance(metric, Ref) and canonical(
                metric.qualname).startswith(("keras.metrics.", "keras.losses."))):
            leaf = metric.qualname.rsplit(".", 1)[-1]
            shown = f"{leaf}()" if isinstance(metric, (MetricObject, LossObject)) else f"the function {leaf}"
            written = shown if isinstance(metric, (MetricObject, LossObject)) else leaf
        elif isinstance(metric, Function):
            shown, written = f"the function {metric.name}", metric.name
        else:
            continue
        ev.report(RejectedByKeras3.code,
                  f"compile(): Expected `{key}` argument to be a list, tuple, or dict, got {shown}: write "
                  f"{key}=[{written}]", node)
        arguments[key] = [metric]


def model_arguments(ev, kwargs: dict, node) -> None:
    """Model(input=..., output=...), Keras 1's spelling of inputs and outputs."""
    old = [key for key in ("input", "output") if key in kwargs]
    if old:
        ev.report(RejectedByKeras3.code,
                  f"Model: Unrecognized keyword arguments passed to Model: {', '.join(old)}. Keras 3 spells "
                  f"them {' and '.join(key + 's=' for key in old)}", node)
        for key in old:
            kwargs.setdefault(key + "s", kwargs.pop(key))


def symbolic_get_shape(ev, tensor: Tensor, tracing: bool, node) -> None:
    if not tensor.eager and not tracing:
        ev.report(RejectedByKeras3.code, "'KerasTensor' object has no attribute 'get_shape': use x.shape", node)


# Keras 1/2 private attributes of a symbolic tensor that held its static shape; Keras 3's KerasTensor has neither.
KERAS2_SHAPE_ATTRIBUTES = ("_keras_shape", "_shape_val")


def keras2_shape_attribute(ev, tensor: Tensor, name: str, tracing: bool, node) -> bool:
    """x._keras_shape on a symbolic tensor: reported; whether the shape it held is what the analysis goes on with."""
    if name not in KERAS2_SHAPE_ATTRIBUTES or tensor.eager or tracing:
        return False
    ev.report(RejectedByKeras3.code, f"'KerasTensor' object has no attribute '{name}': use x.shape", node)
    return True


def layer_shape_attribute(ev, layer, name: str, node) -> None:
    what = "output" if name == "output_shape" else "input"
    ev.report(RejectedByKeras3.code, f"'{layer.type_name}' object has no attribute '{name}' in Keras 3: use "
                                     f"{layer.name or 'layer'}.{what}.shape once the layer is called", node)


def tensorflow_function(ev, name: str, args, kwargs, tracing: bool, node) -> None:
    """A TensorFlow op on a symbolic tensor outside any layer: Keras 3's KerasTensor refuses to become a tf.Tensor."""
    if tracing or not name.startswith("tensorflow."):
        return
    if any(isinstance(value, Tensor) and not value.eager for value in _flat((args, kwargs))):
        shown = "tf." + name[len("tensorflow."):]
        ev.report(RejectedByKeras3.code,
                  f"{shown}(): A KerasTensor cannot be used as input to a TensorFlow function: use the "
                  "keras.ops function of that name, or call it inside a layer's call()", node)


def positional_call_arguments(ev, layer, args, node) -> list:
    """layer(x, True): Keras 3 takes only tensors positionally. The arguments without such values."""
    plain = [value for value in args[1:] if isinstance(value, (bool, int, float, str))]
    if plain:
        ev.report(RejectedByKeras3.code,
                  f"{layer.name} ({layer.type_name}): Only input tensors may be passed as positional "
                  f"arguments; pass {plain[0]!r} by keyword (training={plain[0]!r}, ...)", node)
        return args[:1] + [value for value in args[1:] if not isinstance(value, (bool, int, float, str))]
    return args


def mask_given_positionally(ev, layer, parameters: list[str], args, kwargs, node) -> list:
    """layer(x, None) into call(self, inputs, mask=None): called on one tensor argument, Keras passes mask= itself
    where call() has a `mask` that is None, and Python refuses the second value. The arguments without it.

    `parameters`: call()'s positional parameters after self, which the call's positional arguments fill in order."""
    index = parameters.index("mask") if "mask" in parameters else len(args)
    if index >= len(args) or args[index] is not None:
        return args
    if sum(_is_tensor_argument(value) for value in [*args, *kwargs.values()]) != 1:
        return args
    ev.report(RejectedByKeras3.code,
              f"{layer.name} ({layer.type_name}): {layer.type_name}.call() got multiple values for argument 'mask': "
              "called on one tensor, Keras passes mask= itself; pass mask by keyword or leave it out", node)
    return args[:index] + args[index + 1:] if index == len(args) - 1 else args


def _is_tensor_argument(value) -> bool:
    """What Keras's CallSpec counts as a tensor argument: a tensor, or a non-empty nest of tensors and Nones."""
    if isinstance(value, Tensor):
        return True
    flat = list(_flat(value)) if isinstance(value, (list, tuple, dict)) else []
    return bool(flat) and all(item is None or isinstance(item, Tensor) for item in flat)


def load_model_path(ev, name: str, args, kwargs, node) -> None:
    path = args[0] if args else kwargs.get("filepath")
    if name in LOAD_FUNCTIONS and isinstance(path, str) and not path.endswith(SAVED_MODEL_EXTENSIONS):
        ev.report(RejectedByKeras3.code,
                  f"load_model: File format not supported: filepath={path}. Keras 3 loads only .keras files "
                  "and legacy .h5 files (a SavedModel folder loads as keras.layers.TFSMLayer)", node)


def _flat(value):
    if isinstance(value, (list, tuple)):
        for item in value:
            yield from _flat(item)
    elif isinstance(value, dict):
        for item in value.values():
            yield from _flat(item)
    else:
        yield value


def _show(value) -> str:
    return repr(value) if isinstance(value, (int, float, str)) else "..."


def keras1_kernel_sides(ev, cls, args, kwargs, node) -> None:
    """Conv2D(32, 3, 3): Keras 1's 32 filters of 3x3, and Keras 3's 32 filters of 3x3 with strides 3.

    Only a square Keras 1 kernel: `Conv2D(64, 7, 2)` is far likelier a Keras 2/3 stride than a 7x2 kernel."""
    sides = args[1:3]
    if cls.__name__ in KERNEL_SIDES and len(sides) == 2 and "strides" not in kwargs \
            and all(isinstance(side, int) and not isinstance(side, bool) for side in sides) \
            and sides[0] == sides[1] > 1:
        ev.report(MeaningChangedInKeras3.code,
                  f"{cls.__name__}({', '.join(map(repr, args[:3]))}, ...): the third positional is strides "
                  f"in Keras 3 (Keras 1 read it as the kernel's width): write kernel_size=({sides[0]}, "
                  f"{sides[1]}) for a {sides[0]}x{sides[1]} kernel, or strides={sides[1]} if the stride is "
                  "meant", node)


def removed_model_method(ev, model, name: str, node) -> str:
    """model.fit_generator(...): reported; the Keras 3 method that does it is what the analysis goes on with."""
    instead = REMOVED_MODEL_METHODS[name]
    how = "np.argmax(model.predict(x), axis=-1)" if name == "predict_classes" else f"model.{instead}(...)"
    ev.report(RejectedByKeras3.code,
              f"'{type(model).__name__.replace('Model', '') or 'Model'}' object has no attribute '{name}' in "
              f"Keras 3: use {how}", node)
    return instead


def training_arguments(ev, name: str, kwargs: dict, node) -> None:
    old = [key for key in kwargs if key in TRAINING_KEYWORDS]
    if old:
        spelt = "; ".join(f"{key}= is {TRAINING_KEYWORDS[key]}=" if TRAINING_KEYWORDS[key] else f"{key}= is gone"
                          for key in old)
        ev.report(RejectedByKeras3.code,
                  f"{name}() got an unexpected keyword argument '{old[0]}': in Keras 3, {spelt}", node)
