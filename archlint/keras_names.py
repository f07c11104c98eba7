"""One resolver from whatever the source wrote to Keras's canonical names.

`tf.keras.layers.MaxPool2D`, `tensorflow.keras.layers.MaxPool2D`, `keras.layers.pooling.MaxPool2D`
and `keras.src.layers.MaxPool2D` all become the MaxPooling2D layer class; nothing else in
archlint matches strings against Keras's namespace.
"""

from __future__ import annotations

import difflib

# Namespaces that are Keras under another name (tf.keras is Keras 3 since TensorFlow 2.16).
_KERAS_PREFIXES = ("tensorflow.keras", "tensorflow.python.keras", "tf_keras", "keras.src", "keras._tf_keras.keras",
                   "keras.api", "tensorflow.compat.v2.keras")


def canonical(qualname: str) -> str:
    """`tensorflow.keras.layers.Dense` -> `keras.layers.Dense`; other names unchanged."""
    for prefix in _KERAS_PREFIXES:
        if qualname == prefix or qualname.startswith(prefix + "."):
            return "keras" + qualname[len(prefix):]
    return qualname


def is_keras(qualname: str) -> bool:
    name = canonical(qualname)
    return name == "keras" or name.startswith("keras.")


def is_keras_layer_name(qualname: str) -> bool:
    """A name under keras.layers that looks like a layer class (modelled or not)."""
    parts = canonical(qualname).split(".")
    return len(parts) >= 3 and parts[:2] == ["keras", "layers"] and parts[-1][:1].isupper()


# The functional forms of the merge layers: keras.layers.add(inputs) == Add()(inputs).
MERGE_FUNCTIONS = {
    "add": "Add", "subtract": "Subtract", "multiply": "Multiply", "average": "Average",
    "maximum": "Maximum", "minimum": "Minimum", "concatenate": "Concatenate", "dot": "Dot",
}


def merge_function(qualname: str) -> str | None:
    parts = canonical(qualname).split(".")
    if len(parts) >= 3 and parts[:2] == ["keras", "layers"]:
        return MERGE_FUNCTIONS.get(parts[-1])
    return None


# Spellings checked against Keras 3's public API, as written: `keras.src`, `keras.api` and other internal paths
# are not public and not checked.
_CHECKED_PREFIXES = {"keras": "keras", "tensorflow.keras": "tf.keras"}
# Keras 2 layers that Keras 3 dropped, and what replaces them.
_REMOVED_LAYERS = {
    "CuDNNLSTM": "keras.layers.LSTM (it uses cuDNN by itself)",
    "CuDNNGRU": "keras.layers.GRU (it uses cuDNN by itself)",
    "ThresholdedReLU": "keras.layers.ReLU(threshold=...)",
    "LocallyConnected1D": "a Conv1D, or a custom layer",
    "LocallyConnected2D": "a Conv2D, or a custom layer",
    "DenseFeatures": "keras.utils.FeatureSpace",
}
# Keras 1/2 names outside keras.layers that Keras 3 dropped, and what replaces them.
_REMOVED_NAMES = {
    "keras.backend.set_image_dim_ordering": "keras.backend.set_image_data_format (Theano's 'th' is "
                                            "'channels_first', 'tf' is 'channels_last')",
    "keras.backend.image_dim_ordering": "keras.backend.image_data_format() ('channels_first' for Theano's 'th')",
    "keras.layers.Merge": "the merge layers (keras.layers.Add, Concatenate, Multiply, Dot, ...)",
    "keras.layers.merge": "the merge layers: keras.layers.Add()(inputs) for mode='sum', Concatenate(axis=...) for "
                          "'concat', Multiply for 'mul', Average for 'ave', Maximum for 'max', Dot for 'dot'",
    "keras.utils.np_utils": "keras.utils (keras.utils.to_categorical)",
}


def missing_from_keras3(qualname: str) -> str | None:
    """Why `qualname` does not exist in Keras 3 when it is the first part of it that does not (a message);
    None when it exists, when an earlier part is already missing, or when it is no public Keras path."""
    from archlint import keras3_names as api  # 1,500 names: loaded when a Keras name is first checked

    spelt = next((shown for prefix, shown in _CHECKED_PREFIXES.items() if qualname.startswith(prefix + ".")), None)
    if spelt is None:
        return None
    parts = ("keras" + qualname[len("tensorflow.keras"):] if spelt == "tf.keras" else qualname).split(".")
    modules, names = (api.MODULES, api.NAMES) if spelt == "keras" else \
        (api.MODULES | api.TF_KERAS_MODULES, api.NAMES | api.TF_KERAS_NAMES)
    for length in range(2, len(parts) + 1):
        path = ".".join(parts[:length])
        if path in modules:
            continue
        if path in names or parts[length - 1].startswith("_") or parts[1] in ("src", "api"):
            return None  # a class or function: what follows are its attributes
        if length < len(parts):
            return None  # reported where its first missing part was used
        return _missing_message(spelt + path[len("keras"):], parts, modules, names)
    return None


def star_import_has(module: str, name: str) -> bool | None:
    """Whether `from module import *` binds `name`, for a public Keras module; None for any other module."""
    from archlint import keras3_names as api

    spelt = next((prefix for prefix in _CHECKED_PREFIXES if module == prefix or module.startswith(prefix + ".")), None)
    if spelt is None:
        return None
    path = "keras" + module[len(spelt):] + "." + name
    modules, names = (api.MODULES, api.NAMES) if spelt == "keras" else \
        (api.MODULES | api.TF_KERAS_MODULES, api.NAMES | api.TF_KERAS_NAMES)
    if "keras" + module[len(spelt):] not in modules:
        return None
    return path in names or path in modules


def _missing_message(shown: str, parts: list[str], modules, names) -> str:
    parent, leaf = ".".join(parts[:-1]), parts[-1]
    message = f"`{shown}` does not exist in Keras {_version()}"
    if parent == "keras.layers" and leaf in _REMOVED_LAYERS:
        return f"{message}: Keras 3 removed it; use {_REMOVED_LAYERS[leaf]}"
    if ".".join(parts) in _REMOVED_NAMES:
        return f"{message}: Keras 3 removed it; use {_REMOVED_NAMES['.'.join(parts)]}"
    if parent.startswith("keras.layers") and not leaf[:1].isupper():
        return f"{message}: Keras 3 has every layer directly in keras.layers (keras.layers.Rescaling, ...)"
    siblings = {name.rsplit(".", 1)[1] for name in names | modules if name.startswith(parent + ".")}
    close = [name for name in siblings if name.lower() == leaf.lower()] or difflib.get_close_matches(leaf, siblings, n=1)
    return f"{message}: did you mean {shown.rsplit('.', 1)[0]}.{close[0]}?" if close else message


def _version() -> str:
    from archlint import keras3_names

    return keras3_names.KERAS_VERSION.split(".")[0]
