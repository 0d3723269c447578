"""Drift notifications to webhooks, muted by maintenance windows; never fails a drift run.

Called by :func:`auditd.service.drift.current_drift` after each recorded evaluation:

1. **What to announce** comes from the lifecycle log, not from this run's list: every
   transition *into* ``open`` (a new finding, one found again, an expired acceptance)
   since the last one announced (:func:`~auditd.store.finding_notices.openings_since`).
   A finding that stays open makes no transition, so repeats are never sent.  Findings
   no longer open and unsuppressed in this evaluation are skipped.
2. **Muting**: a finding inside the scope of a ``maintenance`` rule whose window is open
   at its opening (and at or below the rule's ``mutes_up_to``) is not sent; a history
   note names the window's rule id.  Outside the rule's ``match`` it is sent as usual.
3. **Outbox**: the notifications are added to the outbox (a store cursor) together with
   the new high-water mark, in one write, *before* anything is sent; then each sink's
   pending notifications are POSTed (timeout, retries with doubling backoff) and the
   delivered ones removed.  A sink that fails keeps its notifications for the next run
   and gives a warning; the drift run itself never fails because of a sink.

Delivery is at least once: every request carries ``X-Driftaudit-Delivery``, the same on
every retry, for receivers to dedupe.  Signed with HMAC-SHA256 when the sink has a secret
(:mod:`auditd.diff.drift_notice`).  Network: only the configured webhook URLs.
"""

from __future__ import annotations

import os
import time
import urllib.error
import urllib.request
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import orjson

from auditd.config import WebhookSink
from auditd.diff.drift_eval import RatedDrift
from auditd.diff.drift_notice import (
    SIGNATURE_HEADER,
    TIMESTAMP_HEADER,
    event_name,
    retry_delays,
    sign,
)
from auditd.rules import RuleSet
from auditd.rules.fieldtypes import Severity
from auditd.service import Runtime
from auditd.store.finding_notices import (
    Opening,
    last_transition_id,
    load_outbox,
    note_findings,
    openings_since,
    save_outbox,
)
from auditd.store.findings import finding_key

__all__ = ["OUTBOX", "NotifyReport", "notify_drift"]

OUTBOX = "notify/webhooks"
_BY = "driftaudit"


@dataclass(frozen=True, slots=True)
class NotifyReport:
    queued: int = 0
    sent: int = 0
    muted: int = 0
    pending: int = 0  # left in the outbox for the next run
    warnings: tuple[str, ...] = ()


class SinkError(Exception):
    """One delivery failed; the message says which sink and why."""


def notify_drift(rt: Runtime, evaluated: Sequence[RatedDrift], ruleset: RuleSet,
                 now: datetime) -> NotifyReport:
    """Announce the findings opened since the last run (see the module docstring)."""
    sinks = rt.settings.notify.webhooks
    if not sinks:
        return NotifyReport()
    box = load_outbox(rt.store, OUTBOX) or {}
    after = box.get("after")
    openings = openings_since(rt.store, after_id=after, since=now)
    current = {_key(r): r for r in evaluated if not r.verdict.suppressed}
    pending: dict[str, list[dict[str, Any]]] = {k: list(v) for k, v in
                                                 (box.get("pending") or {}).items()}
    notes, queued = _queue(openings, current, ruleset, sinks, pending)
    save_outbox(rt.store, OUTBOX, {"after": last_transition_id(openings, after),
                                   "pending": pending}, now)
    note_findings(rt.store, notes, now, _BY)
    sent, warnings = _deliver(sinks, pending)
    save_outbox(rt.store, OUTBOX, {"after": last_transition_id(openings, after),
                                   "pending": pending}, now)
    left = sum(len(v) for v in pending.values())
    return NotifyReport(queued, sent, len(notes), left, tuple(warnings))


def _key(r: RatedDrift) -> str:
    f = r.finding
    return finding_key(f.kind.value, r.drift.stack, f.address, str(f.key))


def _queue(openings: Sequence[Opening], current: Mapping[str, RatedDrift], ruleset: RuleSet,
           sinks: Sequence[WebhookSink],
           pending: dict[str, list[dict[str, Any]]]) -> tuple[dict[int, str], int]:
    notes: dict[int, str] = {}
    queued = 0
    for opening in openings:
        rated = current.get(opening.finding.finding_key)
        if rated is None or opening.finding.status != "open":
            continue  # converged, suppressed or accepted since it opened
        windows = ruleset.muted(rated.drift.subject(), opening.at,
                                Severity(rated.finding.severity))
        if windows:
            notes[opening.finding.id] = ("notification muted by maintenance window "
                                         + ", ".join(windows))
            continue
        payload = _payload(opening, rated)
        for sink in sinks:
            pending.setdefault(sink.name, []).append(
                {"delivery": f"{opening.transition_id}.{sink.name}", "payload": payload})
            queued += 1
    return notes, queued


def _payload(opening: Opening, rated: RatedDrift) -> dict[str, Any]:
    s, f = opening.finding, rated.finding
    ttd = s.time_to_detect
    return {
        "event": event_name(opening.from_status), "reason": opening.reason,
        "at": opening.at.isoformat(),
        "finding": {
            "id": s.id, "kind": s.kind, "severity": f.severity, "status": s.status,
            "key": s.key_text, "type": s.tf_type, "account": s.account, "region": s.region,
            "address": s.address or None, "stack": s.stack or None,
            "action": rated.drift.action or None, "tags": list(rated.verdict.tags),
            "severity_rule": rated.verdict.severity_rule,
            "first_seen": s.first_seen.isoformat(),
            "change_time": None if s.change_time is None else s.change_time.isoformat(),
            "time_to_detect_s": None if ttd is None else ttd.total_seconds(),
            "fields": [{"path": c.path, "op": c.op, "before": c.before, "after": c.after}
                       for c in f.fields],
        },
    }


def _deliver(sinks: Sequence[WebhookSink],
             pending: dict[str, list[dict[str, Any]]]) -> tuple[int, list[str]]:
    sent, warnings = 0, []
    for sink in sinks:
        items = pending.get(sink.name) or []
        left: list[dict[str, Any]] = []
        for n, item in enumerate(items):
            try:
                _post(sink, item)
                sent += 1
            except SinkError as exc:
                left = [*left, *items[n:]]  # the sink is down: keep the rest for next run
                warnings.append(f"{exc}; {len(items) - n} notification(s) kept for the "
                                "next drift run")
                break
        pending[sink.name] = left
    return sent, warnings


def _post(sink: WebhookSink, item: Mapping[str, Any]) -> None:
    body = orjson.dumps(item["payload"])
    headers = {"Content-Type": "application/json", "User-Agent": "driftaudit",
               "X-Driftaudit-Event": str(item["payload"]["event"]),
               "X-Driftaudit-Delivery": str(item["delivery"])}
    secret = _secret(sink)
    error = ""
    for delay in [0.0, *retry_delays(sink.retries, sink.backoff)]:
        time.sleep(delay)
        stamp = int(time.time())
        if secret is not None:
            headers[TIMESTAMP_HEADER] = str(stamp)
            headers[SIGNATURE_HEADER] = sign(secret, stamp, body)
        error = _attempt(sink, body, headers)
        if not error:
            return
    raise SinkError(f"webhook {sink.name} ({sink.url}): {error} after "
                    f"{sink.retries + 1} attempt(s)")


def _attempt(sink: WebhookSink, body: bytes, headers: Mapping[str, str]) -> str:
    """'' when the sink answered 2xx, else what went wrong."""
    request = urllib.request.Request(sink.url, data=body, headers=dict(headers), method="POST")
    try:
        with _OPENER.open(request, timeout=sink.timeout) as response:
            status = int(response.status)
    except urllib.error.HTTPError as exc:
        return f"HTTP {exc.code}"
    except (urllib.error.URLError, OSError, ValueError) as exc:
        return f"cannot reach it ({getattr(exc, 'reason', exc)})"
    return "" if 200 <= status < 300 else f"HTTP {status}"


class _NoRedirects(urllib.request.HTTPRedirectHandler):
    """A redirected POST would arrive elsewhere as a GET: report the 3xx instead."""

    def redirect_request(self, *_args: Any, **_kwargs: Any) -> None:
        return None


_OPENER = urllib.request.build_opener(_NoRedirects)


def _secret(sink: WebhookSink) -> bytes | None:
    if sink.secret_env:
        value = os.environ.get(sink.secret_env)
        if not value:
            raise SinkError(f"webhook {sink.name}: environment variable {sink.secret_env} "
                            "(its signing secret) is not set; set it or change secret_env")
        return value.encode()
    if sink.secret_file is not None:
        try:
            secret = sink.secret_file.read_bytes().strip()
        except OSError as exc:
            raise SinkError(f"webhook {sink.name}: cannot read secret_file "
                            f"{sink.secret_file}: {exc.strerror}") from None
        if not secret:
            raise SinkError(f"webhook {sink.name}: secret_file {sink.secret_file} is empty")
        return secret
    return None
