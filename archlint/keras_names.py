"""One resolver from whatever the source wrote to Keras's canonical names.

`tf.keras.layers.MaxPool2D`, `tensorflow.keras.layers.MaxPool2D`, `keras.layers.pooling.MaxPool2D`
and `keras.src.layers.MaxPool2D` all become the MaxPooling2D layer class; nothing else in
archlint matches strings against Keras's namespace.
"""

from __future__ import annotations

from archlint.layers import REGISTRY
from archlint.layers.base import Layer

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


def layer_class(qualname: str) -> type[Layer] | None:
    """The modelled layer class a name refers to, if any."""
    parts = canonical(qualname).split(".")
    if len(parts) >= 3 and parts[0] == "keras" and parts[1] == "layers":
        return REGISTRY.get(parts[-1])
    return None


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
