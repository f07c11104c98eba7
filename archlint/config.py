"""Settings: `[tool.archlint]` in the nearest pyproject.toml (or the file --config names), then command-line options.

    [tool.archlint]
    select = ["AL1", "AL2"]                  # codes, prefixes or rule names
    ignore = ["bias-before-batchnorm"]
    per-file-ignores = { "tests/*" = ["missing-input-shape"] }
    fail-on = "error"                        # error, warning, info or never
    exclude = ["build", "legacy/*.py"]
    extend-include = ["*.md"]                # also search directories for these (besides *.py and *.ipynb)
    severity = { AL205 = "warning" }         # default severities overridden
    max-layer-param-share = 0.5              # a rule's own option (AL202's), as its Option declares it
    max-params = 10_000_000                  # AL202's too, off unless set
    input-shapes = { image = "224,224,3" }
    max-analysis-seconds = 3                 # seconds (wall time) one file's analysis may take
    jobs = 4                                 # processes analysing files at once (default: one per core)
    cache = true                             # keep reports in the cache folder (false: --no-cache)
    cache-dir = ".archlint_cache"            # the cache folder, relative to this file

A pattern without "/" matches any file or directory name on the path; one with "/" matches
the path relative to the settings file's directory (the current directory without one).
"""

from __future__ import annotations

import fnmatch
import os
import re
from dataclasses import dataclass, field

try:
    import tomllib
except ModuleNotFoundError:  # Python 3.10
    import tomli as tomllib

from archlint.rules import resolve, rule_options

SEVERITIES = ("error", "warning", "info")
DEFAULT_BUDGET = 2 * 1024 ** 3  # the memory --verify may use
SIZE_UNITS = {"": 1, "K": 1024, "M": 1024 ** 2, "G": 1024 ** 3, "T": 1024 ** 4}
FAIL_ON = (*SEVERITIES, "never")


class ConfigError(Exception):
    """Settings archlint cannot use: the command line reports it as a usage error."""


@dataclass
class Settings:
    root: str = "."
    select: tuple[str, ...] = ()
    ignore: tuple[str, ...] = ()
    per_file_ignores: dict[str, tuple[str, ...]] = field(default_factory=dict)
    fail_on: str = "warning"
    exclude: tuple[str, ...] = ()
    extend_include: tuple[str, ...] = ()
    severity: dict[str, str] = field(default_factory=dict)
    options: dict[str, object] = field(default_factory=dict)  # rules' own options as set (rules.Option), by name
    input_shapes: dict[str, tuple[int | str | None, ...]] = field(default_factory=dict)
    assume_imports: bool = False  # analyse fragments as if the usual Keras imports were there
    max_analysis_seconds: float | None = None  # None: the evaluator's default
    verify_budget: int | None = None  # --verify: bytes the NumPy runtime may use; None: no verification
    python: str | None = None  # the interpreter whose installed packages are read; None: the one running archlint
    jobs: int | None = None  # processes analysing files at once; None: one per core
    cache: bool = True  # reports kept in and read from the cache folder
    cache_dir: str | None = None  # the cache folder; None: ARCHLINT_CACHE_DIR, else .archlint_cache here

    def option(self, name: str):
        """A rule's option: as the settings set it, else the rule's default."""
        return self.options[name] if name in self.options else rule_options()[name].default

    def selected(self, code: str, path: str) -> bool:
        if self.select and not code.startswith(self.select):
            return False
        ignored = self.ignore + tuple(code for pattern, codes in self.per_file_ignores.items()
                                      if self.matches(path, pattern) for code in codes)
        return not code.startswith(ignored)

    def severity_of(self, code: str, default: str) -> str:
        """The configured severity of a code: the longest matching code or prefix wins."""
        matching = [key for key in self.severity if code.startswith(key)]
        return self.severity[max(matching, key=len)] if matching else default

    def excluded(self, path: str) -> bool:
        return any(self.matches(path, pattern) for pattern in self.exclude)

    def included(self, path: str) -> bool:
        """Whether a directory search takes this file: Python files, notebooks, and what `extend-include` adds."""
        return path.endswith((".py", ".ipynb")) or any(self.matches(path, pattern) for pattern in self.extend_include)

    def matches(self, path: str, pattern: str) -> bool:
        relative = os.path.relpath(os.path.abspath(path), os.path.abspath(self.root)).replace(os.sep, "/")
        parts = relative.split("/")
        pattern = pattern.strip("/")
        if "/" not in pattern:
            return any(fnmatch.fnmatchcase(part, pattern) for part in parts)
        return any(fnmatch.fnmatchcase("/".join(parts[:i]), pattern) for i in range(1, len(parts) + 1))


def find_config(start: str) -> str | None:
    """The nearest pyproject.toml with a [tool.archlint] table, from `start` upwards."""
    directory = os.path.abspath(start)
    while True:
        candidate = os.path.join(directory, "pyproject.toml")
        if os.path.isfile(candidate) and "archlint" in _read(candidate).get("tool", {}):
            return candidate
        parent = os.path.dirname(directory)
        if parent == directory:
            return None
        directory = parent


def load(path: str | None) -> Settings:
    """Settings from a pyproject.toml's [tool.archlint], or a file holding those keys at its top level."""
    if path is None:
        return Settings()
    document = _read(path)
    table = document.get("tool", {}).get("archlint", document)
    settings = apply(Settings(root=os.path.dirname(os.path.abspath(path))), table, f"{path}: ")
    if settings.python and os.sep in settings.python:  # a path in the settings file is relative to it
        settings.python = os.path.join(settings.root, settings.python)
    if settings.cache_dir:
        settings.cache_dir = os.path.join(settings.root, settings.cache_dir)
    return settings


def apply(settings: Settings, values: dict, where: str = "") -> Settings:
    """`settings` with `values` (config keys, kebab-case) replacing what they name; None leaves a setting as it is."""
    for key, value in values.items():
        if value is None:
            continue
        options = {} if key in READERS else rule_options()  # the rules are imported for their own settings only
        reader = READERS.get(key) or (options[key].read if key in options else None)
        if reader is None:
            known = [*FINDING_SETTINGS, *options, *ANALYSIS_SETTINGS]
            raise ConfigError(f"{where}unknown setting `{key}` (known: {', '.join(known)})")
        try:
            if key in options:
                settings.options = {**settings.options, key: reader(value)}
            else:
                setattr(settings, key.replace("-", "_"), reader(value))
        except ConfigError as exc:
            raise ConfigError(f"{where}`{key}`: {exc}") from None
    return settings


def _read(path: str) -> dict:
    try:
        with open(path, "rb") as handle:
            return tomllib.load(handle)
    except OSError as exc:
        raise ConfigError(f"cannot read {path}: {exc.strerror or exc}") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path} is not valid TOML: {exc}") from None


def _list(value) -> list:
    """A TOML list, or a comma-separated string as the command line gives."""
    if isinstance(value, str):
        return [item.strip() for item in value.split(",") if item.strip()]
    if isinstance(value, list):
        return value
    raise ConfigError(f"expected a list, got {value!r}")


def _codes(value) -> tuple[str, ...]:
    codes = []
    for token in _list(value):
        code = resolve(str(token))
        if code is None:
            raise ConfigError(f"{token!r} is no rule code, prefix or name (see `archlint rules`)")
        codes.append(code)
    return tuple(codes)


def _per_file_ignores(value) -> dict[str, tuple[str, ...]]:
    if not isinstance(value, dict):
        raise ConfigError(f"expected a table of pattern = [codes], got {value!r}")
    return {pattern: _codes(codes) for pattern, codes in value.items()}


def _choice(allowed):
    def read(value):
        if value not in allowed:
            raise ConfigError(f"expected one of {', '.join(allowed)}, got {value!r}")
        return value
    return read


def _severities(value) -> dict[str, str]:
    if not isinstance(value, dict):
        raise ConfigError(f"expected a table of code = severity, got {value!r}")
    return {code: _choice(SEVERITIES)(level) for codes, level in value.items() for code in _codes(codes)}


def read_share(value) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 < value <= 1:
        raise ConfigError(f"expected a number above 0 and at most 1, got {value!r}")
    return float(value)


def _flag(value) -> bool:
    if not isinstance(value, bool):
        raise ConfigError(f"expected true or false, got {value!r}")
    return value


def _seconds(value) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 < value < float("inf"):
        raise ConfigError(f"expected a positive number of seconds, got {value!r}")
    return float(value)


def read_count(value) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ConfigError(f"expected a positive integer, got {value!r}")
    return value


def parse_size(text: str) -> int:
    """A byte count as `--verify-budget` takes it: 512M, 2G, 1.5G, 2GiB, 1000000 (binary units)."""
    match = re.fullmatch(r"\s*(\d+(?:\.\d*)?)\s*([KMGT]?)(?:i?B)?\s*", text, re.IGNORECASE)
    if match is None:
        raise ValueError(f"{text!r} is not a size such as 512M or 2G")
    return int(float(match.group(1)) * SIZE_UNITS[match.group(2).upper()])


def parse_shape(value) -> tuple[int | str | None, ...]:
    """An input shape without its batch axis: "224,224,3", "H,W,3" (symbolic), or a list such as [224, 224, 3]."""
    dims = []
    for item in _list(value):
        item = item.strip() if isinstance(item, str) else item
        if isinstance(item, str) and item.isdigit():
            item = int(item)
        if isinstance(item, str) and item.lower() == "none":
            item = None
        if not (item is None or isinstance(item, int) and not isinstance(item, bool) and item > 0
                or isinstance(item, str) and item.isidentifier()):
            raise ConfigError(f"expected positive sizes, None or names in a shape, got {item!r}")
        dims.append(item)
    return tuple(dims)


def _input_shapes(value) -> dict[str, tuple]:
    if not isinstance(value, dict):
        raise ConfigError(f"expected a table of input name = shape, got {value!r}")
    return {name: parse_shape(shape) for name, shape in value.items()}


# Which files and findings, then (after the rules' own options) how the analysis runs.
FINDING_SETTINGS = {
    "select": _codes,
    "ignore": _codes,
    "per-file-ignores": _per_file_ignores,
    "fail-on": _choice(FAIL_ON),
    "exclude": lambda value: tuple(str(pattern) for pattern in _list(value)),
    "extend-include": lambda value: tuple(str(pattern) for pattern in _list(value)),
    "severity": _severities,
}
ANALYSIS_SETTINGS = {
    "input-shapes": _input_shapes,
    "assume-imports": _flag,
    "python": lambda value: str(value),
    "max-analysis-seconds": _seconds,
    "jobs": read_count,
    "cache": _flag,
    "cache-dir": lambda value: str(value),
}
READERS = {**FINDING_SETTINGS, **ANALYSIS_SETTINGS}
