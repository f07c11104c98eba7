"""archlint: static shape, parameter and rule checks for Keras model source."""

__version__ = "0.1.0"
