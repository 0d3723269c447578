"""Several writers at once: separate Store objects (as separate processes would hold) in threads.

Two ingests of one scope must never interleave: either both succeed in time
order, or the older one gets StaleSnapshot; the history stays consistent and
``check()`` stays clean.
"""

from __future__ import annotations

import itertools
import threading
import time
from collections import defaultdict
from collections.abc import Callable
from pathlib import Path
from typing import Any

import psycopg
import pytest
from sqlalchemy import Connection, text

from auditd.errors import StaleSnapshot, StoreError, StoreLocked
from auditd.model import Resource
from auditd.normalize import HmacFingerprinter, normalize_resource
from auditd.normalize.canonical import canonical_json
from auditd.store import ChangeFilter, IngestResult, Store
from auditd.store.connection import translate_errors
from tests.helpers import res, snap
from tests.integration.store_support import attrs_of, execute

SCOPE = "aws/test"
N = 600


def _estate(tag: str, modulo: int, drop: int, prefix: str = "b") -> list[Resource]:
    """N buckets, every ``modulo``-th one tagged, every ``drop``-th one left out, plus new ones."""
    out = [res(f"{prefix}{i}", {"name": f"{prefix}{i}", "v": tag if i % modulo == 0 else "base"})
           for i in range(N) if i % drop != drop - 1]
    return out + [res(f"{prefix}{tag}-{i}") for i in range(50)]


def _run_together(work: list[Callable[[], Any]]) -> list[Any]:
    """Run callables in threads released at once; each result or exception, in order."""
    barrier = threading.Barrier(len(work))
    results: list[Any] = [None] * len(work)

    def run(i: int) -> None:
        barrier.wait()
        try:
            results[i] = work[i]()
        except Exception as exc:
            results[i] = exc

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(work))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    return results


def _ingest_with_own_store(url: str, resources: list[Resource], hours: float, scope: str,
                           fp: HmacFingerprinter) -> Callable[[], IngestResult]:
    def ingest() -> IngestResult:
        with Store(url, busy_timeout_s=30) as store:
            return store.ingest(snap(resources, hours, scope=scope), fp)
    return ingest


def _assert_change_chains_are_consistent(store: Store) -> None:
    """Per resource, each change starts from where the previous one ended, and ends at now."""
    chains: dict[tuple[str, str, str], list[Any]] = defaultdict(list)
    for c in store.changes(ChangeFilter()):
        chains[(c.scope, c.origin.value, str(c.key))].append(c)
    current = {(v.scope, v.origin.value, str(v.key)): v.content_hash
               for scope in {s.name for s in store.scopes()} for v in store.scope_state(scope)}
    for subject, chain in chains.items():
        assert chain[0].before_hash is None, subject
        for earlier, later in itertools.pairwise(chain):
            assert earlier.after_hash == later.before_hash, subject
        assert chain[-1].after_hash == current.get(subject), subject


def test_concurrent_ingests_of_one_scope_never_interleave(store_url: str,
                                                          fingerprinter: HmacFingerprinter) -> None:
    with Store(store_url) as store:  # the scopes are new in the first round
        store.ingest(snap([res("seed")], 0, scope="aws/seed"), fingerprinter)
    stale = 0
    for rnd in range(3):
        older, newer = _estate(f"a{rnd}", 3, 7), _estate(f"b{rnd}", 2, 5)
        # Another scope at the same time, with contents of its own (shared contents: see
        # test_concurrent_ingests_sharing_contents_do_not_deadlock).
        elsewhere = _estate(f"a{rnd}", 3, 7, prefix="o")
        results = _run_together([
            _ingest_with_own_store(store_url, older, 10 * rnd + 1, SCOPE, fingerprinter),
            _ingest_with_own_store(store_url, newer, 10 * rnd + 2, SCOPE, fingerprinter),
            _ingest_with_own_store(store_url, elsewhere, 10 * rnd + 1, "aws/other", fingerprinter),
        ])

        first, second, other = results
        assert isinstance(second, IngestResult), second
        assert isinstance(other, IngestResult), other
        assert isinstance(first, IngestResult | StaleSnapshot), first
        stale += isinstance(first, StaleSnapshot)
        with Store(store_url) as store:
            assert store.check() == []
            expected = {r.key.id: dict(r.attrs) for r in newer}
            assert attrs_of(store, SCOPE) == expected
            assert attrs_of(store, "aws/other") == {r.key.id: dict(r.attrs) for r in elsewhere}
            snapshots = {info.name: info.snapshots for info in store.scopes()}
            assert snapshots == {SCOPE: 2 * (rnd + 1) - stale, "aws/other": rnd + 1,
                                 "aws/seed": 1}
    with Store(store_url) as store:
        _assert_change_chains_are_consistent(store)


def test_first_ingests_into_a_new_sqlite_store_at_once_both_succeed(
        tmp_path: Path, fingerprinter: HmacFingerprinter) -> None:
    url = f"sqlite:///{tmp_path / 'store.db'}"
    with Store(url):
        pass
    results = _run_together([
        _ingest_with_own_store(url, [res("b1")], 0, "aws/a", fingerprinter),
        _ingest_with_own_store(url, [res("b2")], 0, "aws/b", fingerprinter),
    ])
    assert all(isinstance(r, IngestResult) for r in results), results


def _blocked_by(monitor: psycopg.Connection[Any], pid: int, timeout: float = 10) -> int | None:
    """The backend waiting on a lock held by ``pid``, once one is."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        row = monitor.execute(
            "SELECT pid FROM pg_stat_activity WHERE %s = ANY(pg_blocking_pids(pid))", (pid,),
        ).fetchone()
        if row is not None:
            return int(row[0])
        time.sleep(0.02)
    return None


@pytest.mark.postgres
def test_first_ingests_into_a_new_postgresql_store_at_once_both_succeed(
        pg_url: str, fingerprinter: HmacFingerprinter) -> None:
    """Made deterministic with a lock on ``scopes``: the first ingest has written its key row
    and waits there, the second then tries to write the key row too."""
    with Store(pg_url):
        pass
    results: list[Any] = [None, None]

    def ingest(i: int, scope: str) -> None:
        try:
            results[i] = _ingest_with_own_store(pg_url, [res("b1")], 0, scope, fingerprinter)()
        except Exception as exc:
            results[i] = exc

    libpq_url = pg_url.replace("postgresql+psycopg://", "postgresql://")
    with psycopg.connect(libpq_url, autocommit=True) as monitor, \
            psycopg.connect(libpq_url) as locker:
        locker.execute("LOCK TABLE scopes IN SHARE MODE")
        threads = [threading.Thread(target=ingest, args=(0, "aws/a")),
                   threading.Thread(target=ingest, args=(1, "aws/b"))]
        try:
            threads[0].start()
            first = _blocked_by(monitor, locker.info.backend_pid)
            threads[1].start()
            if first is not None:
                _blocked_by(monitor, first, timeout=5)
        finally:
            locker.rollback()
            for t in threads:
                if t.ident is not None:
                    t.join(60)
    assert all(isinstance(r, IngestResult) for r in results), results


def _blocked_on(monitor: psycopg.Connection[Any], pid: int, count: int,
                timeout: float = 10) -> bool:
    """Whether ``count`` backends wait, directly or through another, on ``pid`` (waits for it)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        waiting = monitor.execute(
            "WITH w AS (SELECT pid, pg_blocking_pids(pid) AS b FROM pg_stat_activity) "
            "SELECT count(*) FROM w WHERE %(p)s = ANY(b) "
            "OR b && (SELECT array_agg(pid) FROM w WHERE %(p)s = ANY(b))", {"p": pid},
        ).fetchone()
        if waiting is not None and waiting[0] >= count:
            return True
        time.sleep(0.02)
    return False


@pytest.mark.postgres
def test_a_postgresql_deadlock_between_writers_is_reported_as_store_locked(pg_url: str) -> None:
    errors: list[StoreError] = []

    def update(conn: Connection, name: str) -> None:
        try:
            with translate_errors(pg_url):
                conn.execute(text("UPDATE meta SET value = 'x' WHERE name = :n"), {"n": name})
        except StoreError as exc:
            errors.append(exc)

    with Store(pg_url) as store:
        execute(store, "INSERT INTO meta (name, value) VALUES ('a', ''), ('b', '')")
        with store.engine.connect() as first, store.engine.connect() as second:
            update(first, "a")
            update(second, "b")
            crossing = threading.Thread(target=update, args=(first, "b"))
            crossing.start()
            update(second, "a")
            crossing.join(60)

    [error] = errors
    assert isinstance(error, StoreLocked)
    assert "deadlock" in str(error)
    assert "nothing was written" in str(error)
    assert "again" in error.hint


@pytest.mark.postgres
def test_concurrent_ingests_sharing_contents_do_not_deadlock(
        pg_url: str, fingerprinter: HmacFingerprinter) -> None:
    """Deterministic: a third transaction holds content m, so both ingests have written their
    first blob and wait on m when it lets go."""
    contents = {name: {"name": f"shared-{name}"} for name in "amb"}
    m = normalize_resource(res("m", contents["m"]), fingerprinter)
    with Store(pg_url) as store:
        store.ingest(snap([res("seed")], 0, scope="aws/seed"), fingerprinter)
    work = [
        _ingest_with_own_store(pg_url, [res(f"x{n}", contents[n]) for n in "amb"], 1, "aws/x",
                               fingerprinter),
        _ingest_with_own_store(pg_url, [res(f"y{n}", contents[n]) for n in "bma"], 1, "aws/y",
                               fingerprinter),
    ]
    results: list[Any] = [None, None]

    def run(i: int) -> None:
        try:
            results[i] = work[i]()
        except Exception as exc:
            results[i] = exc

    libpq_url = pg_url.replace("postgresql+psycopg://", "postgresql://")
    with psycopg.connect(libpq_url, autocommit=True) as monitor, \
            psycopg.connect(libpq_url) as holder:
        holder.execute("INSERT INTO blobs (hash, attrs) VALUES (%s, %s)",
                       (m.content_hash, canonical_json(dict(m.attrs)).decode()))
        threads = [threading.Thread(target=run, args=(i,)) for i in range(2)]
        try:
            for t in threads:
                t.start()
            _blocked_on(monitor, holder.info.backend_pid, 2)
        finally:
            holder.rollback()
            for t in threads:
                t.join(60)
    assert all(isinstance(r, IngestResult) for r in results), results
