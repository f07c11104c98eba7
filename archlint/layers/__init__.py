"""Every modelled Keras layer, registered by class name and aliases."""

from archlint.layers.base import REGISTRY, Layer, register  # noqa: F401
from archlint.layers import (  # noqa: F401  (importing a family registers its layers)
    attention, augmentation, conv, core, embedding, merge, normalization, pooling, preprocessing, reshaping, rnn,
    spatial,
)
