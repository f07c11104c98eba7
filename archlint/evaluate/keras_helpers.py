"""Keras's own helper functions that model code calls, modelled where their result matters.

Each takes the evaluator's KerasApi and the call's arguments, and returns what Keras's
function would return for them (weights are never loaded: files and downloads are unknown).
"""

from __future__ import annotations

from archlint import dims
from archlint.evaluate import tensor_ops
from archlint.evaluate.builtins import PythonError
from archlint.graph import Tensor
from archlint.values import Ref, Unknown


def _bind(names, defaults, args, kwargs):
    values = dict(zip(names, args))
    for name in names[len(args):]:
        values[name] = kwargs.get(name, defaults.get(name))
    return values


def _refusal(message: str) -> PythonError:
    """What Keras's obtain_input_shape raises on the application's arguments."""
    return PythonError("ValueError", message, library=True)


def obtain_input_shape(api, args, kwargs, node):
    """keras.applications.imagenet_utils.obtain_input_shape, which is pure Python. What it raises on, it raises as
    Keras does, a ValueError with Keras's message: the checked code may catch it, else it is an error of the
    application's arguments (AL106)."""
    a = _bind(["input_shape", "default_size", "min_size", "data_format", "require_flatten", "weights"],
              {"weights": None}, args, kwargs)
    if any(isinstance(v, Unknown) for v in a.values()):
        return api.ev.unknown("obtain_input_shape() with unknown arguments", node)
    input_shape, size, channels_first = a["input_shape"], a["default_size"], a["data_format"] == "channels_first"
    input_shape = None if input_shape is None else tuple(input_shape)
    min_size, imagenet = a["min_size"], a["weights"] == "imagenet"

    if not imagenet and input_shape and len(input_shape) == 3:
        default = (input_shape[0], size, size) if channels_first else (size, size, input_shape[-1])
    else:
        default = (3, size, size) if channels_first else (size, size, 3)
    if imagenet and a["require_flatten"]:
        if input_shape is not None and input_shape != default:
            raise _refusal(f"When setting `include_top=True` and loading `imagenet` weights, `input_shape` should "
                           f"be {default}.  Received: input_shape={input_shape}")
        return default
    if input_shape:
        if len(input_shape) != 3:
            raise _refusal("`input_shape` must be a tuple of three integers.")
        channels, spatial = (input_shape[0], input_shape[1:]) if channels_first else (input_shape[-1], input_shape[:2])
        if channels != 3 and imagenet:
            raise _refusal(f"The input must have 3 channels; Received `input_shape={input_shape}`")
        if any(d is not None and d < min_size for d in spatial):
            raise _refusal(f"Input size must be at least {min_size}x{min_size}; Received: input_shape={input_shape}")
    elif a["require_flatten"]:
        input_shape = default
    else:
        input_shape = (3, None, None) if channels_first else (None, None, 3)
    if a["require_flatten"] and None in input_shape:
        raise _refusal(f"If `include_top` is True, you should specify a static `input_shape`. Received: "
                       f"input_shape={input_shape}")
    return input_shape


def correct_pad(api, args, kwargs, node):
    """keras.applications.imagenet_utils.correct_pad: padding before a strided 'valid' convolution."""
    a = _bind(["inputs", "kernel_size"], {}, args, kwargs)
    inputs, kernel = a["inputs"], a["kernel_size"]
    if not isinstance(inputs, Tensor) or inputs.shape is None or isinstance(kernel, Unknown):
        return api.ev.unknown("correct_pad() of an unknown tensor", node)
    if any(dims.from_data(d) for d in inputs.shape[1:3]):
        return api.ev.unknown("correct_pad() of an image whose size is read from data", node)
    size = tuple(None if dims.is_size(d) else d for d in inputs.shape[1:3])  # an input's unknown axis: None to Keras
    kernel = (kernel, kernel) if isinstance(kernel, int) else tuple(kernel)
    adjust = (1, 1) if size[0] is None else (1 - size[0] % 2, 1 - size[1] % 2)
    correct = (kernel[0] // 2, kernel[1] // 2)
    return ((correct[0] - adjust[0], correct[0]), (correct[1] - adjust[1], correct[1]))


def preprocess_input(api, args, kwargs, node):
    """keras.applications.imagenet_utils.preprocess_input on a channels_last tensor, op for op as Keras does it:
    "tf" scales to [-1, 1]; "caffe" reorders RGB to BGR and adds the negated ImageNet means; "torch" scales to
    [0, 1], adds the negated means and divides by the standard deviations."""
    a = _bind(["x", "data_format", "mode"], {"mode": "caffe"}, args, kwargs)
    x, mode = a["x"], a["mode"]
    if a["data_format"] not in (None, "channels_last") or mode not in ("tf", "caffe", "torch") \
            or not isinstance(x, Tensor) or x.shape is None:
        return api.ev.unknown(f"preprocess_input(mode={mode!r}) of this input is not modelled", node)
    if mode == "tf":
        return api.tensor_binary("Subtract", api.tensor_binary("Divide", x, 127.5, node), 1.0, node)
    if mode == "torch":
        x = api.tensor_binary("Divide", x, 255.0, node)
    else:
        bgr = [api.tensor_subscript(x, (Ellipsis, channel), node) for channel in (2, 1, 0)]
        x = api.apply_tensor_function(tensor_ops.OPS["stack"], [bgr], {"axis": -1}, node)
    if not isinstance(x, Tensor) or x.shape is None:
        return x  # the channel reordering failed (fewer than 3 channels), as reported: the result is unknown
    # The statistics are constants of the graph, shaped to broadcast over the channel axis.
    x = api.tensor_binary("Add", x, Tensor((1,) * (len(x.shape) - 1) + (3,), eager=True), node)
    return api.tensor_binary("Divide", x, Tensor((3,), eager=True), node) if mode == "torch" else x


def get_source_inputs(api, args, kwargs, node):
    """keras.src.ops.operation_utils.get_source_inputs: the Input tensors a tensor depends on."""
    tensor = args[0] if args else kwargs.get("tensor")
    if not isinstance(tensor, Tensor):
        return tensor
    sources, stack, seen = [], [tensor], set()
    while stack:
        current = stack.pop()
        if current.node is None or current.node.is_input:
            if all(current is not s for s in sources):
                sources.append(current)
            continue
        if id(current.node) in seen:
            continue
        seen.add(id(current.node))
        stack.extend(reversed(current.node.inputs))
    return sources


def is_keras_tensor(api, args, kwargs, node):
    value = args[0] if args else kwargs.get("x")
    return isinstance(value, Tensor) and not value.eager


def get_uid(api, args, kwargs, node):
    """keras.backend.get_uid: a per-prefix counter starting at 1."""
    prefix = args[0] if args else kwargs.get("prefix", "")
    api.uids[prefix] = api.uids.get(prefix, 0) + 1
    return api.uids[prefix]


def image_data_format(api, args, kwargs, node):
    return api.image_data_format


def set_image_data_format(api, args, kwargs, node):
    value = args[0] if args else kwargs.get("data_format")
    if isinstance(value, str) and value.lower() in ("channels_last", "channels_first"):
        api.image_data_format = value.lower()
    else:
        api.image_data_format = api.ev.unknown("set_image_data_format() to a value not known statically", node)
    return None


# Keras 1's dim ordering: Theano's layout was channels first, TensorFlow's channels last.
DIM_ORDERINGS = {"th": "channels_first", "tf": "channels_last"}


def set_image_dim_ordering(api, args, kwargs, node):
    """Keras 1's K.set_image_dim_ordering('th'), which Keras 3 lacks (AL107 says so): what it meant."""
    value = args[0] if args else kwargs.get("dim_ordering")
    return set_image_data_format(api, [DIM_ORDERINGS.get(value, value) if isinstance(value, str) else value], {}, node)


def image_dim_ordering(api, args, kwargs, node):
    meant = {format: ordering for ordering, format in DIM_ORDERINGS.items()}
    return meant.get(api.image_data_format, api.ev.unknown("image_dim_ordering() not known statically", node))


# keras.datasets: the (train, test) sizes and array shapes Keras documents; images as channels_last unless
# the code set channels_first (CIFAR); the text sets are arrays of sequences (one entry per review or article).
_IMAGE_SETS = {"mnist": (60000, 10000, (28, 28), ()), "fashion_mnist": (60000, 10000, (28, 28), ()),
               "cifar10": (50000, 10000, (32, 32, 3), (1,)), "cifar100": (50000, 10000, (32, 32, 3), (1,))}
_TABLE_SETS = {"boston_housing": (506, 13), "california_housing": (20640, 8)}


def load_dataset(name):
    def load_data(api, args, kwargs, node):
        if name in _IMAGE_SETS:
            train, test, image, label = _IMAGE_SETS[name]
            if len(image) == 3 and api.image_data_format == "channels_first":
                image = (image[2],) + image[:2]
            elif len(image) == 3 and api.image_data_format != "channels_last":
                return api.ev.unknown("CIFAR images' layout depends on a data format not known statically", node)
        elif name == "imdb":
            train, test, image, label = 25000, 25000, (), ()
        else:
            total, features = _TABLE_SETS.get(name, (11228, None))  # reuters: 11,228 newswires
            split = kwargs.get("test_split", 0.2)
            if not isinstance(split, float) or not 0 <= split < 1:
                return api.ev.unknown(f"{name}.load_data(test_split=...) not known statically", node)
            train = int(total * (1 - split))
            test, image, label = total - train, () if features is None else (features,), ()
        sequences = name in ("imdb", "reuters")
        return ((Tensor((train,) + image, eager=True, of_sequences=sequences), Tensor((train,) + label, eager=True)),
                (Tensor((test,) + image, eager=True, of_sequences=sequences), Tensor((test,) + label, eager=True)))
    return load_data


def to_categorical(api, args, kwargs, node):
    """keras.utils.to_categorical(y, num_classes): a trailing axis of 1 is dropped, num_classes added."""
    labels = args[0] if args else kwargs.get("x")
    classes = args[1] if len(args) > 1 else kwargs.get("num_classes")
    if not isinstance(labels, Tensor) or labels.shape is None or not isinstance(classes, int) or isinstance(classes, bool):
        return api.ev.unknown("to_categorical() without num_classes, or of labels not known statically", node)
    shape = labels.shape[:-1] if len(labels.shape) > 1 and labels.shape[-1] == 1 else labels.shape
    return Tensor(tuple(shape) + (classes,), eager=labels.eager)


def get_activation(api, args, kwargs, node):
    """keras.activations.get: a name is that activation function, None the linear one, a function itself."""
    identifier = args[0] if args else kwargs.get("identifier")
    if identifier is None:
        identifier = "linear"
    if isinstance(identifier, str):
        if tensor_ops.lookup(f"keras.activations.{identifier}") is None:
            return api.ev.unknown(f"activation {identifier!r} is not modelled", node)
        return Ref(f"keras.activations.{identifier}")
    return identifier


def epsilon(api, args, kwargs, node):
    return 1e-7  # Keras's default fuzz factor (keras.config.epsilon)


def no_result(api, args, kwargs, node):
    return None


HELPERS = {
    "keras.applications.imagenet_utils.obtain_input_shape": obtain_input_shape,
    "keras.applications.imagenet_utils.correct_pad": correct_pad,
    "keras.applications.imagenet_utils.validate_activation": no_result,
    "keras.applications.imagenet_utils.preprocess_input": preprocess_input,
    "keras.ops.operation_utils.get_source_inputs": get_source_inputs,
    "keras.utils.get_source_inputs": get_source_inputs,
    "keras.backend.is_keras_tensor": is_keras_tensor,
    "keras.backend.get_uid": get_uid,
    "keras.backend.image_data_format": image_data_format,
    "keras.config.image_data_format": image_data_format,
    "keras.backend.set_image_data_format": set_image_data_format,
    "keras.backend.set_image_dim_ordering": set_image_dim_ordering,
    "keras.backend.image_dim_ordering": image_dim_ordering,
    "keras.utils.to_categorical": to_categorical,
    "keras.utils.np_utils.to_categorical": to_categorical,  # Keras 2's path (AL107), what it meant
    "keras.backend.epsilon": epsilon,
    "keras.activations.get": get_activation,
    "keras.config.epsilon": epsilon,
    **{f"keras.datasets.{name}.load_data": load_dataset(name)
       for name in ("mnist", "fashion_mnist", "cifar10", "cifar100", "imdb", "reuters", "boston_housing",
                    "california_housing")},
    "keras.config.set_image_data_format": set_image_data_format,
}
