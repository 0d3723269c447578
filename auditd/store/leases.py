"""Leases of the daemon's scheduled jobs: each job runs once per period across processes.

Several ``driftaudit serve`` processes may share one PostgreSQL store; APScheduler only
*triggers* work locally (its job stores must not be shared between processes).  Before a
run, a process claims the job's lease row with one conditional ``UPDATE``:

* the lease is free (``expires_at`` passed: released, or its holder died), and
* no run of the job *started* within the last ``period`` (someone else has this period's).

A run that finishes records ``last_finished`` and its outcome and frees the lease; a
holder that dies mid-run never frees it, so once ``expires_at`` has passed, the next
period's claim by any process takes the job over.  Counting the period from the start
(not the end) of a run keeps a job that takes minutes on its schedule.

The ``UPDATE ... WHERE`` is atomic on both back ends (a row lock on PostgreSQL, the
database write lock on SQLite), so two claimants can never both win.

This module only reads and writes lease rows; the daemon decides what to run.
"""

from __future__ import annotations

from contextlib import AbstractContextManager
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from sqlalchemy import Connection, and_, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite

from auditd.store.connection import reading, writing
from auditd.store.schema import job_leases
from auditd.timeutil import from_micros, to_micros

if TYPE_CHECKING:
    from auditd.store import Store

__all__ = ["LeaseState", "Leases"]


@dataclass(frozen=True, slots=True)
class LeaseState:
    """One job's lease as stored: who holds it, until when, and its last run."""

    name: str
    holder: str
    expires_at: datetime
    last_started: datetime | None
    last_finished: datetime | None
    last_outcome: str


class Leases:
    """Claim, renew and release job leases in one store, each in its own transaction."""

    def __init__(self, store: Store) -> None:
        self._store = store

    def claim(self, name: str, holder: str, *, now: datetime, period: timedelta,
              ttl: timedelta) -> bool:
        """Take ``name`` for ``holder`` until ``now + ttl``; False when it is held by a
        live holder or a run started less than ``period`` ago."""
        now_us = to_micros(now)
        free = and_(job_leases.c.name == name, job_leases.c.expires_at <= now_us,
                    or_(job_leases.c.last_started.is_(None),
                        job_leases.c.last_started <= now_us - _micros(period)))
        claim = update(job_leases).where(free).values(
            holder=holder, expires_at=now_us + _micros(ttl), last_started=now_us)
        with self._write() as conn:
            _ensure_row(conn, name)
            return conn.execute(claim).rowcount == 1

    def renew(self, name: str, holder: str, *, now: datetime, ttl: timedelta) -> bool:
        """Extend a held lease (a long run); False when ``holder`` no longer holds it."""
        mine = and_(job_leases.c.name == name, job_leases.c.holder == holder,
                    job_leases.c.expires_at > to_micros(now))
        with self._write() as conn:
            statement = update(job_leases).where(mine).values(
                expires_at=to_micros(now + ttl))
            return conn.execute(statement).rowcount == 1

    def release(self, name: str, holder: str, *, now: datetime, outcome: str) -> None:
        """Record the end of ``holder``'s run and free the lease."""
        mine = and_(job_leases.c.name == name, job_leases.c.holder == holder)
        now_us = to_micros(now)
        with self._write() as conn:
            conn.execute(update(job_leases).where(mine).values(
                expires_at=now_us, last_finished=now_us, last_outcome=outcome[:2000]))

    def states(self) -> list[LeaseState]:
        """Every job's lease, by name (for status output)."""
        with reading(self._store) as conn:
            rows = conn.execute(select(job_leases).order_by(job_leases.c.name)).all()
        return [LeaseState(r.name, r.holder, from_micros(r.expires_at),
                           _maybe(r.last_started), _maybe(r.last_finished), r.last_outcome)
                for r in rows]

    def _write(self) -> AbstractContextManager[Connection]:
        return writing(self._store)


def _ensure_row(conn: Connection, name: str) -> None:
    dialect_insert = postgresql.insert if conn.dialect.name == "postgresql" else sqlite.insert
    conn.execute(dialect_insert(job_leases).values(name=name).on_conflict_do_nothing(
        index_elements=["name"]))


def _micros(delta: timedelta) -> int:
    return int(delta.total_seconds() * 1_000_000)


def _maybe(value: int | None) -> datetime | None:
    return None if value is None else from_micros(value)
