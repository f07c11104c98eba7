"""What archlint reads from installed libraries, kept on disk between runs as plain JSON.

Entries live in `.archlint_cache/libraries/` of the current directory (ARCHLINT_CACHE_DIR replaces
`.archlint_cache`), apart from the other caches there. Each is keyed on what it was read from (a
file's path, size and modification time, or a whole source tree's) and holds only JSON: reading one
never runs code. A checkout can bring a `.archlint_cache` folder of its own, so each entry is signed
with a key kept outside the project (in the user's cache directory, readable by the user alone): an
entry that is not signed by this key, or that holds another key's data, is ignored and read afresh,
so a forged entry cannot change a result. Nothing here is ever needed: any failure to read or
write the cache only costs the time it would have saved.
"""

from __future__ import annotations

import functools
import hashlib
import hmac
import json
import os
import secrets
import tempfile

FORMAT = 1
SUBFOLDER = "libraries"


def file_key(path: str) -> list:
    """A file as it is now: its real path, size and modification time."""
    stat = os.stat(path)
    return [os.path.realpath(path), stat.st_size, stat.st_mtime_ns]


def tree_key(directory: str) -> list:
    """A source tree as it is now: its real path, and the size and modification time of every file in it."""
    entries = []
    for folder, _, files in os.walk(directory):
        for name in sorted(files):
            if name.endswith(".py"):
                stat = os.stat(os.path.join(folder, name))
                entries.append((os.path.relpath(os.path.join(folder, name), directory), stat.st_size, stat.st_mtime_ns))
    digest = hashlib.sha256(json.dumps(sorted(entries)).encode()).hexdigest()
    return [os.path.realpath(directory), digest]


def _folder() -> str:
    return os.path.join(os.environ.get("ARCHLINT_CACHE_DIR") or os.path.join(os.getcwd(), ".archlint_cache"), SUBFOLDER)


@functools.lru_cache(maxsize=1)
def _signing_key() -> bytes | None:
    """A random key in the user's own cache directory (not the project's), made on first use."""
    home = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    path = os.path.join(home, "archlint", "cache-key")
    try:
        with open(path, "rb") as handle:
            key = handle.read()
        if len(key) == 32:
            return key
    except OSError:
        pass
    try:
        os.makedirs(os.path.dirname(path), mode=0o700, exist_ok=True)
        key = secrets.token_bytes(32)
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(descriptor, "wb") as handle:
            handle.write(key)
        return key
    except OSError:
        return None


def _entry_path(kind: str, key) -> str:
    name = hashlib.sha256(json.dumps([FORMAT, kind, key]).encode()).hexdigest()[:32]
    return os.path.join(_folder(), f"{kind}-{name}.json")


def _signature(secret: bytes, kind: str, key, value) -> str:
    body = json.dumps([FORMAT, kind, key, value], sort_keys=True).encode()
    return hmac.new(secret, body, hashlib.sha256).hexdigest()


def load(kind: str, key):
    """The value stored for (kind, key) by this user's archlint, or None."""
    secret = _signing_key()
    if secret is None:
        return None
    try:
        with open(_entry_path(kind, key), encoding="utf-8") as handle:
            entry = json.load(handle)
    except (OSError, ValueError, RecursionError):
        return None
    if not isinstance(entry, dict) or entry.get("key") != key or not isinstance(entry.get("signature"), str):
        return None
    value = entry.get("value")
    if not hmac.compare_digest(entry["signature"], _signature(secret, kind, key, value)):
        return None
    return value


def store(kind: str, key, value) -> None:
    """Keep `value` (plain JSON data) for (kind, key); a cache that cannot be written is skipped."""
    secret = _signing_key()
    if secret is None:
        return
    entry = {"key": key, "value": value, "signature": _signature(secret, kind, key, value)}
    try:
        os.makedirs(_folder(), exist_ok=True)
        descriptor, temporary = tempfile.mkstemp(dir=_folder(), suffix=".tmp")
        with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
            json.dump(entry, handle)
        os.replace(temporary, _entry_path(kind, key))
    except OSError:
        pass
