"""API tokens and roles: create (shown once), list, revoke, authenticate, authorise.

A token is ``da_`` followed by 43 URL-safe characters (32 random bytes); the store
keeps only its SHA-256 (:mod:`auditd.store.tokens`).  Roles and what each may do:

==========  ==================================================================
viewer      read: changes, scopes, drift, unreviewed, events
auditor     the same as viewer (kept apart so audits can be told from operators)
responder   viewer + incidents (read and record) and suspects
ingest      write only: POST changes, POST incidents, webhooks
admin       everything
==========  ==================================================================

This module never logs or stores a token in clear, and never decides about HTTP:
the API maps its answers to status codes.
"""

from __future__ import annotations

import hashlib
import re
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from auditd.errors import InputError
from auditd.service import Runtime, now_utc
from auditd.store import TokenRecord, Tokens

__all__ = ["ROLES", "TOKEN_PREFIX", "CreatedToken", "Permission", "allows", "authenticate",
           "create_token", "hash_token", "list_tokens", "mark_used", "revoke_token"]

TOKEN_PREFIX = "da_"
_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._@-]{0,127}\Z")
_TOKEN = re.compile(r"da_[A-Za-z0-9_-]{43}\Z")
_SHOWN_CHARS = 8  # of the random part, in the stored display prefix


class Permission(StrEnum):
    READ = "read"                        # changes, scopes, drift, unreviewed, events
    RESPOND = "respond"                  # read incidents and their suspects
    RECORD_INCIDENTS = "record-incidents"
    INGEST_CHANGES = "ingest-changes"
    WEBHOOKS = "webhooks"


ROLES: dict[str, frozenset[Permission]] = {
    "viewer": frozenset({Permission.READ}),
    "auditor": frozenset({Permission.READ}),
    "responder": frozenset({Permission.READ, Permission.RESPOND,
                            Permission.RECORD_INCIDENTS}),
    "ingest": frozenset({Permission.INGEST_CHANGES, Permission.RECORD_INCIDENTS,
                         Permission.WEBHOOKS}),
    "admin": frozenset(Permission),
}


@dataclass(frozen=True, slots=True)
class CreatedToken:
    """The secret (shown once, never stored) and its stored record."""

    secret: str
    record: TokenRecord


def allows(role: str, permission: Permission) -> bool:
    return permission in ROLES.get(role, frozenset())


def hash_token(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def create_token(rt: Runtime, name: str, role: str, *, expires_in: timedelta | None = None,
                 created_by: str = "", now: datetime | None = None) -> CreatedToken:
    """A new random token for ``role``; only its hash is stored."""
    if not _NAME.match(name):
        raise InputError(f"token name {name!r} is not valid",
                         hint="use 1-128 letters, digits, '.', '_', '@' or '-'")
    if role not in ROLES:
        raise InputError(f"unknown role {role!r}", hint=f"use one of {', '.join(ROLES)}")
    if expires_in is not None and expires_in <= timedelta(0):
        raise InputError("--expires must be a positive duration, e.g. 90d")
    moment = now or now_utc()
    secret = TOKEN_PREFIX + secrets.token_urlsafe(32)
    record = TokenRecord(name=name, role=role, prefix=secret[:len(TOKEN_PREFIX) + _SHOWN_CHARS],
                         created_at=moment, created_by=created_by,
                         expires_at=None if expires_in is None else moment + expires_in)
    Tokens(rt.store).create(record, hash_token(secret))
    return CreatedToken(secret=secret, record=record)


def list_tokens(rt: Runtime) -> list[TokenRecord]:
    return Tokens(rt.store).all()


def revoke_token(rt: Runtime, name: str, *, now: datetime | None = None) -> TokenRecord:
    return Tokens(rt.store).revoke(name, now or now_utc())


def mark_used(rt: Runtime, name: str, *, now: datetime | None = None) -> None:
    Tokens(rt.store).mark_used(name, now or now_utc())


def authenticate(rt: Runtime, presented: str, *, now: datetime | None = None) -> TokenRecord | None:
    """The usable token ``presented`` is, or None (unknown, malformed, revoked, expired)."""
    if not _TOKEN.match(presented):
        return None
    # Looked up by its SHA-256: timing reveals nothing about the token itself.
    record = Tokens(rt.store).by_hash(hash_token(presented))
    if record is None or not record.usable(now or now_utc()):
        return None
    return record
