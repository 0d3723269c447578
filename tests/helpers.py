"""Builders for test data: snapshots and resources in a line each."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from auditd.model import Origin, Resource, ResourceKey, ScopeSelector, Snapshot, SnapshotError

T0 = datetime(2026, 11, 1, 12, 0, tzinfo=UTC)
ACCOUNT = "123456789012"
REGION = "eu-west-1"


def at(hours: float) -> datetime:
    """T0 plus some hours."""
    return T0 + timedelta(hours=hours)


def key(tf_type: str = "aws_s3_bucket", rid: str = "b1", *, account: str = ACCOUNT,
        region: str = REGION) -> ResourceKey:
    return ResourceKey("aws", tf_type, rid, account, region)


def res(rid: str = "b1", attrs: dict[str, Any] | None = None, *, tf_type: str = "aws_s3_bucket",
        origin: Origin = Origin.LIVE, region: str = REGION, sensitive: tuple[str, ...] = (),
        provenance: dict[str, Any] | None = None, address: str = "") -> Resource:
    return Resource(key=key(tf_type, rid, region=region), attrs=attrs or {"name": rid},
                    origin=origin, sensitive_paths=sensitive, provenance=provenance or {},
                    address=address)


def snap(resources: list[Resource], hours: float = 0, *, scope: str = "aws/test",
         errors: list[tuple[str, ScopeSelector | None]] | None = None) -> Snapshot:
    errs = tuple(SnapshotError(message=m, selector=s) for m, s in (errors or []))
    return Snapshot(scope=scope, taken_at=at(hours), resources=tuple(resources),
                    complete=not errs, errors=errs)
