"""The per-installation fingerprint key: created once, kept private, never logged.

Secrets are stored only as HMAC-SHA256 fingerprints under this key.  It lives
in a file (default ``<state dir>/fingerprint.key``, mode 0600).  Every process
that writes the same database must use the same key file; the store records a
public key id and refuses a different key (see :class:`auditd.errors.KeyMismatch`).
"""

from __future__ import annotations

import os
import secrets
import stat
from pathlib import Path

from auditd.errors import ConfigError
from auditd.normalize import HmacFingerprinter

__all__ = ["KEY_BYTES", "load_fingerprinter", "load_or_create_key"]

KEY_BYTES = 32


def load_or_create_key(path: Path, label: str = "fingerprint key") -> bytes:
    """Read the key, or create it atomically (0600) if the file does not exist.

    ``label`` names the key in errors (the audit signing key uses this too)."""
    try:
        return _read_key(path, label)
    except FileNotFoundError:
        pass
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    key = secrets.token_bytes(KEY_BYTES)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(8)}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        os.write(fd, key.hex().encode() + b"\n")
        os.fsync(fd)
    finally:
        os.close(fd)
    try:
        os.link(tmp, path)  # fails if another process created it first: then use theirs
    except FileExistsError:
        pass
    finally:
        tmp.unlink()
    return _read_key(path, label)


def _read_key(path: Path, label: str) -> bytes:
    mode = path.stat().st_mode
    if mode & (stat.S_IRWXG | stat.S_IRWXO):
        raise ConfigError(f"{label} {path} is readable by others "
                          f"(mode {oct(mode & 0o777)})",
                          hint=f"chmod 600 {path}")
    text = path.read_text(encoding="ascii", errors="replace").strip()
    try:
        key = bytes.fromhex(text)
    except ValueError:
        raise ConfigError(
            f"{label} {path} is not hex",
            hint="restore it from backup; a new key makes every secret look changed",
        ) from None
    if len(key) < 16:
        raise ConfigError(f"{label} {path} is too short ({len(key)} bytes, need 16+)")
    return key


def load_fingerprinter(path: Path) -> HmacFingerprinter:
    return HmacFingerprinter(load_or_create_key(path))
