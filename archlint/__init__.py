"""archlint: static shape, parameter and rule checks for Keras model source."""

__version__ = "0.1.0"


def load_ipython_extension(ipython) -> None:
    """`%load_ext archlint`: the `%%archlint` and `%archlint` magics (see archlint.jupyter)."""
    from archlint.jupyter import load_ipython_extension as load

    load(ipython)
