"""When the change behind each drift finding happened: the ``change_time`` of time-to-detect.

The cause of a live finding (``changed``, ``unmanaged``, ``missing``) is the newest live
change of its resource key; of an ``unapplied`` one, the newest declared change at its
address.  Its time is the actor's event time when attribution found it
(``provenance["event_time"]``, RFC 3339, from CloudTrail), else the time the change was
observed.  Only findings without a stored change time are looked up, and an existing
finding only takes a time not after its ``first_seen`` (a later change did not cause it).
Reads the store; writes nothing.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime

from auditd.diff.drift_eval import RatedDrift
from auditd.store import Store
from auditd.store.finding_causes import ChangeMoment, newest_changes
from auditd.store.findings import StoredFinding, finding_key

__all__ = ["cause_time", "change_times"]

_UNAPPLIED = "unapplied"


def cause_time(moment: ChangeMoment) -> datetime:
    """The actor's event time when known (RFC 3339, with a zone), else the observed time."""
    text = moment.provenance.get("event_time")
    if isinstance(text, str):
        try:
            parsed = datetime.fromisoformat(text)
        except ValueError:
            return moment.observed_at
        if parsed.tzinfo is not None:
            return parsed
    return moment.observed_at


def change_times(store: Store, evaluated: Sequence[RatedDrift],
                 known: Mapping[str, StoredFinding], now: datetime) -> dict[str, datetime]:
    """Finding key → change time, for the findings of ``evaluated`` that lack one."""
    wanted = [r for r in evaluated if _lacks_time(known.get(_key(r)))]
    if not wanted:
        return {}
    live = newest_changes(store, "live", keys={str(r.finding.key) for r in wanted
                                               if r.finding.kind.value != _UNAPPLIED})
    declared = newest_changes(store, "declared", addresses={
        r.finding.address for r in wanted if r.finding.kind.value == _UNAPPLIED})
    out: dict[str, datetime] = {}
    for r in wanted:
        f = r.finding
        moment = declared.get(f.address) if f.kind.value == _UNAPPLIED else live.get(str(f.key))
        if moment is None:
            continue
        stored = known.get(_key(r))
        at = cause_time(moment)
        if at <= (stored.first_seen if stored is not None else now):
            out[_key(r)] = at
    return out


def _lacks_time(stored: StoredFinding | None) -> bool:
    return stored is None or stored.change_time is None


def _key(r: RatedDrift) -> str:
    f = r.finding
    return finding_key(f.kind.value, r.drift.stack, f.address, str(f.key))
