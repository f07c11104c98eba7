"""archlint as a library: check source text or files and get the report as plain data.

    import archlint

    report = archlint.check_paths(["models/"], select=["AL1", "AL2"], input_shapes={"image": "224,224,3"})
    for file in report.files:
        for model in file.models:
            print(model.symbol, model.total_params, model.complete)
        for finding in file.diagnostics:
            print(file.path, finding.line, finding.code, finding.message)
    print(report.to_json())  # exactly what `archlint check --format json` prints

    report = archlint.check_source(code, "model.py")  # text in memory; the path names it and picks the reader

Settings are given as keyword arguments named as the `[tool.archlint]` keys with underscores
(`select`, `ignore`, `per_file_ignores`, `severity`, `fail_on`, `exclude`, `extend_include`,
`max_layer_param_share`, `max_params`, `input_shapes`, `assume_imports`, `python`), plus `verify=True` (and `verify_budget`,
bytes or "512M") to run --verify. They go on top of the settings file: `config` names one, None
takes the nearest pyproject.toml with [tool.archlint] above the paths, False none. Settings
archlint cannot use raise `ConfigError` (a bad `verify_budget`, ValueError).

A file that cannot be read, or on which archlint itself fails, never costs the others their
report: it is listed in `Report.failures` with a one-line message. The command line exits 2 when
there are failures, else 1 when `Report.fails` (a finding at or above `fail_on`), else 0.
"""

from __future__ import annotations

import os
import traceback

from archlint.config import DEFAULT_BUDGET, ConfigError, Settings, apply, find_config, load, parse_size
from archlint.results import FileFailure, FileReport, Report

__all__ = ["ConfigError", "Report", "check_file", "check_paths", "check_source", "load_settings", "source_files"]


def load_settings(paths=(), config: str | None | bool = None, options: dict | None = None,
                  where: str = "") -> Settings:
    """The settings file's (`config`; None: the nearest one above the paths; False: none), then `options` on top.

    `options` are `[tool.archlint]` keys (kebab-case) with values as the file or the command line gives
    them; None leaves a setting as the file has it. `verify` (true) and `verify-budget` turn --verify on.
    `where` starts the message of a ConfigError about them ("command line: "). The environment `python` names
    (else archlint's own) is where installed packages are read from, from then on.
    """
    options = dict(options or {})
    verify, budget = options.pop("verify", None), options.pop("verify-budget", None)
    if config is None:
        directories = [path if os.path.isdir(path) else os.path.dirname(path) or "." for path in paths] or ["."]
        config = find_config(os.path.commonpath([os.path.abspath(d) for d in directories]))
    settings = apply(load(config or None), options, where)
    from archlint.evaluate import project_modules

    try:
        project_modules.use_python(settings.python)  # where installed packages are read from
    except project_modules.PythonEnvironmentError as exc:
        raise ConfigError(str(exc)) from None
    if verify:
        settings.verify_budget = DEFAULT_BUDGET if budget is None else \
            budget if isinstance(budget, int) else parse_size(budget)
    return settings


def source_files(paths, settings: Settings, force_exclude: bool = False) -> list[str]:
    """The files named, and the `*.py` and `*.ipynb` files (and what `extend-include` adds) under the directories
    named, less what `exclude` matches; each once, in order."""
    found = []
    for path in paths:
        if os.path.isdir(path):
            for root, dirs, files in os.walk(path):
                dirs[:] = sorted(d for d in dirs if not d.startswith(".") and d not in ("__pycache__", "node_modules")
                                 and not settings.excluded(os.path.join(root, d)))
                found += [os.path.join(root, f) for f in sorted(files)
                          if settings.included(os.path.join(root, f)) and not settings.excluded(os.path.join(root, f))]
        elif not (force_exclude and settings.excluded(path)):
            found.append(path)
    return list(dict.fromkeys(found))  # a file named twice is read once


def check_file(path: str, settings: Settings) -> FileReport:
    """One file's report. Raises OSError when it cannot be read, and whatever archlint fails with on it."""
    from archlint.analysis import file_report
    from archlint.lint import lint_file

    return file_report(lint_file(path, settings))


def check_paths(paths, *, settings: Settings | None = None, config: str | None | bool = None,
                force_exclude: bool = False, **options) -> Report:
    """Check files, and the files under directories. `settings` (from `load_settings`) replaces `config` and
    `options`; `force_exclude` applies `exclude` to the files named too."""
    paths = [os.fspath(path) for path in ([paths] if isinstance(paths, (str, os.PathLike)) else paths)]
    if settings is None:
        settings = load_settings(paths, config, _config_keys(options))
    files, failures = [], []
    for path in source_files(paths, settings, force_exclude):
        try:
            files.append(check_file(path, settings))
        except OSError as exc:
            failures.append(FileFailure(path, f"cannot read {path}: {exc.strerror or exc}"))
        except Exception as exc:  # one bad file must not lose the others' findings
            failures.append(_internal_error(path, exc))
    return Report(tuple(files), tuple(failures), settings.fail_on)


def check_source(code: str | bytes, path: str = "<string>", *, settings: Settings | None = None,
                 config: str | None | bool = None, **options) -> Report:
    """Check source text. `path` names it in the report, picks the reader by its suffix (.ipynb: a notebook's
    JSON, .md: Markdown, else Python) and is what path patterns in the settings match."""
    from archlint.analysis import file_report
    from archlint.lint import lint_data

    if settings is None:
        settings = load_settings([path], config, _config_keys(options))
    try:
        files = (file_report(lint_data(code, path, settings)),)
    except Exception as exc:
        return Report((), (_internal_error(path, exc),), settings.fail_on)
    return Report(files, (), settings.fail_on)


def _config_keys(options: dict) -> dict:
    return {key.replace("_", "-"): value for key, value in options.items()}


def _internal_error(path: str, exc: Exception) -> FileFailure:
    reason = " ".join(str(exc).split())  # some messages (parser errors) span several lines
    return FileFailure(path, f"internal error on {path}: {type(exc).__name__}: {reason}",
                       "".join(traceback.format_exception(exc)))
