"""The pure part of drift notifications: event names, the signature, the retry schedule.

A webhook body is signed with HMAC-SHA256 over ``<timestamp>.<body>`` (the timestamp is
the ``X-Driftaudit-Timestamp`` header, whole seconds since the epoch), sent as
``X-Driftaudit-Signature: sha256=<hex>``.  Signing the timestamp with the body lets a
receiver refuse replays older than it tolerates; :func:`verify` is what a receiver
runs.  No I/O here: the sending is :mod:`auditd.service.notify`.
"""

from __future__ import annotations

import hashlib
import hmac

__all__ = ["SIGNATURE_HEADER", "TIMESTAMP_HEADER", "event_name", "retry_delays", "sign",
           "verify"]

SIGNATURE_HEADER = "X-Driftaudit-Signature"
TIMESTAMP_HEADER = "X-Driftaudit-Timestamp"
_SCHEME = "sha256="


def event_name(from_status: str | None) -> str:
    """``drift.opened`` for a new finding, ``drift.reopened`` for one found again or whose
    acceptance expired."""
    return "drift.opened" if from_status is None else "drift.reopened"


def sign(secret: bytes, timestamp: int, body: bytes) -> str:
    """The signature header's value for ``body`` sent at ``timestamp``."""
    mac = hmac.new(secret, f"{timestamp}.".encode() + body, hashlib.sha256)
    return _SCHEME + mac.hexdigest()


def verify(secret: bytes, timestamp: str, body: bytes, signature: str, *, now: int,
           tolerance_s: int = 300) -> bool:
    """A receiver's check: the signature matches and the timestamp is recent enough."""
    if not timestamp.isdigit() or abs(now - int(timestamp)) > tolerance_s:
        return False
    return hmac.compare_digest(sign(secret, int(timestamp), body), signature)


def retry_delays(retries: int, backoff_s: float) -> list[float]:
    """Seconds to wait before each further attempt: ``backoff``, doubled each time."""
    return [backoff_s * (2 ** n) for n in range(retries)]
