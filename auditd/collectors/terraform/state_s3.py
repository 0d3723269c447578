"""States in Terraform's S3 backend: the default workspace and every other one.

Terraform's S3 backend keeps the ``default`` workspace at ``KEY`` and every
other workspace ``W`` at ``<workspace_key_prefix>/W/KEY`` (prefix ``env:`` unless
configured).  Workspaces are found the way ``terraform workspace list`` finds
them: list the keys under ``<prefix>/`` (paginated) and keep those whose rest is
exactly ``W/KEY``.

Each workspace is its own scope, ``tfstate/s3://BUCKET/KEY`` for the default and
``tfstate/s3://BUCKET/KEY#W`` for the others, and its own result: a missing or
access-denied object, a corrupt or oversized state is a :class:`StateFailure`
for that workspace only.  If the listing itself fails, the default workspace is
still read and carries a warning; the other workspaces are simply not
collected this time (never "deleted").  Reads only: no writes, no locks.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from typing import Protocol

from auditd.collectors.aws.s3 import S3Error, S3NotFound, S3Object, s3_url
from auditd.collectors.terraform.state import DEFAULT_MAX_STATE_BYTES, parse_state
from auditd.collectors.terraform.state_types import (
    DEFAULT_WORKSPACE,
    StateDefaults,
    StateFailure,
    StateLocationError,
    StateRead,
)
from auditd.errors import DriftauditError

__all__ = [
    "ObjectReader",
    "list_workspaces",
    "parse_s3_url",
    "read_s3_states",
    "s3_scope",
    "workspace_key",
    "workspace_of",
]

StateResult = StateRead | StateFailure


class ObjectReader(Protocol):
    """What the collector needs from S3 (:class:`~auditd.collectors.aws.s3.S3Reader` has it)."""

    def fetch(self, bucket: str, key: str, max_bytes: int) -> S3Object: ...

    def list_keys(self, bucket: str, prefix: str) -> Iterator[str]: ...


def parse_s3_url(url: str) -> tuple[str, str]:
    """``s3://bucket/path/to/key`` → ``("bucket", "path/to/key")``."""
    bucket, _, key = url.removeprefix("s3://").partition("/")
    if not url.startswith("s3://") or not bucket or not key or key.endswith("/"):
        raise StateLocationError(f"{url}: not an S3 state location",
                                 hint="use s3://BUCKET/KEY with the bucket and key of the "
                                      "backend \"s3\" block, e.g. s3://tf-state/prod/terraform.tfstate")
    return bucket, key


def s3_scope(bucket: str, key: str, workspace: str = DEFAULT_WORKSPACE) -> str:
    base = f"tfstate/{s3_url(bucket, key)}"
    return base if workspace == DEFAULT_WORKSPACE else f"{base}#{workspace}"


def workspace_key(key: str, workspace: str, prefix: str) -> str:
    """Where Terraform stores ``workspace``'s state for backend key ``key``."""
    if workspace == DEFAULT_WORKSPACE:
        return key
    return f"{prefix}/{workspace}/{key}" if prefix else f"{workspace}/{key}"


def workspace_of(object_key: str, key: str, prefix: str) -> str | None:
    """The workspace an object key belongs to, or None (Terraform's ``keyEnv``)."""
    head = f"{prefix}/" if prefix else ""
    if not object_key.startswith(head):
        return None
    workspace, slash, rest = object_key[len(head):].partition("/")
    return workspace if slash and workspace and rest == key else None


def list_workspaces(reader: ObjectReader, bucket: str, key: str, prefix: str) -> list[str]:
    """Names of the non-default workspaces, sorted; raises :class:`S3Error`."""
    names = {workspace_of(k, key, prefix) for k in reader.list_keys(bucket, f"{prefix}/"
                                                                     if prefix else "")}
    return sorted(n for n in names if n and n != DEFAULT_WORKSPACE)


def read_s3_states(url: str, reader: ObjectReader, *, max_bytes: int = DEFAULT_MAX_STATE_BYTES,
                   defaults: StateDefaults | None = None, workspace_key_prefix: str = "env:",
                   all_workspaces: bool = True) -> list[StateResult]:
    """One result per workspace, the default first; only a malformed ``url`` raises."""
    bucket, key = parse_s3_url(url)
    backend = _Backend(reader, bucket, key, workspace_key_prefix, max_bytes, defaults)
    first = backend.read(DEFAULT_WORKSPACE)
    if not all_workspaces:
        return [first]
    try:
        names = list_workspaces(reader, bucket, key, workspace_key_prefix)
    except S3Error as exc:
        return [_listing_failed(first, exc)]
    return [first, *(backend.read(name) for name in names)]


@dataclasses.dataclass(frozen=True, slots=True)
class _Backend:
    reader: ObjectReader
    bucket: str
    key: str
    prefix: str
    max_bytes: int
    defaults: StateDefaults | None

    def read(self, workspace: str) -> StateResult:
        object_key = workspace_key(self.key, workspace, self.prefix)
        scope = s3_scope(self.bucket, self.key, workspace)
        source = s3_url(self.bucket, object_key)
        try:
            obj = self.reader.fetch(self.bucket, object_key, self.max_bytes)
            return parse_state(obj.data, source, self.defaults, scope=scope, workspace=workspace,
                               observed_at=obj.last_modified)
        except DriftauditError as exc:
            return StateFailure(scope=scope, source=source, error=exc, workspace=workspace)


def _listing_failed(first: StateResult, exc: S3Error) -> StateResult:
    bucket_missing = isinstance(exc, S3NotFound) and not exc.key
    if isinstance(first, StateFailure) and bucket_missing:
        return first  # the default's failure already says the bucket is missing
    warning = (f"other workspaces were not read: listing them failed: {exc.message}"
               + (f" (hint: {exc.hint})" if exc.hint else ""))
    return dataclasses.replace(first, warnings=(*first.warnings, warning))
