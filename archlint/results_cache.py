"""Each checked file's report kept on disk (`.archlint_cache/results/`): an unchanged file is not analysed again.

An entry is found by the file's path and the settings that change a report. It holds what made the report:
archlint's version (and, as every cache entry, the fingerprint of archlint's own code,
`disk_cache.code_fingerprint`: during development the version stays the same) and the environment installed
packages are read from (the search path of archlint's Python or of `--python`, with each directory's modification
time, which an install or removal changes); the digest of the file's bytes; what the analysis read (each module it
looked up and the file found, or none; each file it read, by digest, a library's too, which an edit where it lies
changes without any directory's time; each source tree it consulted whole, by its files' `stat_key`s); and the
report as plain data (`FileReport.to_data`). It is used only when all of these are as they are now; else the file
is analysed again and its entry written over (so a new archlint or a new package leaves no stale entries behind).
An analysis stopped by its time budget (AL301) depends on the machine's load: it is never kept. Entries are signed
and checked as every cache of archlint (`archlint.disk_cache`): a corrupt or forged one is not used.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import os
import sys

from archlint import disk_cache
from archlint.config import Settings
from archlint.evaluate import project_modules, reads
from archlint.evaluate.reads import Reads
from archlint.results import FileReport
from archlint.version import __version__

RESULTS = disk_cache.Folder("results", format=3)
# Settings that choose files, the exit status or how a run goes, not what a file's report holds.
NOT_IN_REPORTS = ("fail_on", "exclude", "extend_include", "jobs", "cache", "cache_dir")


class ResultsCache:
    """The cache for one run's settings."""

    def __init__(self, settings: Settings):
        self.made_by = [__version__, _environment(settings.python)]
        self.settings = _settings_key(settings)
        self._trees: dict[str, list] = {}  # the tree_key of each source tree a kept report depends on, now

    def _tree(self, folder: str) -> list:
        if folder not in self._trees:
            self._trees[folder] = disk_cache.tree_key(folder)
        return self._trees[folder]

    def load(self, path: str, data: bytes) -> FileReport | None:
        """The report kept for the file at `path` holding `data`, when nothing it depends on has changed."""
        value = RESULTS.load("file", self._key(path))
        try:
            if value["made_by"] != self.made_by or value["source"] != hashlib.sha256(data).hexdigest() \
                    or any(reads.digest(file) != digest for file, digest in value["files"]) \
                    or any(self._tree(folder) != key for folder, key in value["trees"]) \
                    or any(project_modules.find(importing, dotted, level) != found
                           for importing, dotted, level, found in value["lookups"]):
                return None
            report = FileReport.from_data(value["report"])
        except Exception:  # not an entry this code wrote: analyse the file
            return None
        return report if report.path == path else None

    def store(self, path: str, data: bytes, report: FileReport, read: Reads) -> None:
        """Keep the report of the file at `path` holding `data`, made by an analysis that read `read`."""
        if not read.repeatable:
            return
        try:
            written = report.to_data()
            if FileReport.from_data(written) != report:  # a value the data cannot hold: keep nothing rather
                return
        except (TypeError, ValueError):
            return
        RESULTS.store("file", self._key(path), {
            "made_by": self.made_by,
            "source": hashlib.sha256(data).hexdigest(),
            "files": sorted([file, digest] for file, digest in read.files.items()),
            "trees": sorted([folder, key] for folder, key in read.trees.items()),
            "lookups": [[*lookup, found] for lookup, found in read.lookups.items()],
            "report": written,
        })

    def _key(self, path: str) -> list:
        return [self.settings, os.path.abspath(path), path]


def _environment(python: str | None) -> list:
    """Where installed packages are read from, as it is now; the current directory by name only (the cache
    folder made in it must not change the key)."""
    here = os.path.realpath(os.getcwd())
    directories = []
    for directory in project_modules.search_path(python):
        try:
            directories.append([directory, None if directory == here else os.stat(directory).st_mtime_ns])
        except OSError:
            directories.append([directory, None])
    return [sys.version, python, directories]


def _settings_key(settings: Settings) -> str:
    values = {name: value for name, value in dataclasses.asdict(settings).items() if name not in NOT_IN_REPORTS}
    values["root"] = os.path.abspath(settings.root)  # path patterns are matched relative to it
    return json.dumps(values, sort_keys=True, default=repr)
