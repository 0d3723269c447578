"""Keyset pages of changes and change events, paged in the store (SQLite and PostgreSQL).

The truth every page sequence is checked against is the full list the store returns
unpaged (oldest first), filtered in Python: the union of the pages must be exactly that
list, in that order, whatever the page size, also where many changes share a timestamp
(a first snapshot stores one change per resource, all at the same time).
"""

from __future__ import annotations

import base64
import json
from collections.abc import Callable, Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from alembic import command
from sqlalchemy import inspect

from auditd.config import Settings
from auditd.errors import QueryError
from auditd.model import Change, ChangeEvent, Origin, Snapshot
from auditd.normalize import HmacFingerprinter
from auditd.service import Runtime
from auditd.service.listings import ChangeQuery, change_page, event_page
from auditd.store import ChangeFilter, Store
from auditd.store import migrate as store_migrate
from auditd.timeutil import to_micros
from tests.helpers import at
from tests.integration.store_support import execute, resource

OTHER = "210987654321"


@pytest.fixture
def rt(store_url: str, tmp_path: Path) -> Iterator[Runtime]:
    runtime = Runtime(Settings(state_dir=tmp_path / "state"), db_url=store_url)
    yield runtime
    runtime.close()


def _seed_changes(store: Store, fp: HmacFingerprinter) -> list[Change]:
    """About 300 changes in big groups sharing a timestamp, across types, regions, accounts."""
    first = [resource(f"b{i:03d}", region=("eu-west-1", "us-east-1")[i % 3 == 0],
                      tf_type=("aws_s3_bucket", "aws_security_group")[i % 2])
             for i in range(130)]
    store.ingest(Snapshot("aws/test", at(0), tuple(first)), fp)
    second = [replace(r, attrs={"name": r.key.id, "v": 2}) if i % 3 else r
              for i, r in enumerate(first)] + [resource(f"n{i:02d}") for i in range(40)]
    store.ingest(Snapshot("aws/test", at(1), tuple(second)), fp)
    other = [resource(f"q{i:02d}", tf_type="aws_sqs_queue", account=OTHER) for i in range(45)]
    store.ingest(Snapshot(f"aws/{OTHER}", at(1), tuple(other)), fp)
    store.ingest(Snapshot("aws/test", at(2), tuple(second[:-7])), fp)  # 7 removed
    everything = store.changes(ChangeFilter())
    assert len(everything) > 250
    return everything


def _all_pages(fetch: Callable[[str | None], Any]) -> list[Any]:
    items: list[Any] = []
    cursor: str | None = None
    for _ in range(10_000):
        page = fetch(cursor)
        items += page.items
        cursor = page.next_cursor
        if cursor is None:
            return items
        assert page.items, "a page with a next cursor holds items"
    raise AssertionError("paging did not end")


def _ids(changes: list[Change]) -> list[int | None]:
    return [c.id for c in changes]


@pytest.mark.parametrize("limit", [1, 7, 50, 129, 1000])
def test_pages_hold_every_change_once_in_order_across_tied_timestamps(
        rt: Runtime, fingerprinter: HmacFingerprinter, limit: int) -> None:
    everything = _seed_changes(rt.store, fingerprinter)
    assert len({c.observed_at for c in everything}) < len(everything) / 50  # big ties

    paged = _all_pages(lambda cur: change_page(rt, ChangeQuery(), limit=limit, cursor=cur))

    assert _ids(paged) == _ids(everything)
    assert paged == everything


QUERIES: list[tuple[ChangeQuery, Callable[[Change], bool]]] = [
    (ChangeQuery(region="us-east-1"), lambda c: c.key.region == "us-east-1"),
    (ChangeQuery(account=OTHER), lambda c: c.key.account == OTHER),
    (ChangeQuery(tf_type="aws_security_group", region="eu-west-1"),
     lambda c: c.key.tf_type == "aws_security_group" and c.key.region == "eu-west-1"),
    (ChangeQuery(scope="aws/test", since=at(0.5), until=at(1.5)),
     lambda c: c.scope == "aws/test" and at(0.5) <= c.observed_at <= at(1.5)),
    (ChangeQuery(origin=Origin.LIVE, key_pattern="*/b1??"),
     lambda c: c.key.id.startswith("b1") and len(c.key.id) == 4),
    (ChangeQuery(origin=Origin.DECLARED), lambda c: False),
    (ChangeQuery(since=at(1)), lambda c: c.observed_at >= at(1)),
]


@pytest.mark.parametrize(("query", "keeps"), QUERIES)
def test_filters_combine_with_paging(rt: Runtime, fingerprinter: HmacFingerprinter,
                                     query: ChangeQuery, keeps: Callable[[Change], bool]) -> None:
    expected = [c for c in _seed_changes(rt.store, fingerprinter) if keeps(c)]

    paged = _all_pages(lambda cur: change_page(rt, query, limit=9, cursor=cur))

    assert _ids(paged) == _ids(expected)


def _old_cursor(key: list[Any]) -> str:
    """A cursor exactly as the API has always written them."""
    return base64.urlsafe_b64encode(json.dumps(key).encode()).decode().rstrip("=")


def test_a_cursor_from_before_paging_moved_into_the_store_still_works(
        rt: Runtime, fingerprinter: HmacFingerprinter) -> None:
    everything = _seed_changes(rt.store, fingerprinter)
    middle = everything[140]  # inside a group of changes sharing its timestamp
    assert everything[139].observed_at == middle.observed_at == everything[141].observed_at
    cursor = _old_cursor([to_micros(middle.observed_at), middle.id])

    page = change_page(rt, ChangeQuery(), limit=20, cursor=cursor)

    assert _ids(list(page.items)) == _ids(everything[141:161])
    assert page.next_cursor == _old_cursor([to_micros(everything[160].observed_at),
                                            everything[160].id])


def test_changes_arriving_between_pages_are_neither_skipped_nor_repeated(
        rt: Runtime, fingerprinter: HmacFingerprinter) -> None:
    everything = _seed_changes(rt.store, fingerprinter)
    first = change_page(rt, ChangeQuery(), limit=100)
    rt.store.ingest(Snapshot("aws/late", at(3), (resource("late1"), resource("late2"))),
                    fingerprinter)

    rest = _all_pages(lambda cur: change_page(rt, ChangeQuery(), limit=100,
                                              cursor=cur or first.next_cursor))

    assert _ids(list(first.items) + rest) == _ids(rt.store.changes(ChangeFilter()))
    assert len(first.items) + len(rest) == len(everything) + 2


@pytest.mark.parametrize(("cursor", "message"), [
    ("not-a-cursor!", "is not valid"),
    (_old_cursor(["x"]), "is not valid"),
    (_old_cursor([True, 1]), "is not valid"),
    (_old_cursor([1_700_000_000_000_000, "ci", "d1"]), "does not belong"),  # an event cursor
    (_old_cursor([1_700_000_000_000_000]), "does not belong"),
    (_old_cursor([1_700_000_000_000_000, 1.5]), "does not belong"),
    (_old_cursor([10**20, 1]), "out of range"),
    (_old_cursor([1_700_000_000_000_000, 2**70]), "out of range"),
])
def test_a_bad_change_cursor_is_a_query_error(rt: Runtime, cursor: str, message: str) -> None:
    with pytest.raises(QueryError, match=message) as caught:
        change_page(rt, ChangeQuery(), limit=10, cursor=cursor)
    assert "next_cursor" in caught.value.hint


@pytest.mark.parametrize("cursor", [
    _old_cursor([1_700_000_000_000_000, 5]),  # a change cursor
    _old_cursor([1_700_000_000_000_000, "ci", 5]),
    _old_cursor([1_700_000_000_000_000, "ci"]),
])
def test_a_change_cursor_is_refused_by_the_event_listing(rt: Runtime, cursor: str) -> None:
    with pytest.raises(QueryError, match="does not belong"):
        event_page(rt, limit=10, cursor=cursor)


def test_a_limit_outside_the_page_range_is_refused(rt: Runtime) -> None:
    for limit in (0, 1001):
        with pytest.raises(QueryError, match="limit"):
            change_page(rt, ChangeQuery(), limit=limit)
        with pytest.raises(QueryError, match="limit"):
            event_page(rt, limit=limit)


# Sources and ids whose code-point order differs from a natural-language collation
# ("B" < "a" < "b" < "é" by code point; "a" < "B" < "é" in most locales).
SOURCES = ("a", "B", "b", "é", "ci", "CI", "ci-2", "Z")


def _events() -> list[ChangeEvent]:
    out = []
    for i in range(240):
        source = SOURCES[(i * 5) % len(SOURCES)]
        out.append(ChangeEvent(id=f"{('x', 'X', 'é', '_')[i % 4]}{i % 37}", kind="deploy",
                               summary=f"event {i}", started_at=at((i // 40) / 4),
                               source=source))
    return out


def _event_key(e: ChangeEvent) -> tuple[int, str, str]:
    return (to_micros(e.started_at), e.source, e.id)


def _collate_like_a_locale(store: Store) -> None:
    """PostgreSQL: give the text columns a natural-language collation behind the store's back,
    as a database created with ``--locale=en_US.UTF-8`` has: pages must keep code-point order.
    """
    if store.engine.dialect.name == "postgresql":
        for column in ("source", "external_id"):
            execute(store, f'ALTER TABLE change_events ALTER COLUMN {column} '
                           f'TYPE varchar COLLATE "und-x-icu"')


@pytest.mark.parametrize("limit", [1, 13, 40, 1000])
def test_event_pages_hold_every_event_once_in_code_point_order(rt: Runtime, limit: int) -> None:
    _collate_like_a_locale(rt.store)
    events = _events()
    assert rt.store.record_events(events) == len({(e.source, e.id) for e in events})
    expected = sorted(rt.store.events(), key=_event_key)

    paged = _all_pages(lambda cur: event_page(rt, limit=limit, cursor=cur))

    assert [_event_key(e) for e in paged] == [_event_key(e) for e in expected]


def test_event_filters_combine_with_paging(rt: Runtime) -> None:
    _collate_like_a_locale(rt.store)
    rt.store.record_events(_events())
    expected = sorted((e for e in rt.store.events(since=at(0.5), until=at(1))
                       if e.source == "b"), key=_event_key)
    assert expected

    paged = _all_pages(lambda cur: event_page(rt, since=at(0.5), until=at(1), source="b",
                                              limit=3, cursor=cur))

    assert [_event_key(e) for e in paged] == [_event_key(e) for e in expected]


def test_an_event_cursor_from_before_still_works(rt: Runtime) -> None:
    rt.store.record_events(_events())
    ordered = sorted(rt.store.events(), key=_event_key)
    middle = ordered[57]
    cursor = _old_cursor(list(_event_key(middle)))

    page = event_page(rt, limit=5, cursor=cursor)

    assert [_event_key(e) for e in page.items] == [_event_key(e) for e in ordered[58:63]]


# --- the migration that gives the keyset its index -------------------------------------------


def _indexes(store: Store) -> set[str]:
    with store.engine.connect() as conn:
        return {ix["name"] or "" for ix in inspect(conn).get_indexes("changes")}


def _alembic(store: Store, action: Callable[..., None], revision: str) -> None:
    with store.engine.begin() as conn:
        cfg = store_migrate._config()
        cfg.attributes["connection"] = conn
        action(cfg, revision)


def test_revision_0010_swaps_the_time_index_for_the_page_index_and_keeps_the_data(
        store_url: str, fingerprinter: HmacFingerprinter) -> None:
    with Store(store_url, check_schema=False) as raw:
        _alembic(raw, command.upgrade, "0009")
        assert "ix_changes_observed" in _indexes(raw)
        before = _seed_changes(raw, fingerprinter)

        assert raw.upgrade() == ("0009", Store.head_revision())

        assert {"ix_changes_observed_id"} <= _indexes(raw)
        assert "ix_changes_observed" not in _indexes(raw)
        assert raw.changes(ChangeFilter()) == before
        _alembic(raw, command.downgrade, "0009")
        assert "ix_changes_observed" in _indexes(raw)
        assert "ix_changes_observed_id" not in _indexes(raw)
