"""Finding the modules a checked file imports: its project's own (`from .blocks import conv_block`,
`from mypkg import stem`) and those of installed Keras model packages (`keras_hub`, `k3im`).

A module is followed when it is a file of the project (next to the checked file, or in the
package tree the checked file belongs to), a model definition of the installed Keras, or a file of an
installed package that declares Keras or TensorFlow among its requirements (a Keras model package).
Packages are looked for on the running interpreter's sys.path, or on that of the environment given
with `--python`. Nothing is imported: the evaluator reads and evaluates the file.
"""

from __future__ import annotations

import functools
import glob
import importlib.util
import json
import os
import re
import subprocess
import sys

from archlint.evaluate import reads
from archlint.keras_names import canonical

# Keras modules whose source archlint reads like user code: the model definitions.
_FOLLOWED_KERAS = ("keras.applications.",)
# Keras helpers archlint models itself (archlint.evaluate.keras_helpers).
_MODELLED_KERAS = ("keras.applications.imagenet_utils",)
# Packages archlint models itself, or whose source is no model definition: never read (tensorflow_text, which
# keras_hub imports for its tokenizers, is TensorFlow ops).
_NOT_READ = frozenset({"keras", "tensorflow", "tf_keras", "numpy", "jax", "jaxlib", "torch", "scipy", "sklearn",
                       "pandas", "matplotlib", "absl", "archlint", "tensorflow_text"})
# A distribution requiring one of these defines Keras models or layers: its source is read like the project's.
_KERAS_REQUIREMENTS = frozenset({"keras", "tensorflow", "tensorflow-cpu", "tensorflow-gpu", "tensorflow-macos",
                                 "tf-keras", "keras-hub", "keras-nlp", "keras-cv"})
# Model libraries read whatever their metadata says (a source checkout on PYTHONPATH has none).
MODEL_LIBRARIES = ("keras_hub", "keras_nlp", "keras_cv", "tensorflow_hub", "tf_keras")
# Distribution names as pip spells them, for the advice on a package that is not installed.
DISTRIBUTIONS = {"keras_hub": "keras-hub", "keras_nlp": "keras-nlp", "keras_cv": "keras-cv",
                 "tensorflow_hub": "tensorflow-hub", "tf_keras": "tf-keras", "tcn": "keras-tcn"}
# Seconds the other environment's interpreter may take to print its sys.path.
_PYTHON_TIMEOUT = 30


class PythonEnvironmentError(ValueError):
    """The environment given with --python cannot be used."""


# The interpreter whose installed packages are read; None: the one running archlint.
_python: str | None = None


def use_python(executable: str | None) -> None:
    """Read installed packages from the environment of `executable` (`--python`), or archlint's own (None)."""
    global _python
    _python = executable
    if executable is not None:
        search_path(executable)  # an unusable environment is said now, once


@functools.lru_cache(maxsize=8)
def search_path(python: str | None = None) -> tuple[str, ...]:
    """The directories packages are looked for in: sys.path of the running interpreter, or of `python`.

    The other interpreter is asked with `python -I -c ...`: -I keeps the current directory (the
    checked project) off its sys.path, so none of the project's files runs, and ignores PYTHON*
    variables; site is still imported (no -S), since it is what puts site-packages on the path.
    Only that environment's own interpreter and its site hooks run. When it cannot be run, the
    site-packages of the virtual environment it belongs to (found from its pyvenv.cfg) are read."""
    if python is None:
        entries = [p for p in sys.path if p]
    else:
        entries = _ask_interpreter(python)
        if entries is None:
            entries = _venv_site_packages(python)
        if not entries:
            raise PythonEnvironmentError(f"--python {python}: neither runs as a Python interpreter nor belongs to a "
                                    "virtual environment (no pyvenv.cfg)")
    return tuple(os.path.realpath(p) for p in entries if os.path.isdir(p))


def _ask_interpreter(python: str) -> list[str] | None:
    if os.path.isdir(python):
        python = os.path.join(python, "Scripts" if os.name == "nt" else "bin", "python")
    try:
        done = subprocess.run([python, "-I", "-c", "import sys, json; print(json.dumps(sys.path))"],
                              capture_output=True, timeout=_PYTHON_TIMEOUT, stdin=subprocess.DEVNULL, check=False)
        entries = json.loads(done.stdout) if done.returncode == 0 else None
    except (OSError, subprocess.SubprocessError, ValueError):
        return None
    return [p for p in entries if isinstance(p, str) and p] if isinstance(entries, list) else None


def _venv_site_packages(python: str) -> list[str]:
    directory = os.path.abspath(python if os.path.isdir(python) else os.path.dirname(python))
    for prefix in (directory, os.path.dirname(directory)):
        if os.path.isfile(os.path.join(prefix, "pyvenv.cfg")):
            return sorted(glob.glob(os.path.join(prefix, "lib", "python*", "site-packages"))) + \
                [os.path.join(prefix, "Lib", "site-packages")]
    return []


def _installed_at(top: str) -> str | None:
    """The search path directory holding top-level module `top` in any form (package, module, extension)."""
    return _installed_in(top, _python)


@functools.lru_cache(maxsize=256)
def _installed_in(top: str, python: str | None) -> str | None:
    for directory in search_path(python):
        if os.path.isdir(os.path.join(directory, top)) or os.path.isfile(os.path.join(directory, top + ".py")) \
                or glob.glob(os.path.join(glob.escape(directory), glob.escape(top) + ".*.so")):
            return directory
    return None


def _is_library_name(top: str) -> bool:
    return bool(top) and top.isidentifier() and top not in sys.stdlib_module_names and top not in _NOT_READ


def missing_package(dotted: str) -> str | None:
    """The top-level package of `dotted` when it is a third-party package that is not installed where archlint
    looks (None when it is installed, a standard module, or one archlint models)."""
    top = dotted.split(".")[0]
    if not _is_library_name(top) or _installed_at(top) is not None:
        return None
    return top


def install_advice(top: str) -> str:
    """How to make package `top` visible to archlint."""
    where = f"the environment of --python {_python}" if _python else "the Python running archlint"
    return (f"{top} is not installed in {where}: install it there (pip install {DISTRIBUTIONS.get(top, top)}), "
            "point --python (setting `python`) at the environment that has it, or, under pre-commit, list it in "
            "the hook's additional_dependencies")


def library_root(dotted: str) -> str | None:
    """The search path directory of the Keras model package that `dotted` belongs to, if one is installed."""
    top = dotted.split(".")[0]
    if not _is_library_name(top):
        return None
    directory = _installed_at(top)
    if directory is None or not (top in MODEL_LIBRARIES or top in _keras_packages(directory)):
        return None
    _read_packages.add(os.path.join(directory, top))
    return directory


# The installed packages whose files have been read: their layers are the library's, not the checked code's.
_read_packages: set[str] = set()


@functools.lru_cache(maxsize=16)
def _keras_packages(directory: str) -> frozenset[str]:
    """The top-level modules of the distributions installed in `directory` that require Keras or TensorFlow."""
    found = set()
    for meta in glob.glob(os.path.join(glob.escape(directory), "*.dist-info")) + \
            glob.glob(os.path.join(glob.escape(directory), "*.egg-info")):
        if _requires_keras(meta):
            found.update(_top_levels(meta))
    return frozenset(found)


def _read_text(path: str) -> str:
    try:
        with open(path, encoding="utf-8", errors="replace") as handle:
            return handle.read(1_000_000)
    except OSError:
        return ""


def _requires_keras(meta: str) -> bool:
    if meta.endswith(".dist-info"):
        lines = [line[len("Requires-Dist:"):] for line in _read_text(os.path.join(meta, "METADATA")).splitlines()
                 if line.startswith("Requires-Dist:")]
    else:
        lines = _read_text(os.path.join(meta, "requires.txt")).splitlines()
    names = {re.split(r"[\s;<>=!~\[(]", line.strip(), maxsplit=1)[0].lower().replace("_", "-") for line in lines}
    return bool(names & _KERAS_REQUIREMENTS)


def _top_levels(meta: str) -> set[str]:
    listed = _read_text(os.path.join(meta, "top_level.txt")).split()
    if listed:
        return set(listed)
    record = _read_text(os.path.join(meta, "RECORD"))
    return {line.split("/")[0].split(",")[0].removesuffix(".py") for line in record.splitlines()
            if line and not line.split("/")[0].endswith((".dist-info", ".data"))}


def is_library_file(path: str) -> bool:
    """Whether `path` is a file of an installed package archlint reads (Keras's model definitions, a model package)."""
    real = os.path.realpath(path)
    if is_installed_keras(real):
        return True
    return any(real.startswith(package + os.sep) or real == package + ".py" for package in _read_packages)


def _top_package(directory: str) -> str | None:
    """The topmost package directory containing `directory`, if it is inside a package."""
    top = None
    while os.path.exists(os.path.join(directory, "__init__.py")):
        top = directory
        parent = os.path.dirname(directory)
        if parent == directory:
            break
        directory = parent
    return top


def _module_file(base: str, parts: list[str]) -> str | None:
    path = os.path.join(base, *parts)
    for candidate in (path + ".py", os.path.join(path, "__init__.py")):
        if os.path.isfile(candidate):
            return os.path.realpath(candidate)
    return None


def installed_keras() -> str | None:
    """The installed keras package's directory (in the --python environment, if one is given), found without
    importing it."""
    if _python is not None:
        directory = _installed_in("keras", _python)
        return None if directory is None else os.path.join(directory, "keras")
    return _running_keras()


@functools.lru_cache(maxsize=1)
def _running_keras() -> str | None:
    try:
        spec = importlib.util.find_spec("keras")
    except (ImportError, ValueError):
        return None
    locations = list(spec.submodule_search_locations or []) if spec else []
    return locations[0] if locations else None


def is_installed_keras(path: str) -> bool:
    """Whether `path` is a file of the installed Keras (whose model definitions archlint reads)."""
    root = installed_keras()
    return root is not None and os.path.realpath(path).startswith(os.path.realpath(root) + os.sep)


# What Keras's own source defines: `def NAME`, `class NAME`, `NAME = ` (class attributes), `self.NAME = `.
_DEFINITION = re.compile(r"^\s*(?:def|class)\s+(\w+)|^\s+(\w+)\s*(?::[^=]*)?=[^=]|self\.(\w+)\s*(?::[^=]*)?=[^=]",
                         re.MULTILINE)


def keras_definitions() -> frozenset[str] | None:
    """The names the installed Keras's source defines anywhere (methods, class attributes, instance attributes): a
    name not among them is no attribute of any Keras layer. None without an installed Keras. Each call walks Keras's
    source for its files' stat keys (milliseconds): an analysis asks once."""
    root = installed_keras()
    if root is None:
        return None
    source = os.path.join(os.path.realpath(root), "src")
    return _keras_definitions(source, tuple(reads.tree(source)))


@functools.lru_cache(maxsize=2)
def _keras_definitions(source: str, key: tuple) -> frozenset[str]:
    """The names Keras's source tree `source` defines, as it is when its tree_key is `key`."""
    from archlint.evaluate import library_cache
    cached = library_cache.load("keras-definitions", list(key))
    if isinstance(cached, list) and all(isinstance(n, str) for n in cached):
        return frozenset(cached)
    names = set()
    for directory, _, files in os.walk(source):
        for file in files:
            if file.endswith(".py"):
                for match in _DEFINITION.finditer(_read_text(os.path.join(directory, file))):
                    names.add(next(group for group in match.groups() if group))
    library_cache.store("keras-definitions", list(key), sorted(names))
    return frozenset(names)


def public_index(dotted: str) -> dict[str, tuple[str, str]] | None:
    """For a public Keras applications module (`keras.applications`, `tf.keras.applications.resnet50`),
    where each of its names comes from: {name: (source module, source name)}. None otherwise."""
    name = canonical(dotted)
    if dotted.startswith("keras.src") or not (name == "keras.applications" or name.startswith("keras.applications.")):
        return None
    root = installed_keras()
    if root is None:
        return None
    path = _module_file(os.path.dirname(root), name.split("."))
    if path is None:
        return None
    reads.read(path)  # the names it gives decide the report
    return _reexports(path)


def _reexports(path: str) -> dict[str, tuple[str, str]]:
    """`from M import X as Y` lines of an autogenerated public API module."""
    return _read_reexports(path, reads.stat_key(path))[0]


def reexport_index(path: str) -> dict[str, tuple[str, str]] | None:
    """For a library module made only of `from M import X as Y` lines (keras_hub.models), where each of its
    names comes from; None for any other module, which is evaluated."""
    reads.read(path)
    index, only_imports = _read_reexports(path, reads.stat_key(path))
    return index if only_imports else None


@functools.lru_cache(maxsize=256)
def _read_reexports(path: str, version: tuple) -> tuple[dict[str, tuple[str, str]], bool]:
    """A module's `from M import X as Y` lines and whether it has nothing else, from the disk cache when this
    version of the file (`version`: its stat_key, which a long-lived process tells apart) was read before
    (keras_hub.models lists a thousand names)."""
    from archlint.evaluate import library_cache
    key = library_cache.file_key(path)
    cached = library_cache.load("reexports", key)
    if isinstance(cached, list) and len(cached) == 2 and isinstance(cached[0], dict) and isinstance(cached[1], bool) \
            and all(isinstance(v, list) and len(v) == 2 and all(isinstance(p, str) for p in v)
                    for v in cached[0].values()):
        return {name: (source, original) for name, (source, original) in cached[0].items()}, cached[1]
    index, only_imports = _parse_reexports(path)
    library_cache.store("reexports", key, [index, only_imports])
    return index, only_imports


def _parse_reexports(path: str) -> tuple[dict[str, tuple[str, str]], bool]:
    import libcst as cst  # here: a check whose reports all come from the results cache parses nothing

    with open(path, "rb") as handle:
        module = cst.parse_module(handle.read())
    index, only_imports = {}, True
    for statement in module.body:
        if not isinstance(statement, cst.SimpleStatementLine):
            only_imports = False
            continue
        for small in statement.body:
            if isinstance(small, cst.ImportFrom) and not small.relative and not isinstance(small.names, cst.ImportStar):
                source = cst.Module([]).code_for_node(small.module)
                for alias in small.names:
                    original = cst.Module([]).code_for_node(alias.name)
                    index[alias.asname.name.value if alias.asname else original] = (source, original)
            elif not (isinstance(small, cst.Expr) and isinstance(small.value, cst.SimpleString)):
                only_imports = False
    return index, only_imports


def find(importing_file: str, dotted: str, level: int) -> str | None:
    """The file of module `dotted` (relative by `level` dots) as the importing file sees it, or None."""
    found = _find(importing_file, dotted, level)
    reads.looked_up(importing_file, dotted, level, found)
    return found


def _find(importing_file: str, dotted: str, level: int) -> str | None:
    here = os.path.dirname(os.path.abspath(importing_file))
    parts = [p for p in dotted.split(".") if p]
    if level:
        base = here
        for _ in range(level - 1):
            base = os.path.dirname(base)
        return _module_file(base, parts)
    name = canonical(dotted)
    if name == "keras" or name.startswith("keras."):
        if not name.startswith(_FOLLOWED_KERAS) or name.startswith(_MODELLED_KERAS):
            return None
        if dotted.startswith("keras.src.") and installed_keras() is not None:
            # The model definitions of the installed Keras, read like project code.
            return _module_file(os.path.dirname(installed_keras()), parts)
    found = _module_file(here, parts)  # a module next to the checked file, as `python file.py` sees it
    top = _top_package(here)
    if found is None and top is not None and parts and parts[0] == os.path.basename(top):
        found = _module_file(os.path.dirname(top), parts)  # the checked file's own package tree
    if found is None:
        root = library_root(dotted)  # an installed Keras model package
        if root is not None:
            found = _module_file(root, parts)
    return found
