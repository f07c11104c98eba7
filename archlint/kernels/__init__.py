"""The NumPy kernels the layers' forwards call, as Keras's layers call `keras.ops`: convolutions
(im2col, Winograd, padding), activations and the thread pool they share.

They take and return arrays only: nothing here knows layers, weights or the analysis, and the
arrays belong to whoever calls (the runtime's execution). NumPy is imported on first use, so
that a check without --verify never loads it.
"""

import importlib


class _LazyModule:
    """Imports a heavy module on first use, so that start-up stays fast."""

    def __init__(self, name: str):
        self._name = name

    def __getattr__(self, attr: str):
        value = getattr(importlib.import_module(self._name), attr)
        setattr(self, attr, value)  # later look-ups find it here, without this call
        return value


np = _LazyModule("numpy")
