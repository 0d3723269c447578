"""Secret values become HMAC-SHA256 fingerprints, keyed per installation.

A fingerprint lets the store notice that a password changed without ever
holding the password: the clear value is replaced here, before hashing, before
diffing, before anything is written.  Without the installation key a
fingerprint cannot be brute-forced offline.  This module is pure: the key is
given to :class:`HmacFingerprinter` by the caller (see :mod:`auditd.keys`).
"""

from __future__ import annotations

import functools
import hashlib
import hmac
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
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


# The walker asks about every attribute name of every resource; names repeat a lot.
_secret_name = functools.lru_cache(maxsize=8192)(is_secret_name)
_LEAVES = frozenset({str, int, float, bool, type(None)})  # exact types: no subclasses


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


Prepare = Callable[[Any, tuple[PathSegment, ...]], Any]


def _as_is(value: Any, _path: tuple[PathSegment, ...]) -> Any:
    return value


def fingerprint_secrets(
    attrs: Mapping[str, Any],
    fingerprint: Fingerprinter,
    sensitive_paths: Iterable[str] = (),
    secret_fields: frozenset[str] = frozenset(),
    prepare: Prepare = _as_is,
) -> dict[str, Any]:
    """Replace every secret value, found by name or by sensitive path, with its fingerprint.

    ``prepare(value, path)`` runs on a secret before it is fingerprinted: the chain
    passes the canonicaliser, so a secret's fingerprint depends on what it means and
    not on key order, set order or ``1.0`` versus ``1``.  A secret that is blank after
    preparing (``None``, ``""``, ``{}``, ``[]``) is kept as it is, not fingerprinted:
    an absent secret is not a secret, and canonicalisation drops the empty ones.
    """
    walker = _Walker(tuple(parse_path(p) for p in sensitive_paths), fingerprint,
                     secret_fields, prepare)
    return walker.walk_dict(attrs, ())


def _is_blank(value: Any) -> bool:
    return value is None or (isinstance(value, str | Mapping | list | tuple) and not value)


@dataclass(frozen=True, slots=True)
class _Walker:
    patterns: tuple[tuple[PathSegment, ...], ...]
    fingerprint: Fingerprinter
    secret_fields: frozenset[str]
    prepare: Prepare

    def is_secret(self, path: tuple[PathSegment, ...]) -> bool:
        last = path[-1]
        if isinstance(last, str) and (last in self.secret_fields or _secret_name(last)):
            return True
        return bool(self.patterns) and any(path_matches(p, path) for p in self.patterns)

    def walk(self, value: Any, path: tuple[PathSegment, ...]) -> Any:
        if path and self.is_secret(path):
            prepared = self.prepare(value, path)
            return prepared if _is_blank(prepared) else self.fingerprint(prepared)
        kind = type(value)
        if kind in _LEAVES:  # fast paths for exact types first; same results
            return value
        if kind is dict or isinstance(value, Mapping):
            return self.walk_dict(value, path)
        if kind is list or isinstance(value, list | tuple):
            return [self.walk(v, (*path, i)) for i, v in enumerate(value)]
        return value

    def walk_dict(self, value: Mapping[str, Any], path: tuple[PathSegment, ...]) -> dict[str, Any]:
        return {k: self.walk(v, (*path, k)) for k, v in value.items()}
