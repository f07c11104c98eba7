"""archlint's version, which the package, the command line and the reports give."""

__version__ = "0.1.0"
