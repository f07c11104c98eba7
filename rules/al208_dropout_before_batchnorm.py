"""AL208: Dropout right before BatchNormalization."""

from archlint.layers import DROPOUT
from archlint.layers.core import Activation, ELU, LeakyReLU, PReLU, ReLU
from archlint.layers.normalization import BatchNormalization
from archlint.rules import Rule, applications, describe, finding, producer, where

RANDOM_DROPS = tuple(cls for cls in DROPOUT if cls.__name__ != "Identity")
ACTIVATIONS = (Activation, ReLU, LeakyReLU, ELU, PReLU)


def check(report, settings):
    for symbol, node in applications(report):
        if not isinstance(node.layer, BatchNormalization):
            continue
        source = producer(node)
        while source is not None and isinstance(source.layer, ACTIVATIONS):
            source = producer(source)
        if source is not None and isinstance(source.layer, RANDOM_DROPS):
            yield finding(RULE.code, f"{describe(source.layer)} comes right before {describe(node.layer)}: the "
                                     f"statistics BatchNormalization gathers while training include the dropout noise, "
                                     f"which is gone at inference, so its moving variance is wrong there; put the "
                                     f"dropout after the normalization (or after the last one)",
                          where(source), symbol, source.layer)


RULE = Rule(
    code="AL208",
    name="dropout-before-batchnorm",
    severity="warning",
    summary="a Dropout (or another random-drop or noise layer) feeds BatchNormalization, whose statistics it skews",
    what="""
        BatchNormalization whose input comes from Dropout, SpatialDropout, GaussianDropout,
        AlphaDropout or GaussianNoise, directly or through an activation.
        """,
    why="""
        Dropout scales and zeroes activations only while training. BatchNormalization learns
        its moving mean and variance from those noisy activations, then normalizes the clean
        inference activations with them: the variance shift lowers accuracy at test time
        (Li et al., "Understanding the Disharmony between Dropout and Batch Normalization", 2019).
        """,
    fix="""
        Move the Dropout after the BatchNormalization, or after the last BatchNormalization of
        the block.
        """,
    fires=("""
        import keras
        from keras import layers

        model = keras.Sequential([
            keras.Input(shape=(20,)),
            layers.Dense(64, activation="relu"),
            layers.Dropout(0.5),  # AL208
            layers.BatchNormalization(),
            layers.Dense(1),
        ])
        """,),
    passes=("""
        import keras
        from keras import layers

        model = keras.Sequential([
            keras.Input(shape=(20,)),
            layers.Dense(64, activation="relu"),
            layers.BatchNormalization(),
            layers.Dropout(0.5),
            layers.Dense(1),
        ])
        """,),
    check=check,
)
