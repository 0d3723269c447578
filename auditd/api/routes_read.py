"""Read-only routes: health, changes, scopes, drift, unreviewed changes, change events.

Thin: parse query parameters, call :mod:`auditd.service`, shape with :mod:`auditd.render`
(the CLI's ``--json`` contracts) and :mod:`auditd.api.contracts`.  Lists are wrapped in
an object so pages can carry ``next_cursor`` and answers can carry ``warnings``
(incomplete scopes: their resources are kept as last seen, never reported missing).
"""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request

from auditd.api.auth import require, runtime_of
from auditd.api.contracts import event_dict, warnings_list
from auditd.api.errors import ApiError
from auditd.model import Origin
from auditd.service import now_utc
from auditd.service.tokens import Permission
from auditd.store import TokenRecord
from auditd.timeutil import parse_time

__all__ = ["parse_time_param", "router"]

router = APIRouter()
log = logging.getLogger("auditd.api")
Reader = Annotated[TokenRecord, require(Permission.READ)]
Since = Annotated[str | None, Query(description="ISO-8601, `now`, or a duration back (2h, 7d)")]
Until = Annotated[str | None, Query(description="same forms as `since`")]
Limit = Annotated[int, Query(ge=1, le=1000, description="page size")]
Cursor = Annotated[str | None, Query(max_length=512,
                                     description="`next_cursor` of the previous page")]
ShortText = Annotated[str | None, Query(max_length=256)]


def parse_time_param(value: str | None, name: str) -> datetime | None:
    if value is None or value == "":
        return None
    try:
        return parse_time(value, now_utc())
    except (ValueError, OverflowError) as exc:
        raise ApiError(400, "invalid_parameter", f"{name}: {exc}") from None


@router.get("/healthz", tags=["health"], summary="Liveness: the store is reachable (no auth)")
def healthz(request: Request) -> Any:
    from auditd.errors import StoreError
    from auditd.service.listings import store_reachable

    try:
        store_reachable(runtime_of(request))
    except StoreError as exc:  # unauthenticated: say what, not where (no database URL)
        log.warning("health check: %s", exc)
        raise ApiError(503, "store_unavailable", "the store cannot be reached; see the "
                       "server's log", headers={"Retry-After": "5"}) from None
    return {"status": "ok"}


@router.get("/api/v1/changes", tags=["changes"], summary="Stored resource changes, oldest first")
def list_changes(request: Request, _token: Reader, *, since: Since = None, until: Until = None,
                 tf_type: Annotated[str | None, Query(alias="type", max_length=256)] = None,
                 account: ShortText = None, region: ShortText = None,
                 origin: Annotated[Origin | None, Query()] = None,
                 scope: ShortText = None,
                 key: Annotated[str | None, Query(max_length=1024,
                                                  description="glob over key or address")] = None,
                 limit: Limit = 100, cursor: Cursor = None) -> Any:
    from auditd.render import change_dict
    from auditd.service.listings import ChangeQuery, change_page

    query = ChangeQuery(since=parse_time_param(since, "since"),
                        until=parse_time_param(until, "until"), tf_type=tf_type,
                        account=account, region=region, origin=origin, scope=scope,
                        key_pattern=key)
    page = change_page(runtime_of(request), query, limit=limit, cursor=cursor)
    return {"changes": [change_dict(c) for c in page.items], "next_cursor": page.next_cursor}


@router.get("/api/v1/scopes", tags=["changes"],
            summary="Scopes with their latest snapshot; incomplete ones as warnings")
def list_scopes(request: Request, _token: Reader) -> Any:
    from auditd import service
    from auditd.render import scope_dict
    from auditd.service.listings import incomplete_scopes

    rt = runtime_of(request)
    return {"scopes": [scope_dict(s) for s in service.scopes(rt)],
            "warnings": warnings_list(incomplete_scopes(rt))}


@router.get("/api/v1/drift", tags=["drift"],
            summary="Drift findings now, with their lifecycle as recorded (a read: records "
                    "nothing), plus warnings")
def drift(request: Request, _token: Reader, *, account: ShortText = None,
          tf_type: Annotated[str | None, Query(alias="type", max_length=256)] = None,
          severity: ShortText = None,
          status: Annotated[str | None, Query(max_length=256, description=(
              "lifecycle status: new (found now, not open in the recorded lifecycle), "
              "open, acknowledged, accepted, resolved"))] = None) -> Any:
    from auditd.render.drift import drift_outcome_dict
    from auditd.service.drift import DriftFilter, current_drift
    from auditd.service.listings import incomplete_scopes

    rt = runtime_of(request)
    flt = DriftFilter(account=account, tf_type=tf_type, min_severity=severity, status=status)
    # A pure read: findings computed now, each with its lifecycle as recorded; the daemon's
    # drift job and `driftaudit drift` record (and announce) the lifecycle, a GET never does.
    outcome = current_drift(rt, flt=flt, read_lifecycle=True)
    document = drift_outcome_dict(outcome)
    document["findings"] = [_with_lifecycle_keys(f) for f in document["findings"]]
    return {**document, "warnings": warnings_list(incomplete_scopes(rt))}


# What a finding the lifecycle has not recorded (status `new`) carries in place of its record.
_UNRECORDED: dict[str, Any] = {
    "id": None, "first_seen": None, "last_seen": None, "occurrences": 0, "owner": None,
    "reason": None, "expires_at": None, "resolved_at": None, "change_time": None,
    "time_to_detect_s": None,
}


def _with_lifecycle_keys(finding: dict[str, Any]) -> dict[str, Any]:
    """Every finding with the same keys: a `new` one has null in place of its record."""
    return {**finding, **{k: v for k, v in _UNRECORDED.items() if k not in finding}}


@router.get("/api/v1/unreviewed", tags=["review"],
            summary="Changes without an independent review (like `driftaudit unreviewed`)")
def unreviewed(request: Request, _token: Reader, since: Since = "7d",
               include_baseline: Annotated[bool, Query(
                   description="also list each scope's first-snapshot changes")] = False) -> Any:
    from auditd.render.review import review_dict
    from auditd.service.review import unreviewed_changes

    found = unreviewed_changes(runtime_of(request), parse_time_param(since, "since"),
                               include_baseline=include_baseline)
    return {"changes": [review_dict(c, s) for c, s in found]}


@router.get("/api/v1/events", tags=["changes"], summary="Change events, by start time")
def list_events(request: Request, _token: Reader, *, since: Since = None, until: Until = None,
                source: ShortText = None, limit: Limit = 100, cursor: Cursor = None) -> Any:
    from auditd.service.listings import event_page

    page = event_page(runtime_of(request), since=parse_time_param(since, "since"),
                      until=parse_time_param(until, "until"), source=source, limit=limit,
                      cursor=cursor)
    return {"events": [event_dict(e) for e in page.items], "next_cursor": page.next_cursor}
