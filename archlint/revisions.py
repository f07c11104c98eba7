"""Source files at a git revision, for `archlint diff`: read with git, never checked out, nothing run.

A revision's files are written, with `git archive`, into a temporary directory: the files archlint reads
(model sources and the settings file) with their folders, so that a model's imports of the project's own
modules (`from .blocks import conv_block`) find that revision's modules beside it. The working tree is
read in place.
"""

from __future__ import annotations

import io
import os
import shutil
import subprocess
import tarfile
import tempfile
from dataclasses import dataclass

WORKING_TREE = None  # the head side when no revision is named
SETTINGS_FILES = ("pyproject.toml",)


class RevisionError(Exception):
    """Not a git repository, an unknown revision, or git itself failing: one line for the user."""


def _git(root: str, *args: str, binary: bool = False):
    try:
        done = subprocess.run(["git", "-C", root, *args], capture_output=True, check=False, timeout=300)
    except FileNotFoundError:
        raise RevisionError("git is not installed") from None
    except subprocess.TimeoutExpired:
        raise RevisionError(f"git {args[0]} took more than 5 minutes") from None
    if done.returncode != 0:
        reason = " ".join(done.stderr.decode(errors="replace").split()) or f"exit status {done.returncode}"
        raise RevisionError(f"git {args[0]} failed: {reason}")
    return done.stdout if binary else done.stdout.decode(errors="surrogateescape")


def repository_root(directory: str) -> str:
    try:
        return _git(directory, "rev-parse", "--show-toplevel").strip()
    except RevisionError as exc:
        if "not a git repository" in str(exc):
            raise RevisionError(f"{os.path.abspath(directory)} is not in a git repository") from None
        raise


def check_revision(root: str, revision: str) -> str:
    """The commit `revision` names; RevisionError when it names none."""
    if revision.startswith("-"):
        raise RevisionError(f"unknown revision {revision!r}")
    try:
        return _git(root, "rev-parse", "--verify", "--quiet", "--end-of-options", f"{revision}^{{commit}}").strip()
    except RevisionError:
        raise RevisionError(f"unknown revision {revision!r} in {root}") from None


@dataclass
class Change:
    status: str  # git's letter: A added, D deleted, M modified, R renamed, ...
    base_path: str | None  # relative to the repository root, forward slashes
    head_path: str | None


def changed_files(root: str, base: str, head: str | None, pathspecs: list[str]) -> list[Change]:
    """The files that differ between the revisions (`head` None: the working tree, untracked files included),
    renames followed as git reports them."""
    output = _git(root, "diff", "--name-status", "-z", "-M", base, *([head] if head else []), "--", *pathspecs)
    fields = output.split("\0")
    changes, index = [], 0
    while index < len(fields) - 1:
        status = fields[index][:1]
        if status in ("R", "C"):
            old, new = fields[index + 1], fields[index + 2]
            changes.append(Change(status, old if status == "R" else None, new))
            index += 3
            continue
        path = fields[index + 1]
        changes.append(Change(status, None if status == "A" else path, None if status == "D" else path))
        index += 2
    if head is None:
        untracked = _git(root, "ls-files", "--others", "--exclude-standard", "-z", "--", *pathspecs)
        changes += [Change("A", None, path) for path in untracked.split("\0") if path]
    return changes


def files_at(root: str, revision: str | None, pathspecs: list[str]) -> list[str]:
    """Every file under the pathspecs at the revision (None: the working tree, tracked and untracked)."""
    if revision is None:
        output = _git(root, "ls-files", "--cached", "--others", "--exclude-standard", "-z", "--", *pathspecs)
        return sorted({path for path in output.split("\0") if path and os.path.exists(os.path.join(root, path))})
    output = _git(root, "ls-tree", "-r", "-z", "--name-only", revision, "--", *pathspecs)
    return [path for path in output.split("\0") if path]


class Snapshot:
    """A revision's source files in a temporary directory (a context manager: removed on exit)."""

    def __init__(self, root: str, revision: str, suffixes: tuple[str, ...]):
        self.directory = tempfile.mkdtemp(prefix="archlint-diff-")
        try:
            archive = _git(root, "archive", "--format=tar", revision, binary=True)
            with tarfile.open(fileobj=io.BytesIO(archive), mode="r:") as tar:
                members = [m for m in tar.getmembers() if m.isfile()
                           and (m.name.endswith(suffixes) or os.path.basename(m.name) in SETTINGS_FILES)]
                # Git writes no path outside the tree; the data filter (Python 3.10.12 and later) checks it again.
                tar.extractall(self.directory, members=members,
                               **({"filter": "data"} if hasattr(tarfile, "data_filter") else {}))
        except BaseException:
            shutil.rmtree(self.directory, ignore_errors=True)
            raise

    def path(self, relative: str) -> str:
        return os.path.join(self.directory, *relative.split("/"))

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        shutil.rmtree(self.directory, ignore_errors=True)
