"""archlint: static shape, parameter and rule checks for Keras model source.

`archlint.check_source(code, path)` and `archlint.check_paths(paths)` return a `Report` (see
archlint.api); importing archlint loads neither them nor the analysis until first used.
"""

from archlint.version import __version__  # noqa: F401

_API = ("check_source", "check_paths", "check_file", "load_settings", "Report", "ConfigError")


def __getattr__(name: str):
    if name in _API:
        from archlint import api

        return getattr(api, name)
    raise AttributeError(f"module 'archlint' has no attribute {name!r}")


def __dir__():
    return sorted([*globals(), *_API])


def load_ipython_extension(ipython) -> None:
    """`%load_ext archlint`: the `%%archlint` and `%archlint` magics (see archlint.jupyter)."""
    from archlint.jupyter import load_ipython_extension as load

    load(ipython)
