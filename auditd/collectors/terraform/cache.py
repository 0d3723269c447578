"""Parse results cached by content, and a per-tree index that avoids even reading files.

Layout under the cache directory (default ``<state_dir>/cache/hcl``)::

    objects/ab/abcdef....json    one parse result, named by sha256(parser version + bytes)
    roots/ab/abcdef....json      one evaluated root module, named by the hash of its inputs
    index/<tree>.json            path -> [fingerprint, object key, parsed ok]; path -> last
                                 good key; per folder its discovery facts; per root its inputs

- An object is immutable and content-addressed, so trees and processes share
  them safely; a corrupt or missing object is simply parsed again.
- The index maps each path's :attr:`SourceFile.fingerprint` (git blob id, or
  ``mtime:size:inode`` on disk) to its object: an unchanged file costs one
  dictionary lookup, no read and no hash.
- ``good`` remembers each path's last successful parse, used (and flagged
  stale) when the current content fails.
- ``folders`` and ``roots`` hold what :mod:`~auditd.collectors.terraform.hcl`
  needs to skip root discovery and evaluation when nothing they read changed.
- Every write goes to a temporary file renamed over the target (atomic on POSIX);
  the index is written once per collection by :meth:`ParseCache.save`.

With no directory the cache lives in memory for one collection.  Objects no
index refers to are not deleted (several trees may share them); removing the
directory is always safe.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import re
import tempfile
from pathlib import Path
from typing import Any

import orjson

__all__ = ["ParseCache", "content_key"]

_INDEX_FORMAT = 2
_SECTIONS = ("files", "good", "folders", "roots")


def content_key(parser_version: str, data: bytes) -> str:
    return hashlib.sha256(parser_version.encode() + b"\0" + data).hexdigest()


def _atomic_write(path: Path, payload: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=".tmp-", suffix=path.suffix)
    try:
        with os.fdopen(handle, "wb") as out:
            out.write(payload)
        Path(temporary).replace(path)
    except BaseException:
        with contextlib.suppress(OSError):
            Path(temporary).unlink()
        raise


class ParseCache:
    """Content-addressed parse results plus the fingerprint index of one tree."""

    def __init__(self, directory: Path | None, tree_id: str, parser_version: str) -> None:
        self.directory = directory
        self.parser_version = parser_version
        self._memory: dict[tuple[str, str], dict[str, Any]] = {}
        safe_id = re.sub(r"[^A-Za-z0-9._-]", "_", tree_id)[:100] or "tree"
        self._index_path = directory / "index" / f"{safe_id}.json" if directory else None
        self._sections: dict[str, dict[str, Any]] = {name: {} for name in _SECTIONS}
        self._files = self._sections["files"]
        self._good = self._sections["good"]
        self._dirty = False
        self._load_index()

    def _load_index(self) -> None:
        if self._index_path is None:
            return
        try:
            index = orjson.loads(self._index_path.read_bytes())
        except (OSError, orjson.JSONDecodeError):
            return
        if (not isinstance(index, dict) or index.get("format") != _INDEX_FORMAT
                or index.get("parser") != self.parser_version):
            return
        for name in _SECTIONS:
            self._sections[name].update(index.get(name) or {})

    def key(self, data: bytes) -> str:
        return content_key(self.parser_version, data)

    def known(self, path: str, fingerprint: str) -> tuple[str, bool] | None:
        """``(object key, parsed ok)`` recorded for ``path`` when its fingerprint is unchanged."""
        entry = self._files.get(path)
        if fingerprint and entry is not None and entry[0] == fingerprint:
            return str(entry[1]), bool(entry[2])
        return None

    def load(self, key: str, kind: str = "objects") -> dict[str, Any] | None:
        """A stored parse result (``kind="roots"``: an evaluated root), or None."""
        if (kind, key) in self._memory:
            return self._memory[kind, key]
        path = self._object_path(key, kind)
        if path is None:
            return None
        try:
            result = orjson.loads(path.read_bytes())
        except (OSError, orjson.JSONDecodeError):
            return None
        return result if isinstance(result, dict) and "ok" in result else None

    def store(self, key: str, result: dict[str, Any], kind: str = "objects") -> None:
        path = self._object_path(key, kind)
        if path is None:
            self._memory[kind, key] = result
            return
        with contextlib.suppress(OSError):  # a cache that cannot be written is only slower
            _atomic_write(path, orjson.dumps(result))

    def remember(self, path: str, fingerprint: str, key: str, *, ok: bool) -> None:
        """Record what ``path`` holds now; a good parse also becomes its last good one."""
        entry = [fingerprint, key, ok]
        if self._files.get(path) != entry:
            self._files[path] = entry
            self._dirty = True
        if ok and self._good.get(path) != key:
            self._good[path] = key
            self._dirty = True

    def last_good_key(self, path: str) -> str | None:
        return self._good.get(path)

    def last_good(self, path: str) -> dict[str, Any] | None:
        key = self._good.get(path)
        result = self.load(key) if key else None
        return result if result is not None and result.get("ok") else None

    def entry(self, section: str, name: str) -> Any:
        """A remembered ``folders``/``roots`` entry, or None."""
        return self._sections[section].get(name)

    def set_entry(self, section: str, name: str, value: Any) -> None:
        if self._sections[section].get(name) != value:
            self._sections[section][name] = value
            self._dirty = True

    def keep_only(self, section: str, names: set[str]) -> None:
        """Forget entries that no longer exist (a deleted file has no last good parse)."""
        table = self._sections[section]
        for gone in [name for name in table if name not in names]:
            del table[gone]
            self._dirty = True

    def save(self) -> None:
        if self._index_path is None or not self._dirty:
            return
        index = {"format": _INDEX_FORMAT, "parser": self.parser_version, **self._sections}
        with contextlib.suppress(OSError):
            _atomic_write(self._index_path, orjson.dumps(index))
        self._dirty = False

    def _object_path(self, key: str, kind: str = "objects") -> Path | None:
        if self.directory is None:
            return None
        return self.directory / kind / key[:2] / f"{key}.json"
