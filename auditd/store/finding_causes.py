"""The stored change behind a drift finding: the newest change of a key (or address).

Time to detect is ``first_seen - change_time``; the change time comes from the change
that caused the drift (:func:`newest_changes`): for live drift the newest live change
of the resource key, for ``unapplied`` the newest declared change at the address.
Each is returned with its observed time and the provenance of its new version (of the
removal itself for removals), where CloudTrail attribution puts ``event_time``.
Read-only.
"""

from __future__ import annotations

from collections.abc import Collection, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any

import orjson
from sqlalchemy import Connection, select

from auditd.store.connection import translate_errors
from auditd.store.schema import changes, versions
from auditd.timeutil import from_micros

if TYPE_CHECKING:
    from auditd.store import Store

__all__ = ["ChangeMoment", "newest_changes", "newest_changes_in"]

_CHUNK = 500  # keys per IN (...): far below SQLite's bound-parameter limit


@dataclass(frozen=True, slots=True)
class ChangeMoment:
    observed_at: datetime
    kind: str
    provenance: Mapping[str, Any] = field(default_factory=dict)


def newest_changes(store: Store, origin: str, *, keys: Collection[str] = (),
                   addresses: Collection[str] = ()) -> dict[str, ChangeMoment]:
    """The newest change of ``origin`` per key text (``keys``) or per address (``addresses``)."""
    with translate_errors(store.url), store.engine.connect() as conn:
        return newest_changes_in(conn, origin, keys=keys, addresses=addresses)


def newest_changes_in(conn: Connection, origin: str, *, keys: Collection[str] = (),
                      addresses: Collection[str] = ()) -> dict[str, ChangeMoment]:
    out: dict[str, ChangeMoment] = {}
    for column, wanted in ((changes.c.key_text, keys), (changes.c.address, addresses)):
        for chunk in _chunks(sorted(set(wanted))):
            query = (select(column.label("name"), changes.c.observed_at, changes.c.kind,
                            changes.c.provenance, versions.c.provenance.label("after"))
                     .outerjoin(versions, changes.c.after_version_id == versions.c.id)
                     .where(changes.c.origin == origin, column.in_(chunk))
                     .order_by(changes.c.observed_at, changes.c.id))
            for row in conn.execute(query):  # oldest first: the newest stays
                text = row.after or row.provenance
                out[row.name] = ChangeMoment(from_micros(row.observed_at), row.kind,
                                             dict(orjson.loads(text)) if text else {})
    return out


def _chunks(items: list[str]) -> Iterator[list[str]]:
    for start in range(0, len(items), _CHUNK):
        yield items[start:start + _CHUNK]
