"""Bulk reads of stored attributes by content hash, and history's indexed key-or-address match.

On SQLite and PostgreSQL (``store_url``): :meth:`Store.attributes` must give, for every hash
it is asked about, exactly the attributes :meth:`Store.history` gives the version with that
hash (secrets as fingerprints), whatever the number of hashes against the chunk size, and
leave out hashes the store does not hold.  Migration 0011 adds ``ix_versions_address`` to a
store holding data and removes it again on downgrade.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from alembic import command
from sqlalchemy import event, inspect, text

from auditd.model import Origin, ResourceKey, Snapshot
from auditd.normalize import HmacFingerprinter
from auditd.store import ChangeFilter, Store
from auditd.store import migrate as store_migrate
from auditd.store.queries import ATTRIBUTE_CHUNK, resource_history, version_attributes
from tests.helpers import at, key, res, snap
from tests.integration.store_support import dump_tables

MISSING = "0" * 64


def ingest_many(store: Store, fp: HmacFingerprinter, n: int) -> dict[str, dict[str, Any]]:
    """``n`` buckets, each modified once: 2n versions; ``{hash: attrs}`` as history gives them."""
    first = [res(f"b{i:04d}", {"name": f"b{i:04d}", "v": 1}) for i in range(n)]
    store.ingest(snap(first, 0), fp)
    second = [res(f"b{i:04d}", {"name": f"b{i:04d}", "v": 2, "tags": {"i": str(i)}})
              for i in range(n)]
    store.ingest(snap(second, 1), fp)
    return {v.content_hash: dict(v.attrs) for i in range(n)
            for v in store.history(key(rid=f"b{i:04d}"))}


def test_bulk_read_matches_history_across_chunk_boundaries(
        store: Store, fingerprinter: HmacFingerprinter) -> None:
    expected = ingest_many(store, fingerprinter, ATTRIBUTE_CHUNK + 1)  # 1,002 hashes
    assert len(expected) == 2 * (ATTRIBUTE_CHUNK + 1)
    assert store.attributes(expected) == expected
    hashes = sorted(expected)
    for n in (ATTRIBUTE_CHUNK - 1, ATTRIBUTE_CHUNK, ATTRIBUTE_CHUNK + 1, 2 * ATTRIBUTE_CHUNK):
        assert store.attributes(hashes[:n]) == {h: expected[h] for h in hashes[:n]}


@pytest.mark.parametrize("chunk", [1, 2, 3, 10, 11])
def test_every_chunk_size_reads_each_hash_once(store: Store, fingerprinter: HmacFingerprinter,
                                               chunk: int) -> None:
    expected = ingest_many(store, fingerprinter, 5)  # 10 hashes: chunks split them unevenly
    asked = [*expected, MISSING, *list(expected)[:3]]  # a missing hash, some twice
    with store.engine.connect() as conn:
        assert version_attributes(conn, asked, chunk=chunk) == expected


def test_missing_hashes_are_left_out(store: Store, fingerprinter: HmacFingerprinter) -> None:
    expected = ingest_many(store, fingerprinter, 2)
    some = next(iter(expected))
    assert store.attributes([MISSING, some, "not-a-hash"]) == {some: expected[some]}
    assert store.attributes([MISSING]) == {}
    assert store.attributes([]) == {}


def test_secrets_stay_fingerprints(store: Store, fingerprinter: HmacFingerprinter) -> None:
    db = res("prod", {"identifier": "prod", "password": "hunter2"}, tf_type="aws_db_instance",
             sensitive=("password",))
    store.ingest(snap([db], 0), fingerprinter)
    [version] = store.history(key("aws_db_instance", "prod"))
    read = store.attributes([version.content_hash])[version.content_hash]
    assert read == dict(version.attrs)
    assert str(read["password"]).startswith("secret:hmac-sha256:")
    assert "hunter2" not in str(read) and "hunter2" not in dump_tables(store)


def test_bulk_read_serves_the_hashes_changes_name(store: Store,
                                                   fingerprinter: HmacFingerprinter) -> None:
    store.ingest(snap([res("b1"), res("b2")], 0), fingerprinter)
    store.ingest(snap([res("b1", {"name": "b1", "v": 2})], 1), fingerprinter)  # b2 removed
    changes = store.changes(ChangeFilter(since=at(1)))
    assert {(c.key.id, c.kind.value) for c in changes} == {("b1", "modified"), ("b2", "removed")}
    hashes = {h for c in changes for h in (c.before_hash, c.after_hash) if h is not None}
    read = store.attributes(hashes)
    assert set(read) == hashes
    for change in changes:
        by_history = {v.content_hash: dict(v.attrs) for v in store.history(change.key)}
        for h in (change.before_hash, change.after_hash):
            if h is not None:
                assert read[h] == by_history[h]


# --- history: the key or the Terraform address, each through an index ------------------------


def test_history_matches_the_key_and_the_address_and_nothing_else(
        store: Store, fingerprinter: HmacFingerprinter) -> None:
    address = "module.net.aws_security_group.web"
    sg = key("aws_security_group", "sg-1")
    live = res("sg-1", {"name": "web"}, tf_type="aws_security_group")
    state = res("sg-1", {"name": "web"}, tf_type="aws_security_group", origin=Origin.STATE,
                address=address)
    other = res("sg-2", {"name": "db"}, tf_type="aws_security_group", origin=Origin.STATE,
                address="module.net.aws_security_group.db")
    store.ingest(snap([live], 0, scope="aws/test"), fingerprinter)
    store.ingest(Snapshot("tfstate/net", at(0), (state, other)), fingerprinter)
    assert {(v.scope, v.origin) for v in store.history(sg)} == {
        ("aws/test", Origin.LIVE), ("tfstate/net", Origin.STATE)}
    assert [(v.key, v.scope) for v in store.history(address)] == [(sg, "tfstate/net")]
    assert store.history(ResourceKey("aws", "aws_security_group", "sg-9", "1", "r")) == []


def test_history_query_probes_indexes_instead_of_scanning_versions(tmp_path: Path) -> None:
    with Store(f"sqlite:///{tmp_path / 'plan.db'}") as store, store.engine.connect() as conn:
        plans: list[str] = []

        def explain(conn: Any, cursor: Any, statement: str, params: Any, *_: Any) -> None:
            if statement.lstrip().upper().startswith("SELECT") and "versions" in statement:
                rows = cursor.connection.execute("EXPLAIN QUERY PLAN " + statement, params)
                plans.extend(str(r[-1]) for r in rows)

        event.listen(conn, "before_cursor_execute", explain)
        resource_history(conn, "module.net.aws_security_group.web")
        event.remove(conn, "before_cursor_execute", explain)
    assert any("ix_versions_address" in p for p in plans), plans
    assert any("ix_versions_resource_from" in p for p in plans), plans
    assert not any(p.startswith("SCAN versions") for p in plans), plans


# --- migration 0011 ---------------------------------------------------------------------------


def _version_indexes(store: Store) -> set[str]:
    with store.engine.connect() as conn:
        return {ix["name"] or "" for ix in inspect(conn).get_indexes("versions")}


def _alembic(store: Store, action: Callable[..., None], revision: str) -> None:
    with store.engine.begin() as conn:
        cfg = store_migrate._config()
        cfg.attributes["connection"] = conn
        action(cfg, revision)


def test_revision_0011_adds_the_address_index_and_keeps_the_data(
        store_url: str, fingerprinter: HmacFingerprinter) -> None:
    with Store(store_url, check_schema=False) as raw:
        _alembic(raw, command.upgrade, "0010")
        assert "ix_versions_address" not in _version_indexes(raw)
        address = "module.logs.aws_s3_bucket.logs"
        raw.ingest(snap([res("logs", origin=Origin.STATE, address=address), res("b1")], 0),
                   fingerprinter)
        raw.ingest(snap([res("logs", {"name": "logs", "v": 2}, origin=Origin.STATE,
                             address=address)], 1), fingerprinter)
        before = (raw.history(address), raw.history(key(rid="b1")),
                  raw.changes(ChangeFilter()))

        assert raw.upgrade() == ("0010", Store.head_revision())

        assert "ix_versions_address" in _version_indexes(raw)
        assert (raw.history(address), raw.history(key(rid="b1")),
                raw.changes(ChangeFilter())) == before
        assert len(before[0]) == 2
        _alembic(raw, command.downgrade, "0010")
        assert "ix_versions_address" not in _version_indexes(raw)
        with raw.engine.connect() as conn:
            versions = conn.execute(text("SELECT count(*) FROM versions")).scalar_one()
        assert versions == 3  # logs twice, b1 once
