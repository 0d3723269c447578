"""Benchmark: one page of ``GET /api/v1/changes`` paged in the store vs loaded whole.

Run from the repository root::

    /tmp/venv/bin/python bench/api_paging.py                 # 200k changes, SQLite
    /tmp/venv/bin/python bench/api_paging.py --rows 20000    # a quick sanity run
    /tmp/venv/bin/python bench/api_paging.py --postgres postgresql://postgres@127.0.0.1/test

It bulk-loads ``--rows`` changes (50 per observation time, so ties on timestamps straddle
every page boundary) into a fresh store and times, for a few pages, the service function
the API calls (:func:`auditd.service.listings.change_page`: filters and the keyset in the
store's query, ``limit + 1`` rows read) against the path it replaced, measured in the same
run: every change of the time range read from the store, then filtered, compared with the
cursor and sliced in Python.  Both answers are checked to be the same page (same ids, same
next cursor).  With ``--postgres`` the same is measured in a fresh schema of that
database, dropped at the end.  See docs/performance.md for the results.
"""

from __future__ import annotations

import argparse
import base64
import os
import sqlite3
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import orjson

from auditd.config import Settings
from auditd.model import Change
from auditd.service import Runtime
from auditd.service.listings import ChangeQuery, Page, change_page
from auditd.store import ChangeFilter, Store
from auditd.timeutil import to_micros

START = datetime(2026, 1, 1, tzinfo=UTC)
PER_TICK = 50  # changes sharing one observed_at (one snapshot's worth)
RESOURCES = 4000
TYPES = ("aws_s3_bucket", "aws_security_group", "aws_iam_role", "aws_lambda_function")
ACCOUNT = "111111111111"
PAGE = 100
CHANGE_COLUMNS = ("id", "snapshot_id", "scope_id", "resource_id", "kind", "observed_at",
                  "origin", "tf_type", "account", "region", "key_text", "address",
                  "before_hash", "after_hash", "fields", "actor", "via")


@dataclass(frozen=True)
class Case:
    name: str
    query: ChangeQuery
    position: float  # where the page starts: 0 = first page, 0.5 = half way through


CASES = (
    Case("first page, no filter", ChangeQuery(), 0.0),
    Case("page half way through, no filter", ChangeQuery(), 0.5),
    Case("page half way, type + region + since", ChangeQuery(
        tf_type="aws_security_group", region="us-east-1", since=START + timedelta(hours=1)), 0.5),
)


def _resource_rows() -> list[tuple[Any, ...]]:
    rows = []
    for i in range(RESOURCES):
        tf_type, region = TYPES[i % len(TYPES)], ("eu-west-1", "us-east-1")[i % 3 == 0]
        rid = f"r-{i:05d}"
        rows.append((i + 1, 1, "live", "aws", tf_type, ACCOUNT, region, rid,
                     f"aws/{tf_type}/{ACCOUNT}/{region}/{rid}"))
    return rows


def _change_rows(n: int, resources: list[tuple[Any, ...]]) -> Iterator[tuple[Any, ...]]:
    fields = orjson.dumps([{"path": "tags.owner", "op": "changed", "before": "alice",
                            "after": "bob"}]).decode()
    start_us = to_micros(START)
    for row_id in range(1, n + 1):
        tick = (row_id - 1) // PER_TICK
        res = resources[(row_id * 7919) % RESOURCES]
        yield (row_id, tick + 1, 1, res[0], "modified", start_us + tick * 60_000_000, "live",
               res[4], res[5], res[6], res[8], "", "a" * 64, "b" * 64, fields,
               "arn:aws:iam::111111111111:user/jane", "console")


def _snapshot_rows(n: int) -> list[tuple[Any, ...]]:
    start_us = to_micros(START)
    return [(t + 1, 1, start_us + t * 60_000_000, start_us + t * 60_000_000, True, "[]",
             "bench", RESOURCES, 0, PER_TICK, 0, 0) for t in range((n + PER_TICK - 1) // PER_TICK)]


SNAPSHOT_COLUMNS = ("id", "scope_id", "taken_at", "ingested_at", "complete", "errors",
                    "source", "resource_count", "added", "modified", "removed", "protected")
RESOURCE_COLUMNS = ("id", "scope_id", "origin", "provider", "tf_type", "account", "region",
                    "rid", "key_text")


def _tables(n: int) -> list[tuple[str, tuple[str, ...], Iterator[tuple[Any, ...]]]]:
    resources = _resource_rows()
    return [("scopes", ("id", "name", "created_at", "last_snapshot_at"),
             iter([(1, f"aws/{ACCOUNT}", to_micros(START), None)])),
            ("snapshots", SNAPSHOT_COLUMNS, iter(_snapshot_rows(n))),
            ("resources", RESOURCE_COLUMNS, iter(resources)),
            ("changes", CHANGE_COLUMNS, _change_rows(n, resources))]


def load_sqlite(path: Path, n: int) -> None:
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("PRAGMA foreign_keys = ON")
    conn.execute("BEGIN")
    for table, columns, rows in _tables(n):
        conn.executemany(f"INSERT INTO {table} ({', '.join(columns)}) "
                         f"VALUES ({', '.join('?' * len(columns))})", rows)
    conn.execute("COMMIT")
    conn.execute("ANALYZE")
    conn.close()


def load_postgres(url: str, n: int) -> None:
    import psycopg

    with psycopg.connect(url) as conn, conn.cursor() as cur:
        for table, columns, rows in _tables(n):
            with cur.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
        conn.commit()
        conn.autocommit = True
        cur.execute("VACUUM ANALYZE")


def old_change_page(rt: Runtime, query: ChangeQuery, *, limit: int,
                    after: tuple[int, int] | None) -> Page[Change]:
    """The replaced path: read every change of the range, filter, compare, slice in Python."""
    since = query.since
    if after is not None:
        moment = START + timedelta(microseconds=after[0] - to_micros(START))
        since = moment if since is None or moment > since else since
    found = rt.store.changes(ChangeFilter(since=since, until=query.until, scope=query.scope,
                                          tf_type=query.tf_type, key_pattern=query.key_pattern,
                                          origin=query.origin))
    kept = [c for c in found if (query.account is None or c.key.account == query.account)
            and (query.region is None or c.key.region == query.region)]
    rest = [c for c in kept if after is None or _key(c) > after]
    chosen = rest[:limit]
    cursor = _key(chosen[-1]) if len(rest) > limit and chosen else None
    return Page(tuple(chosen), None if cursor is None else orjson.dumps(list(cursor)).decode())


def _key(change: Change) -> tuple[int, int]:
    return (to_micros(change.observed_at), change.id or 0)


def _cursor_at(rt: Runtime, case: Case) -> tuple[str | None, tuple[int, int] | None]:
    """The API cursor (and its key) of the page starting ``case.position`` through the list."""
    if case.position == 0:
        return None, None
    every = old_change_page(rt, case.query, limit=10**9, after=None).items
    last = every[int(len(every) * case.position) - 1]
    key = _key(last)
    text = base64.urlsafe_b64encode(orjson.dumps(list(key))).decode().rstrip("=")
    return text, key


def _median_time(fn: Callable[[], Any], runs: int) -> tuple[Any, float]:
    result, times = None, []
    for _ in range(runs):
        started = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - started)
    return result, statistics.median(times)


def measure(rt: Runtime, backend: str) -> list[str]:
    lines = []
    for case in CASES:
        cursor, key = _cursor_at(rt, case)
        new, new_s = _median_time(lambda c=case, k=cursor: change_page(  # type: ignore[misc]
            rt, c.query, limit=PAGE, cursor=k), 21)
        old, old_s = _median_time(lambda c=case, k=key: old_change_page(  # type: ignore[misc]
            rt, c.query, limit=PAGE, after=k), 3)
        same = [c.id for c in new.items] == [c.id for c in old.items] and len(new.items) == PAGE
        assert same, f"{case.name}: the two paths gave different pages"
        lines.append(f"{backend:<10}  {case.name:<38}  {new_s * 1000:>9.2f} ms  "
                     f"{old_s * 1000:>10.1f} ms  {old_s / new_s:>8.0f}x")
    return lines


def run_backend(url: str, backend: str, load: Callable[[], None]) -> list[str]:
    with Store(url):
        pass  # the schema, by the migrations
    started = time.perf_counter()
    load()
    print(f"{backend}: loaded in {time.perf_counter() - started:.1f} s", flush=True)
    rt = Runtime(Settings(), db_url=url)
    try:
        return measure(rt, backend)
    finally:
        rt.close()


def _postgres_schema(base: str) -> tuple[str, str, Callable[[], None]]:
    import psycopg

    schema = f"bench_{uuid.uuid4().hex[:10]}"
    plain = base.replace("postgresql+psycopg://", "postgresql://")
    with psycopg.connect(plain, autocommit=True) as conn:
        conn.execute(f'CREATE SCHEMA "{schema}"')

    def drop() -> None:
        with psycopg.connect(plain, autocommit=True) as conn:
            conn.execute(f'DROP SCHEMA "{schema}" CASCADE')

    sep = "&" if "?" in base else "?"
    return f"{base}{sep}options=-csearch_path%3D{schema}", schema, drop


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=200_000, help="changes to store")
    parser.add_argument("--postgres", metavar="URL", help="also measure on this PostgreSQL")
    args = parser.parse_args()
    lines = []
    with tempfile.TemporaryDirectory(prefix="driftaudit-paging-") as folder:
        path = Path(folder) / "store.db"
        lines += run_backend(f"sqlite:///{path}", "SQLite", lambda: load_sqlite(path, args.rows))
    if args.postgres:
        url, _schema, drop = _postgres_schema(args.postgres)
        try:
            lines += run_backend(url, "PostgreSQL", lambda: load_postgres(url, args.rows))
        finally:
            drop()
    print(f"\ndriftaudit bench/api_paging.py: {args.rows:,} changes, {PER_TICK} per timestamp, "
          f"page of {PAGE}; {os.cpu_count()} CPUs, Python {sys.version.split()[0]}")
    print(f"{'backend':<10}  {'page':<38}  {'in store':>12}  {'load all':>13}  {'ratio':>9}")
    print("\n".join(lines))
    return 0


if __name__ == "__main__":
    sys.exit(main())
