"""Source files at a git revision, for `archlint diff`: read with git, never checked out, nothing run.

A revision's files are written, with `git archive`, into a temporary directory: the files archlint reads
(model sources and the settings file) with their folders, so that a model's imports of the project's own
modules (`from .blocks import conv_block`) find that revision's modules beside it. The working tree is
read in place.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import tarfile
import tempfile
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass

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
            self._extract(root, revision, suffixes)
        except BaseException:
            shutil.rmtree(self.directory, ignore_errors=True)
            raise

    def _extract(self, root: str, revision: str, suffixes: tuple[str, ...]) -> None:
        """The archive streamed from git, only the files archlint reads kept: a large repository's other files
        pass through without being held."""
        try:
            process = subprocess.Popen(["git", "-C", root, "archive", "--format=tar", revision],
                                       stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        except FileNotFoundError:
            raise RevisionError("git is not installed") from None
        with process:
            try:
                with tarfile.open(fileobj=process.stdout, mode="r|") as tar:
                    for member in tar:
                        if member.isfile() and (member.name.endswith(suffixes)
                                                or os.path.basename(member.name) in SETTINGS_FILES):
                            # Git writes no path outside the tree; the data filter (Python 3.10.12 and later)
                            # checks it again.
                            tar.extract(member, self.directory,
                                        **({"filter": "data"} if hasattr(tarfile, "data_filter") else {}))
            except tarfile.TarError as exc:
                process.kill()
                reason = " ".join(process.stderr.read().decode(errors="replace").split())
                raise RevisionError(f"git archive failed: {reason or exc}") from None
            process.stdout.read()
            if process.wait() != 0:
                reason = " ".join(process.stderr.read().decode(errors="replace").split())
                raise RevisionError(f"git archive failed: {reason or f'exit status {process.returncode}'}")

    def path(self, relative: str) -> str:
        return os.path.join(self.directory, *relative.split("/"))

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        shutil.rmtree(self.directory, ignore_errors=True)


@contextmanager
def compared_files(root: str, base: str, head: str | None, pathspecs: list[str],
                   checked: Callable[[str], bool]) -> Iterator[list[tuple[str | None, str | None, str, str]]]:
    """(path before, path after, file to read before, file to read after) for each file to compare: those the
    change touches and the files of their folders that import a module it touched, or, with pathspecs, every
    file under them. A path is None on the side where the file is absent. The revisions' files stay readable
    until the context ends."""
    pairs = {}
    for change in changed_files(root, base, head, pathspecs):
        pairs[change.head_path or change.base_path] = (change.base_path, change.head_path)
    touched = [path for pair in pairs.values() for path in pair if path]
    if pathspecs:
        before, after = files_at(root, base, pathspecs), files_at(root, head, pathspecs)
    else:
        folders = sorted({os.path.dirname(path) for path in touched})
        before, after = ([path for path in files_at(root, commit, [folder or "." for folder in folders])
                          if os.path.dirname(path) in folders and path not in pairs] if folders else []
                         for commit in (base, head))
    suffixes = (".py", ".ipynb", *(".md",) * any(path.endswith(".md") for path in [*touched, *before, *after]))
    with ExitStack() as stack:
        old_tree = stack.enter_context(Snapshot(root, base, suffixes))
        new_tree = None if head is None else stack.enter_context(Snapshot(root, head, suffixes))
        read_after = new_tree.path if new_tree else (lambda path: os.path.join(root, *path.split("/")))
        if not pathspecs:  # a file beside the change is compared when it imports what changed
            modules = {_module_name(path) for path in touched}
            before = [path for path in before if _imports(old_tree.path(path), modules)]
            after = [path for path in after if _imports(read_after(path), modules)]
        renamed = {old for old, _ in pairs.values() if old}
        for path in after:
            pairs.setdefault(path, (path if path in before else None, path))
        for path in before:
            if path not in pairs and path not in renamed:
                pairs[path] = (path, None)
        chosen = sorted(((old, new) for old, new in pairs.values() if checked(new or old)),
                        key=lambda pair: pair[1] or pair[0])
        yield [(old, new, old and old_tree.path(old), new and read_after(new)) for old, new in chosen]


def _module_name(path: str) -> str:
    """The name an import uses for the file: `blocks` for pkg/blocks.py, `pkg` for pkg/__init__.py."""
    stem = os.path.splitext(os.path.basename(path))[0]
    return os.path.basename(os.path.dirname(path)) if stem == "__init__" else stem


def _imports(path: str, modules: set[str]) -> bool:
    try:
        with open(path, encoding="utf-8", errors="replace") as handle:
            text = handle.read()
    except OSError:
        return False
    names = "|".join(re.escape(module) for module in modules if module)
    return bool(names) and re.search(rf"^\s*(from|import)\s+[\w.]*\b({names})\b", text, re.MULTILINE) is not None
