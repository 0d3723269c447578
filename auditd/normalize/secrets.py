"""Secret values become HMAC-SHA256 fingerprints, keyed per installation.

A fingerprint lets the store notice that a password changed without ever
holding the password: the clear value is replaced here, before hashing, before
diffing, before anything is written.  Without the installation key a
fingerprint cannot be brute-forced offline.  This module is pure: the key is
given to :class:`HmacFingerprinter` by the caller (see :mod:`auditd.keys`).
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Callable, Iterable, Mapping
from typing import Any

import orjson

from auditd.paths import PathSegment, parse_path, path_matches

__all__ = [
    "FINGERPRINT_PREFIX",
    "Fingerprinter",
    "HmacFingerprinter",
    "fingerprint_secrets",
    "is_fingerprint",
    "is_secret_name",
]

FINGERPRINT_PREFIX = "secret:hmac-sha256:"

Fingerprinter = Callable[[Any], str]

_SECRET_NAMES = frozenset(
    {
        "password",
        "secret",
        "token",
        "private_key",
        "secret_string",
        "secret_binary",
        "client_secret",
        "auth_token",
        "master_password",
        "secret_access_key",
        "ses_smtp_password_v4",
        "private_key_pem",
        "private_key_openssh",
        "api_key",
        "sasl_password",
    }
)
_SECRET_SUFFIXES = ("_password", "_secret", "_token", "_private_key", "_secret_string")


def is_secret_name(name: str) -> bool:
    lowered = name.lower()
    return lowered in _SECRET_NAMES or lowered.endswith(_SECRET_SUFFIXES)


def is_fingerprint(value: Any) -> bool:
    return isinstance(value, str) and value.startswith(FINGERPRINT_PREFIX)


class HmacFingerprinter:
    """``value -> "secret:hmac-sha256:<32 hex>"``; equal values give equal fingerprints."""

    def __init__(self, key: bytes) -> None:
        if len(key) < 16:
            raise ValueError("fingerprint key must be at least 16 bytes")
        self._key = key

    @property
    def key_id(self) -> str:
        """A public identifier of the key (not the key): lets the store refuse a different key."""
        return hashlib.sha256(b"driftaudit-key-id:" + self._key).hexdigest()[:16]

    def __call__(self, value: Any) -> str:
        if is_fingerprint(value):
            return str(value)
        payload = orjson.dumps(value, option=orjson.OPT_SORT_KEYS)
        return FINGERPRINT_PREFIX + hmac.new(self._key, payload, hashlib.sha256).hexdigest()[:32]

    def digest(self, payload: bytes) -> bytes:
        """Keyed digest of raw bytes (used for the raw-attribute fast path)."""
        return hashlib.blake2b(payload, key=self._key[:64], digest_size=16).digest()


def fingerprint_secrets(
    attrs: Mapping[str, Any],
    fingerprint: Fingerprinter,
    sensitive_paths: Iterable[str] = (),
    secret_fields: frozenset[str] = frozenset(),
) -> dict[str, Any]:
    """Replace every secret value, found by name or by sensitive path, with its fingerprint."""
    patterns = tuple(parse_path(p) for p in sensitive_paths)
    return _walk_dict(attrs, (), patterns, fingerprint, secret_fields)


def _is_secret(path: tuple[PathSegment, ...], patterns: tuple[tuple[PathSegment, ...], ...],
               secret_fields: frozenset[str]) -> bool:
    last = path[-1]
    if isinstance(last, str) and (last in secret_fields or is_secret_name(last)):
        return True
    return any(path_matches(p, path) for p in patterns)


def _walk(value: Any, path: tuple[PathSegment, ...],
          patterns: tuple[tuple[PathSegment, ...], ...], fingerprint: Fingerprinter,
          secret_fields: frozenset[str]) -> Any:
    if path and _is_secret(path, patterns, secret_fields):
        return value if value is None or value == "" else fingerprint(value)
    if isinstance(value, Mapping):
        return _walk_dict(value, path, patterns, fingerprint, secret_fields)
    if isinstance(value, list | tuple):
        return [_walk(v, (*path, i), patterns, fingerprint, secret_fields)
                for i, v in enumerate(value)]
    return value


def _walk_dict(value: Mapping[str, Any], path: tuple[PathSegment, ...],
               patterns: tuple[tuple[PathSegment, ...], ...], fingerprint: Fingerprinter,
               secret_fields: frozenset[str]) -> dict[str, Any]:
    return {k: _walk(v, (*path, k), patterns, fingerprint, secret_fields)
            for k, v in value.items()}
