"""Every modelled Keras layer, registered by class name and aliases."""

from archlint.keras_names import canonical
from archlint.layers.base import REGISTRY, Layer, register  # noqa: F401
from archlint.layers import (  # noqa: F401  (importing a family registers its layers)
    attention, augmentation, conv, conv_rnn, core, embedding, merge, normalization, pooling, preprocessing, reshaping,
    rnn, spatial,
)
from archlint.layers.core import (
    ELU, Activation, AlphaDropout, Dropout, GaussianDropout, GaussianNoise, Identity, LeakyReLU, PReLU, ReLU,
    SpatialDropout1D, SpatialDropout2D, SpatialDropout3D,
)
from archlint.layers.normalization import BatchNormalization

DROPOUT = (Dropout, SpatialDropout1D, SpatialDropout2D, SpatialDropout3D, GaussianDropout, AlphaDropout, GaussianNoise,
           Identity)
# Layers that change values but neither the shape nor what the axes mean: the graph rules look through them.
ELEMENTWISE = (Activation, ReLU, LeakyReLU, ELU, PReLU, BatchNormalization, *DROPOUT)


def layer_class(qualname: str) -> type[Layer] | None:
    """The modelled layer class a name refers to, if any."""
    parts = canonical(qualname).split(".")
    if len(parts) >= 3 and parts[0] == "keras" and parts[1] == "layers":
        return REGISTRY.get(parts[-1])
    return None
