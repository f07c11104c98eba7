"""Files analysed in worker processes (`--jobs`): each file's result and what its analysis read, as one process
makes them, in the order given.

The workers are forked where the platform can and only the main thread runs (the cheapest start: nothing is
imported again), else spawned. A worker whose process ends (a crash in a native library, the kernel ending it
for memory) costs only its own file: the files it had not returned are analysed again, each in a process of its
own, and the one whose process ends again is an internal error on that file.
"""

from __future__ import annotations

import multiprocessing
import os
import threading
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool

from archlint import disk_cache, isolation
from archlint.config import Settings
from archlint.evaluate import project_modules
from archlint.results import FileFailure

_settings: Settings | None = None  # in a worker: the run's settings


# A spawned worker imports archlint first (a few hundred milliseconds): it needs more files to pay for itself.
SPAWNED_FILES_PER_WORKER = 16


def analysed_all(files: list[tuple[str, bytes]], settings: Settings, workers: int) -> list:
    """`isolation.analysed` of each (path, data), in up to `workers` processes."""
    context = _context()
    if context.get_start_method() != "fork":
        workers = min(workers, len(files) // SPAWNED_FILES_PER_WORKER)
        if workers < 2:
            return [isolation.analysed(path, data, settings) for path, data in files]
    if context.get_start_method() == "fork":
        from archlint import lint  # noqa: F401  (the analysis imported once, before the fork, not in each worker)
    results: list = [None] * len(files)
    with _pool(workers, settings, context) as executor:
        futures = [executor.submit(_analysed, path, data) for path, data in files]
        for index, future in enumerate(futures):
            try:
                results[index] = future.result()
            except BrokenProcessPool:  # a worker's process ended: its files are analysed again below
                pass
            except Exception as exc:  # the result could not be sent back
                results[index] = isolation.internal_error(files[index][0], exc), None
    for index, (path, data) in enumerate(files):
        if results[index] is None:
            results[index] = _alone(path, data, settings, context)
    return results


def _alone(path: str, data: bytes, settings: Settings, context):
    """The file analysed in a process of its own."""
    try:
        with _pool(1, settings, context) as executor:
            return executor.submit(_analysed, path, data).result()
    except BrokenProcessPool:
        return FileFailure(path, f"internal error on {path}: the process analysing it ended abruptly"), None


def _pool(workers: int, settings: Settings, context) -> ProcessPoolExecutor:
    return ProcessPoolExecutor(workers, mp_context=context, initializer=_start,
                               initargs=(settings, disk_cache.directory()))


def _context():
    """fork when it is safe (no other thread whose locks the child would inherit held), else spawn."""
    if "fork" in multiprocessing.get_all_start_methods() and threading.active_count() == 1 \
            and _native_threads() <= 1:
        return multiprocessing.get_context("fork")
    return multiprocessing.get_context("spawn")


def _native_threads() -> int:
    """The process's threads, those a native library started too (JAX's, in a notebook or a test run), which
    `threading` does not see; 1 where the platform does not list them."""
    try:
        return len(os.listdir("/proc/self/task"))
    except OSError:
        return 1


def _start(settings: Settings, cache_directory: str) -> None:
    global _settings
    _settings = settings
    project_modules.use_python(settings.python)
    disk_cache.use_directory(cache_directory)


def _analysed(path: str, data: bytes):
    return isolation.analysed(path, data, _settings)
