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
`max_layer_param_share`, `max_params`, `input_shapes`, `assume_imports`, `python`, `jobs`, `cache`, `cache_dir`), plus
`verify=True` (and `verify_budget`, bytes or "512M") to run --verify. They go on top of the settings file: `config` names one, None
takes the nearest pyproject.toml with [tool.archlint] above the paths, False none. Settings
archlint cannot use raise `ConfigError` (a bad `verify_budget`, ValueError).

`check_paths` keeps each file's report in the cache folder (`archlint.results_cache`; `cache=False` neither
reads nor writes it) and analyses the files it does not hold in `jobs` processes (default: one per core), the
report the same, in the same order, as one process makes. A file that cannot be read, or on which archlint
itself fails (or its process ends), never costs the others their report: it is listed in `Report.failures`
with a one-line message. The command line exits 2 when
there are failures, else 1 when `Report.fails` (a finding at or above `fail_on`), else 0.
"""

from __future__ import annotations

import os

from archlint import isolation
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
    from archlint import disk_cache
    from archlint.evaluate import project_modules

    disk_cache.use_directory(settings.cache_dir)

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
    cache = None
    if settings.cache:
        from archlint.results_cache import ResultsCache
        cache = ResultsCache(settings)
    results, missed = [], []
    for path in source_files(paths, settings, force_exclude):
        try:
            with open(path, "rb") as handle:
                data = handle.read()
        except OSError as exc:
            results.append(isolation.unreadable(path, exc))
            continue
        results.append(None if cache is None else cache.load(path, data))
        if results[-1] is None:
            missed.append((len(results) - 1, path, data))
    for (index, path, data), (result, read) in zip(missed, _analysed_all(missed, settings)):
        results[index] = result
        if cache is not None and read is not None:
            cache.store(path, data, result, read)
    return Report(tuple(r for r in results if isinstance(r, FileReport)),
                  tuple(r for r in results if isinstance(r, FileFailure)), settings.fail_on)


def _analysed_all(missed: list, settings: Settings) -> list:
    """`isolation.analysed` of each (index, path, data), in order: in this process, or in worker processes when there
    are enough files for them to pay for their start."""
    workers = min(settings.jobs or default_jobs(), len(missed) // FILES_PER_WORKER)
    if workers < 2:
        return [isolation.analysed(path, data, settings) for _, path, data in missed]
    from archlint import workers as pool

    return pool.analysed_all([(path, data) for _, path, data in missed], settings, workers)


# A worker starts in a few milliseconds (fork): with fewer files each than this, one process is as fast.
FILES_PER_WORKER = 2


def default_jobs() -> int:
    """The number of cores this process may run on."""
    try:
        return len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        return os.cpu_count() or 1


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
        return Report((), (isolation.internal_error(path, exc),), settings.fail_on)
    return Report(files, (), settings.fail_on)


def _config_keys(options: dict) -> dict:
    return {key.replace("_", "-"): value for key, value in options.items()}
