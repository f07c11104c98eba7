"""archlint's caches on disk: one folder, `.archlint_cache/`, with a subfolder per cache.

    from archlint import disk_cache

    LIBRARIES = disk_cache.Folder("libraries")
    value = LIBRARIES.load("reexports", key)   # None: absent, stale, corrupt, or not signed by this user
    LIBRARIES.store("reexports", key, value)   # key and value: plain JSON data

The folder is the one `use_directory` names (`--cache-dir`, setting `cache-dir`), else ARCHLINT_CACHE_DIR, else
`.archlint_cache` in the current directory. Whichever cache writes first makes it, with a CACHEDIR.TAG (backup
tools skip the folder) and a `.gitignore` of `*` (git ignores it), as ruff does.

An entry is plain data: a line with its signature, then JSON. Reading one never runs code, and one larger than
MAX_ENTRY_BYTES is neither read nor written. A checkout can bring a `.archlint_cache` of its own (a pull request can
commit one), and anyone can compute a checksum, so each entry is signed with an HMAC key kept outside the project
(~/.cache/archlint/cache-key, readable by its user alone) over its format, kind, key and value. An entry that is
truncated, garbled, of another format or archlint code (`code_fingerprint`), for another key or not signed with this
key is ignored: the caller computes the value afresh and stores it over the entry, so a forged entry cannot change a
result. An entry is written to a temporary file renamed into place, so that concurrent runs (pre-commit and an
editor) leave every entry whole. No cache is ever needed: one that cannot be read or written costs only the time it
would have saved.
"""

from __future__ import annotations

import functools
import hashlib
import hmac
import json
import os
import re
import secrets
import stat
import tempfile

CACHEDIR_TAG = ("Signature: 8a477f597d28d172789f06886806bc55\n"
                "# This file is a cache directory tag created by archlint.\n"
                "# For information about cache directory tags see https://bford.info/cachedir/\n")

# The largest entry read or written. The largest archlint makes are far below it: a file calling all 40 Keras
# Applications 9.6 MB, a 10,000-layer Sequential with a finding on each layer 7.5 MB, EfficientNetV2L's factory
# entry 1.7 MB. A larger file (a crafted one a checkout brings) is a miss, never read into memory.
MAX_ENTRY_BYTES = 64 * 2**20

GITIGNORE = "# Made by archlint.\n*\n"
# The names archlint gives what it writes in a cache's subfolder: entries (`Folder._entry`) and temporary files.
_WRITTEN = re.compile(r"[a-z][a-z-]*-[0-9a-f]{32}\.json|\..+\.tmp")

_directory: str | None = None  # use_directory's; None: ARCHLINT_CACHE_DIR or ./.archlint_cache
_fingerprint: str | None = None  # code_fingerprint's, taken once per process
_prepared: set[str] = set()  # the cache folders given their CACHEDIR.TAG and .gitignore by this process


def use_directory(path: str | None) -> None:
    """Keep the caches in `path` from now on; None: ARCHLINT_CACHE_DIR, else `.archlint_cache` here."""
    global _directory
    _directory = None if path is None else os.path.abspath(path)


def directory() -> str:
    """The folder holding every cache."""
    return _directory or os.path.abspath(os.environ.get("ARCHLINT_CACHE_DIR") or ".archlint_cache")


def stat_key(path: str) -> tuple:
    """What tells one version of a file from another without reading it: its size, modification and change times
    and inode. A file rewritten with its size and modification time kept (os.utime sets those, never the change
    time) is told apart."""
    info = os.stat(path)
    return path, info.st_size, info.st_mtime_ns, info.st_ctime_ns, info.st_ino


def file_key(path: str) -> list:
    """A file as it is now: its real path, size, modification time and the digest of its bytes (a file rewritten
    within the clock's resolution, or copied with its times kept, has the size and time of another content)."""
    version = stat_key(path)
    return [os.path.realpath(path), version[1], version[2], file_digest(path)]


# Digests of files by `stat_key`: a library module many files import is read once per run, and a long-lived
# process (the IPython magic) sees a file rewritten with its size and modification time kept as the new file it is.
_digests: dict[tuple, str] = {}


def file_digest(path: str) -> str:
    """The sha256 of a file's bytes now; OSError when it cannot be read."""
    version = stat_key(path)
    if version not in _digests:
        with open(path, "rb") as handle:
            _digests[version] = hashlib.sha256(handle.read()).hexdigest()
    return _digests[version]


def tree_key(folder: str) -> list:
    """A source tree as it is now: its real path, and the `stat_key` of every .py file in it."""
    entries = []
    for root, directories, files in os.walk(folder):
        directories.sort()
        for name in sorted(files):
            if name.endswith(".py"):
                path = os.path.join(root, name)
                entries.append([os.path.relpath(path, folder), *stat_key(path)[1:]])
    return [os.path.realpath(folder), hashlib.sha256(json.dumps(entries).encode()).hexdigest()]


def code_fingerprint() -> str:
    """archlint's own code as installed now, its package and its rules' (`tree_key` of each): every cache keys on it,
    since during development the version stays the same while the code changes."""
    global _fingerprint
    if _fingerprint is None:
        import archlint.rules

        folders = [os.path.dirname(os.path.abspath(module)) for module in (__file__, archlint.rules.__file__)]
        _fingerprint = hashlib.sha256(json.dumps([tree_key(folder) for folder in folders]).encode()).hexdigest()
    return _fingerprint


class Folder:
    """One cache: the subfolder `name` of the cache folder. `format` numbers the layout of its values (raise it
    whenever what a value holds changes): a value of another format, or written by other archlint code, is ignored
    and written over."""

    def __init__(self, name: str, format: int = 1):
        self.name, self.format = name, format

    @property
    def path(self) -> str:
        return os.path.join(directory(), self.name)

    def load(self, kind: str, key):
        """The value stored for (kind, key) by this user's archlint, or None."""
        secret = _signing_key()
        if secret is None:
            return None
        try:
            with open(self._entry(kind, key), "rb") as handle:
                if os.fstat(handle.fileno()).st_size > MAX_ENTRY_BYTES:
                    return None
                data = handle.read(MAX_ENTRY_BYTES + 1)
            if len(data) > MAX_ENTRY_BYTES:  # grown since
                return None
            signature, _, body = data.partition(b"\n")
            if not hmac.compare_digest(signature, hmac.new(secret, body, hashlib.sha256).hexdigest().encode()):
                return None
            entry = json.loads(body)
        except (OSError, ValueError, RecursionError):
            return None
        if not isinstance(entry, dict) or entry.get("format") != self._format() \
                or entry.get("kind") != kind or entry.get("key") != json.loads(json.dumps(key)):  # tuples as lists
            return None
        return entry.get("value")

    def store(self, kind: str, key, value) -> None:
        """Keep `value` (plain JSON data) for (kind, key); a cache that cannot be written is skipped."""
        secret = _signing_key()
        if secret is None:
            return
        try:
            body = json.dumps({"format": self._format(), "kind": kind, "key": key, "value": value},
                              separators=(",", ":")).encode()
        except (TypeError, ValueError, RecursionError):  # not plain data: nothing to keep
            return
        if len(body) + 65 > MAX_ENTRY_BYTES:  # one no run would read back (65: the signature line)
            return
        signature = hmac.new(secret, body, hashlib.sha256).hexdigest().encode()
        if os.path.islink(directory()) or os.path.islink(self.path):
            return  # a checkout's symlink (`.archlint_cache -> ..`) would have the tag and .gitignore written elsewhere
        try:
            _prepare(directory())
            os.makedirs(self.path, exist_ok=True)
            _write(self._entry(kind, key), signature + b"\n" + body)
        except OSError:
            pass

    def _format(self) -> list:
        """What an entry must have been written by: this cache's layout, and archlint's code as it is now (how a
        value is laid out and what it means is that code's; during development the version stays the same)."""
        return [self.name, self.format, code_fingerprint()]

    def _entry(self, kind: str, key) -> str:
        name = hashlib.sha256(json.dumps([self.format, kind, key]).encode()).hexdigest()[:32]
        return os.path.join(self.path, f"{kind}-{name}.json")


class NotACache(Exception):
    """A folder `clean` does not remove: archlint did not make it."""


def clean(root: str) -> list[str] | None:
    """Remove the cache folder `root` (`archlint clean`): what archlint wrote there (its CACHEDIR.TAG, .gitignore,
    and each cache's entries and subfolder), and the folder when nothing else is left in it. A symbolic link is
    never followed. Returns what was left (files archlint did not write), None when there was no folder; raises
    NotACache for a folder without archlint's CACHEDIR.TAG, a symbolic link or a file, and OSError."""
    if os.path.islink(root):
        raise NotACache(f"{root} is a symbolic link, not removed")
    if not os.path.lexists(root):
        return None
    if not os.path.isdir(root):
        raise NotACache(f"{root} is not a folder, not removed")
    if _read_plain_file(os.path.join(root, "CACHEDIR.TAG"), len(CACHEDIR_TAG)) != CACHEDIR_TAG.encode():
        raise NotACache(f"{root} is not an archlint cache folder (no CACHEDIR.TAG written by archlint), not removed")
    left = []
    for entry in os.scandir(root):
        if entry.is_dir(follow_symlinks=False):
            for item in os.scandir(entry.path):
                if item.is_file(follow_symlinks=False) and _WRITTEN.fullmatch(item.name):
                    os.unlink(item.path)
                else:
                    left.append(item.path)
            if not any(path.startswith(entry.path + os.sep) for path in left):
                os.rmdir(entry.path)
        elif entry.name == ".gitignore" and _read_plain_file(entry.path, len(GITIGNORE)) == GITIGNORE.encode():
            os.unlink(entry.path)
        elif entry.name != "CACHEDIR.TAG":
            left.append(entry.path)
    if not left:  # the tag stays with what is left: backups still skip the folder, and clean may go on
        os.unlink(os.path.join(root, "CACHEDIR.TAG"))
        os.rmdir(root)
    _prepared.discard(root)
    return sorted(left)


def _read_plain_file(path: str, size: int) -> bytes | None:
    """The first `size` + 1 bytes of the regular file at `path`, not through a symbolic link; else None."""
    try:
        descriptor = os.open(path, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0))
    except OSError:
        return None
    with os.fdopen(descriptor, "rb") as handle:
        return handle.read(size + 1) if stat.S_ISREG(os.fstat(handle.fileno()).st_mode) else None


def _prepare(root: str) -> None:
    """The cache folder, with its CACHEDIR.TAG and .gitignore."""
    if root in _prepared:
        return
    os.makedirs(root, exist_ok=True)
    for name, text in (("CACHEDIR.TAG", CACHEDIR_TAG), (".gitignore", GITIGNORE)):
        if not os.path.exists(os.path.join(root, name)):
            _write(os.path.join(root, name), text.encode())
    _prepared.add(root)


def _write(path: str, data: bytes) -> None:
    """`data` into `path` whole: readers see the old file or the new one, never part of it."""
    descriptor, temporary = tempfile.mkstemp(dir=os.path.dirname(path), prefix=".", suffix=".tmp")
    try:
        with os.fdopen(descriptor, "wb") as handle:
            handle.write(data)
        os.replace(temporary, path)
    except BaseException:
        try:
            os.unlink(temporary)
        except OSError:
            pass
        raise


@functools.lru_cache(maxsize=1)
def _signing_key() -> bytes | None:
    """A random key in the user's own cache directory (not the project's), made on first use."""
    home = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    path = os.path.join(home, "archlint", "cache-key")
    for _ in range(2):
        try:
            with open(path, "rb") as handle:
                key = handle.read()
            if len(key) == 32:
                return key
        except OSError:
            pass
        try:
            os.makedirs(os.path.dirname(path), mode=0o700, exist_ok=True)
            # Written whole under a temporary name (mode 0600): a run starting at the same time reads a whole key.
            descriptor, temporary = tempfile.mkstemp(dir=os.path.dirname(path))
            with os.fdopen(descriptor, "wb") as handle:
                handle.write(secrets.token_bytes(32))
            try:
                os.link(temporary, path)  # the first run's key wins, the others read it
            except FileExistsError:
                if os.path.getsize(path) != 32:  # a damaged key is replaced
                    os.replace(temporary, path)
            except OSError:  # a file system without hard links
                os.replace(temporary, path)
            finally:
                if os.path.exists(temporary):
                    os.unlink(temporary)
        except OSError:
            return None
    return None
