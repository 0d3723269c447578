"""Incidents in the store: upserted by id, read one or by onset time."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import orjson
from sqlalchemy import Connection, select
from sqlalchemy.dialects import postgresql, sqlite

from auditd.model import Incident
from auditd.store.schema import incidents
from auditd.timeutil import from_micros, to_micros

__all__ = ["get_incident", "list_incidents", "record_incident"]


def record_incident(conn: Connection, incident: Incident, received_us: int) -> bool:
    """Insert or update; returns True when the id was new."""
    existed = conn.execute(select(incidents.c.id).where(incidents.c.id == incident.id)).first()
    row = {
        "id": incident.id, "onset": to_micros(incident.onset), "received_at": received_us,
        "services": orjson.dumps(list(incident.services)).decode(),
        "severity": incident.severity, "title": incident.title, "source": incident.source,
        "labels": orjson.dumps(dict(incident.labels)).decode(),
        "annotations": orjson.dumps(dict(incident.annotations)).decode(),
    }
    dialect_insert = postgresql.insert if conn.dialect.name == "postgresql" else sqlite.insert
    statement = dialect_insert(incidents).values(**row)
    conn.execute(statement.on_conflict_do_update(
        index_elements=["id"],
        set_={k: statement.excluded[k] for k in row if k not in ("id", "received_at")}))
    return existed is None


def get_incident(conn: Connection, incident_id: str) -> Incident | None:
    row = conn.execute(select(incidents).where(incidents.c.id == incident_id)).first()
    return None if row is None else _incident(row)


def list_incidents(conn: Connection, since: datetime | None = None) -> list[Incident]:
    query = select(incidents).order_by(incidents.c.onset)
    if since is not None:
        query = query.where(incidents.c.onset >= to_micros(since))
    return [_incident(row) for row in conn.execute(query)]


def _incident(row: Any) -> Incident:
    return Incident(
        id=row.id, onset=from_micros(row.onset), services=tuple(orjson.loads(row.services)),
        severity=row.severity, title=row.title, source=row.source,
        labels=orjson.loads(row.labels), annotations=orjson.loads(row.annotations))
