"""The store on SQLite and PostgreSQL: what ingesting snapshots records, and what reads return.

Every test runs on both back ends (the ``store`` fixture).  The most important
guarantee is the false-missing guard: a resource the collector could not see
because part of the collection failed is never recorded as deleted.
"""

from __future__ import annotations

from datetime import datetime

import pytest

from auditd.errors import InputError, KeyMismatch, StaleSnapshot
from auditd.model import ChangeKind, FieldChange, Origin, ScopeSelector, Snapshot, SnapshotError
from auditd.normalize import FINGERPRINT_PREFIX, HmacFingerprinter
from auditd.store import ChangeFilter, Store
from tests.helpers import ACCOUNT, REGION, at, key, res, snap
from tests.integration.store_support import (
    attrs_of,
    dump_tables,
    execute,
    resource,
    row_counts,
    state,
)

SCOPE = "aws/test"
OTHER_ACCOUNT = "210987654321"


def _changes(store: Store, **filters: object) -> list[tuple[str, str, str]]:
    """``(kind, key id, observed hours)`` of the changes a filter returns, in order."""
    out = []
    for c in store.changes(ChangeFilter(**filters)):  # type: ignore[arg-type]
        hours = (c.observed_at - at(0)).total_seconds() / 3600
        out.append((c.kind.value, c.key.id, f"{hours:g}"))
    return out


# --- first ingest, unchanged snapshots, modifications -------------------------------------


def test_first_ingest_stores_every_resource_as_added(store: Store,
                                                     fingerprinter: HmacFingerprinter) -> None:
    result = store.ingest(snap([res("b1"), res("b2", {"name": "b2", "versioning": True}),
                                res("sg-1", tf_type="aws_security_group")]), fingerprinter)

    assert (result.resources, result.added, result.modified, result.removed) == (3, 3, 0, 0)
    assert (result.unchanged, result.protected, result.new_versions) == (0, 0, 3)
    assert attrs_of(store, SCOPE) == {
        "b1": {"name": "b1"}, "b2": {"name": "b2", "versioning": True}, "sg-1": {"name": "sg-1"}}
    changes = store.changes(ChangeFilter())
    assert sorted((c.kind, c.key.id) for c in changes) == [
        (ChangeKind.ADDED, "b1"), (ChangeKind.ADDED, "b2"), (ChangeKind.ADDED, "sg-1")]
    assert all(c.before_hash is None and c.after_hash and c.observed_at == at(0) and
               c.scope == SCOPE and c.id is not None for c in changes)
    [version] = store.history(key(rid="b2"))
    assert (version.valid_from, version.valid_to) == (at(0), None)
    assert (version.first_seen, version.last_seen) == (at(0), at(0))
    assert version.current and version.scope == SCOPE and version.origin is Origin.LIVE
    [info] = store.scopes()
    assert (info.name, info.snapshots, info.current_resources) == (SCOPE, 1, 3)
    assert (info.last_snapshot_at, info.last_complete) == (at(0), True)


def test_identical_snapshot_adds_nothing_but_advances_last_seen(
        store: Store, fingerprinter: HmacFingerprinter) -> None:
    resources = [res("b1"), res("b2", {"name": "b2", "tags": {"env": "prod"}})]
    store.ingest(snap(resources, 0), fingerprinter)
    before = row_counts(store)

    result = store.ingest(snap(resources, 1), fingerprinter)

    assert (result.added, result.modified, result.removed, result.new_versions) == (0, 0, 0, 0)
    assert result.unchanged == 2
    after = row_counts(store)
    assert after["snapshots"] == before["snapshots"] + 1
    assert {t: n for t, n in after.items() if t != "snapshots"} == {
        t: n for t, n in before.items() if t != "snapshots"}
    for rid in ("b1", "b2"):
        [version] = store.history(key(rid=rid))
        assert (version.first_seen, version.last_seen) == (at(0), at(1))
        assert (version.valid_from, version.valid_to) == (at(0), None)
    assert len(store.changes(ChangeFilter())) == 2  # the two additions only


def test_reordered_keys_and_set_like_lists_are_not_changes(
        store: Store, fingerprinter: HmacFingerprinter) -> None:
    first = {"name": "sg-1", "tags": {"a": "1", "b": "2"},
             "ingress": [{"from_port": 443, "cidr_blocks": ["10.0.0.0/8", "192.168.0.0/16"]},
                         {"from_port": 22, "cidr_blocks": ["10.1.0.0/16"]}],
             "route_order": ["first", "second"]}
    reordered = {"route_order": ["first", "second"],
                 "ingress": [{"cidr_blocks": ["10.1.0.0/16"], "from_port": 22},
                             {"cidr_blocks": ["192.168.0.0/16", "10.0.0.0/8"], "from_port": 443}],
                 "tags": {"b": "2", "a": "1"}, "name": "sg-1"}
    store.ingest(snap([res("sg-1", first, tf_type="aws_security_group")], 0), fingerprinter)

    result = store.ingest(snap([res("sg-1", reordered, tf_type="aws_security_group")], 1),
                          fingerprinter)

    assert (result.modified, result.unchanged, result.new_versions) == (0, 1, 0)
    [version] = store.history(key("aws_security_group", "sg-1"))
    assert version.last_seen == at(1)
    # A list that is not a set keeps its order: reversing it is a change.
    reversed_order = {**first, "route_order": ["second", "first"]}
    result = store.ingest(snap([res("sg-1", reversed_order, tf_type="aws_security_group")], 2),
                          fingerprinter)
    assert result.modified == 1


def test_one_field_modification_is_one_modified_change(store: Store,
                                                       fingerprinter: HmacFingerprinter) -> None:
    attrs = {"name": "b1", "tags": {"env": "prod", "team": "core"}, "versioning": True}
    store.ingest(snap([res("b1", attrs), res("b2")], 0), fingerprinter)

    changed = {**attrs, "tags": {"env": "dev", "team": "core"}}
    result = store.ingest(snap([res("b1", changed), res("b2")], 1), fingerprinter)

    assert (result.added, result.modified, result.removed, result.unchanged) == (0, 1, 0, 1)
    [change] = store.changes(ChangeFilter(since=at(1)))
    assert (change.kind, change.key, change.observed_at) == (ChangeKind.MODIFIED, key(), at(1))
    assert change.fields == (FieldChange(path="tags.env", op="changed", before="prod",
                                         after="dev"),)
    first, second = store.history(key())
    assert change.before_hash == first.content_hash
    assert change.after_hash == second.content_hash
    assert (first.valid_from, first.valid_to, second.valid_from, second.valid_to) == (
        at(0), at(1), at(1), None)
    assert second.attrs == changed


def test_absent_resource_is_removed_by_a_complete_snapshot(
        store: Store, fingerprinter: HmacFingerprinter) -> None:
    store.ingest(snap([res("b1"), res("b2")], 0), fingerprinter)

    result = store.ingest(snap([res("b1")], 1), fingerprinter)

    assert (result.removed, result.unchanged, result.protected) == (1, 1, 0)
    [change] = store.changes(ChangeFilter(since=at(1)))
    assert (change.kind, change.key.id, change.after_hash) == (ChangeKind.REMOVED, "b2", None)
    [version] = store.history(key(rid="b2"))
    assert change.before_hash == version.content_hash
    assert (version.valid_to, version.last_seen) == (at(1), at(0))
    assert set(attrs_of(store, SCOPE)) == {"b1"}


def test_reappearance_after_removal_is_a_new_version_and_an_addition(
        store: Store, fingerprinter: HmacFingerprinter) -> None:
    store.ingest(snap([res("b1"), res("b2")], 0), fingerprinter)
    store.ingest(snap([res("b1")], 1), fingerprinter)
    blobs = row_counts(store)["blobs"]

    result = store.ingest(snap([res("b1"), res("b2")], 2), fingerprinter)

    assert (result.added, result.new_versions) == (1, 1)
    assert _changes(store, key_pattern="*/b2") == [
        ("added", "b2", "0"), ("removed", "b2", "1"), ("added", "b2", "2")]
    gone, back = store.history(key(rid="b2"))
    assert (gone.valid_from, gone.valid_to, back.valid_from, back.valid_to) == (
        at(0), at(1), at(2), None)
    assert (back.first_seen, back.last_seen) == (at(2), at(2))
    assert back.content_hash == gone.content_hash
    assert row_counts(store)["blobs"] == blobs  # same content: the blob is reused


# --- history and "as of T" ------------------------------------------------------------------


def _timeline(store: Store, fp: HmacFingerprinter) -> None:
    """b1 modified at 1 and 3; b2 removed at 2 and back at 3."""
    store.ingest(snap([res("b1", {"name": "b1", "v": 1}), res("b2")], 0), fp)
    store.ingest(snap([res("b1", {"name": "b1", "v": 2}), res("b2")], 1), fp)
    store.ingest(snap([res("b1", {"name": "b1", "v": 2})], 2), fp)
    store.ingest(snap([res("b1", {"name": "b1", "v": 3}), res("b2")], 3), fp)


def test_history_lists_versions_in_order_with_validity(store: Store,
                                                       fingerprinter: HmacFingerprinter) -> None:
    _timeline(store, fingerprinter)

    history = store.history(key(rid="b1"))

    assert [(v.attrs["v"], v.valid_from, v.valid_to) for v in history] == [
        (1, at(0), at(1)), (2, at(1), at(3)), (3, at(3), None)]
    assert [(v.first_seen, v.last_seen) for v in history] == [
        (at(0), at(0)), (at(1), at(2)), (at(3), at(3))]
    assert store.history(str(key(rid="b1"))) == history
    assert store.history(key(rid="nope")) == []


@pytest.mark.parametrize(("hours", "expected"), [
    (-1, {}),
    (0, {"b1": 1, "b2": None}),
    (0.5, {"b1": 1, "b2": None}),
    (1, {"b1": 2, "b2": None}),
    (2, {"b1": 2}),
    (2.5, {"b1": 2}),
    (3, {"b1": 3, "b2": None}),
    (1000, {"b1": 3, "b2": None}),
])
def test_as_of_reconstructs_the_past(store: Store, fingerprinter: HmacFingerprinter,
                                     hours: float, expected: dict[str, int | None]) -> None:
    _timeline(store, fingerprinter)
    moment = at(hours)

    assert {rid: a.get("v") for rid, a in attrs_of(store, SCOPE, moment).items()} == expected
    b1 = store.history(key(rid="b1"), at=moment)
    assert [v.attrs["v"] for v in b1] == ([expected["b1"]] if "b1" in expected else [])
    assert len(store.history(key(rid="b2"), at=moment)) == ("b2" in expected)


def test_current_state_is_the_state_as_of_now(store: Store,
                                              fingerprinter: HmacFingerprinter) -> None:
    _timeline(store, fingerprinter)
    assert state(store, SCOPE) == state(store, SCOPE, datetime.now().astimezone())
    assert state(store, "aws/unknown") == {}


def test_history_by_terraform_address(store: Store, fingerprinter: HmacFingerprinter) -> None:
    address = 'module.web["eu"].aws_s3_bucket.logs'
    store.ingest(snap([res("logs-1", address=address), res("b2")], 0), fingerprinter)
    store.ingest(snap([res("logs-1", {"name": "logs-1", "acl": "private"}, address=address),
                       res("b2")], 1), fingerprinter)

    history = store.history(address)

    assert [(v.key.id, v.address, v.valid_from) for v in history] == [
        ("logs-1", address, at(0)), ("logs-1", address, at(1))]
    assert [v.key.id for v in store.history(address, at=at(0.5))] == ["logs-1"]
    assert {c.address for c in store.changes(ChangeFilter(key_pattern="*logs-1"))} == {address}


def test_same_key_in_two_scopes_or_two_origins_is_tracked_separately(
        store: Store, fingerprinter: HmacFingerprinter) -> None:
    live, declared = res("b1", {"name": "b1", "v": 1}), res("b1", origin=Origin.STATE)
    store.ingest(snap([live, declared], 0, scope="aws/a"), fingerprinter)
    store.ingest(snap([res("b1", {"name": "b1", "v": 1})], 0, scope="aws/b"), fingerprinter)

    store.ingest(snap([res("b1", {"name": "b1", "v": 2}), declared], 1, scope="aws/a"),
                 fingerprinter)

    [modified] = store.changes(ChangeFilter(since=at(1)))
    assert (modified.kind, modified.origin, modified.scope) == (
        ChangeKind.MODIFIED, Origin.LIVE, "aws/a")
    store.ingest(snap([res("b1", {"name": "b1", "v": 2})], 2, scope="aws/a"), fingerprinter)
    [removed] = store.changes(ChangeFilter(since=at(2)))
    assert (removed.kind, removed.origin, removed.scope) == (
        ChangeKind.REMOVED, Origin.STATE, "aws/a")
    history = store.history(key())
    assert [(v.scope, v.origin.value, v.attrs.get("v"), v.current) for v in history] == [
        ("aws/a", "live", 1, False), ("aws/a", "live", 2, True), ("aws/a", "state", None, False),
        ("aws/b", "live", 1, True)]
    store.ingest(snap([], 3, scope="aws/b"), fingerprinter)
    assert attrs_of(store, "aws/a") == {"b1": {"name": "b1", "v": 2}}
    assert attrs_of(store, "aws/b") == {}


# --- change queries -------------------------------------------------------------------------


def _change_corpus(store: Store, fp: HmacFingerprinter) -> None:
    """Seven changes over four snapshots, two scopes, two types and two origins."""
    web = "module.web.aws_s3_bucket.logs"
    store.ingest(snap([res("logs_1", address=web), res("logsX1"),
                       res("sg-1", tf_type="aws_security_group")], 0, scope="aws/a"), fp)
    store.ingest(snap([res("other")], 1, scope="aws/b"), fp)
    store.ingest(snap([res("logs_1", {"name": "logs_1", "acl": "private"}, address=web),
                       res("logsX1")], 2, scope="aws/a"), fp)
    store.ingest(snap([res("logs_1", origin=Origin.STATE, address="aws_s3_bucket.logs")], 3,
                      scope="tfstate/a"), fp)


@pytest.mark.parametrize(("filters", "expected"), [
    ({}, {("added", "logs_1", "0"), ("added", "logsX1", "0"), ("added", "sg-1", "0"),
          ("added", "other", "1"), ("modified", "logs_1", "2"), ("removed", "sg-1", "2"),
          ("added", "logs_1", "3")}),
    ({"since": at(1)}, {("added", "other", "1"), ("modified", "logs_1", "2"),
                        ("removed", "sg-1", "2"), ("added", "logs_1", "3")}),
    ({"until": at(1)}, {("added", "logs_1", "0"), ("added", "logsX1", "0"),
                        ("added", "sg-1", "0"), ("added", "other", "1")}),
    ({"since": at(1), "until": at(2)}, {("added", "other", "1"), ("modified", "logs_1", "2"),
                                        ("removed", "sg-1", "2")}),
    ({"since": at(0.1), "until": at(0.9)}, set()),
    ({"scope": "aws/b"}, {("added", "other", "1")}),
    ({"scope": "nope"}, set()),
    ({"tf_type": "aws_security_group"}, {("added", "sg-1", "0"), ("removed", "sg-1", "2")}),
    ({"origin": Origin.STATE}, {("added", "logs_1", "3")}),
    ({"key_pattern": "*logs_1"}, {("added", "logs_1", "0"), ("modified", "logs_1", "2"),
                                  ("added", "logs_1", "3")}),
    ({"key_pattern": "*logs?1"}, {("added", "logs_1", "0"), ("modified", "logs_1", "2"),
                                  ("added", "logs_1", "3"), ("added", "logsX1", "0")}),
    ({"key_pattern": "*logs%1"}, set()),
    ({"key_pattern": "*LOGS*"}, set()),
    ({"key_pattern": "aws/aws_security_group/*"}, {("added", "sg-1", "0"),
                                                   ("removed", "sg-1", "2")}),
    ({"key_pattern": "module.web.*"}, {("added", "logs_1", "0"), ("modified", "logs_1", "2")}),
    ({"key_pattern": "aws_s3_bucket.logs"}, {("added", "logs_1", "3")}),
    ({"scope": "aws/a", "tf_type": "aws_s3_bucket", "since": at(1)},
     {("modified", "logs_1", "2")}),
])
def test_change_filters(store: Store, fingerprinter: HmacFingerprinter,
                        filters: dict[str, object], expected: set[tuple[str, str, str]]) -> None:
    _change_corpus(store, fingerprinter)
    found = _changes(store, **filters)
    assert set(found) == expected
    assert len(found) == len(expected)
    assert [h for _, _, h in found] == sorted(h for _, _, h in found)  # oldest first


def test_star_pattern_matches_every_change(store: Store, fingerprinter: HmacFingerprinter) -> None:
    _change_corpus(store, fingerprinter)
    assert len(_changes(store, key_pattern="*")) == len(_changes(store)) == 7


def test_limit_keeps_the_newest_changes_oldest_first(store: Store,
                                                     fingerprinter: HmacFingerprinter) -> None:
    _change_corpus(store, fingerprinter)
    every = store.changes(ChangeFilter())

    newest = store.changes(ChangeFilter(limit=3))

    assert newest == every[-3:]
    assert [c.observed_at for c in newest] == [at(2), at(2), at(3)]
    assert store.changes(ChangeFilter(limit=100)) == every
    assert [c.observed_at for c in store.changes(ChangeFilter(scope="aws/a", limit=2))] == [
        at(2), at(2)]
    assert _changes(store, scope="aws/a", limit=1, until=at(1)) in (
        [("added", "logs_1", "0")], [("added", "logsX1", "0")], [("added", "sg-1", "0")])


# --- secrets, provenance, content addressing --------------------------------------------------


def test_secrets_are_never_stored_in_clear(store: Store, fingerprinter: HmacFingerprinter) -> None:
    clear = ["Hunter2-clear-1", "DsnClear-9", "ApiKeyClear-7", "Hunter2-clear-2"]
    attrs = {"identifier": "db1", "engine": "postgres", "password": clear[0],
             "connection": {"dsn": f"postgres://app:{clear[1]}@db/x", "port": 5432},
             "api_key": clear[2]}
    db1 = {"tf_type": "aws_db_instance", "sensitive": ("connection.dsn",)}
    store.ingest(snap([res("db1", attrs, **db1)], 0), fingerprinter)  # type: ignore[arg-type]
    store.ingest(snap([res("db1", {**attrs, "password": clear[3]}, **db1)], 1),  # type: ignore[arg-type]
                 fingerprinter)

    [change] = store.changes(ChangeFilter(since=at(1)))
    assert change.kind is ChangeKind.MODIFIED
    [field] = change.fields
    assert (field.path, field.op) == ("password", "changed")
    assert field.before.startswith(FINGERPRINT_PREFIX)
    assert field.after.startswith(FINGERPRINT_PREFIX)
    assert field.before != field.after
    stored = store.scope_state(SCOPE)[0].attrs
    assert stored["password"] == field.after
    assert stored["connection"]["dsn"].startswith(FINGERPRINT_PREFIX)
    assert stored["api_key"].startswith(FINGERPRINT_PREFIX)
    assert stored["connection"]["port"] == 5432
    everything = dump_tables(store)
    assert "db1" in everything and "5432" in everything  # the dump does see the data
    for value in clear:
        assert value not in everything


def test_unchanged_secret_is_not_a_change(store: Store, fingerprinter: HmacFingerprinter) -> None:
    store.ingest(snap([res("db1", {"password": "same-secret", "port": 5432},
                           tf_type="aws_db_instance")], 0), fingerprinter)
    result = store.ingest(snap([res("db1", {"port": 5432, "password": "same-secret"},
                                    tf_type="aws_db_instance")], 1), fingerprinter)
    assert (result.modified, result.unchanged) == (0, 1)


def test_actor_and_via_from_provenance_land_on_the_change(
        store: Store, fingerprinter: HmacFingerprinter) -> None:
    alice = {"actor": "alice@example.com", "via": "console", "event_id": "ev-1"}
    store.ingest(snap([res("b1", provenance=alice), res("b2")], 0), fingerprinter)
    deployer = {"actor": "arn:aws:iam::123456789012:role/deployer", "via": "terraform"}
    store.ingest(snap([res("b1", {"name": "b1", "acl": "private"}, provenance=deployer)], 1),
                 fingerprinter)

    by_change = {(c.kind.value, c.key.id): (c.actor, c.via)
                 for c in store.changes(ChangeFilter())}
    assert by_change == {
        ("added", "b1"): ("alice@example.com", "console"),
        ("added", "b2"): (None, None),
        ("modified", "b1"): ("arn:aws:iam::123456789012:role/deployer", "terraform"),
        ("removed", "b2"): (None, None),
    }
    assert [dict(v.provenance) for v in store.history(key())] == [alice, deployer]


def test_identical_attributes_share_one_blob(store: Store,
                                            fingerprinter: HmacFingerprinter) -> None:
    same = {"name": "shared", "acl": "private"}
    store.ingest(snap([res("b1", same), res("b2", same)], 0), fingerprinter)
    store.ingest(snap([res("b3", same)], 0, scope="aws/other"), fingerprinter)

    counts = row_counts(store)
    assert (counts["blobs"], counts["versions"]) == (1, 3)
    hashes = {v.content_hash for scope in ("aws/test", "aws/other")
              for v in store.scope_state(scope)}
    assert len(hashes) == 1
    store.ingest(snap([res("b1", {**same, "acl": "public"}), res("b2", same)], 1), fingerprinter)
    store.ingest(snap([res("b1", same), res("b2", same)], 2), fingerprinter)
    assert row_counts(store)["blobs"] == 2


# --- the false-missing guard ------------------------------------------------------------------

_GUARDED = {
    "eu-a1": resource("eu-a1"),
    "us-a1": resource("us-a1", region="us-east-1"),
    "eu-a2": resource("eu-a2", account=OTHER_ACCOUNT),
    "sg-eu-a1": resource("sg-eu-a1", tf_type="aws_security_group"),
}


def _incomplete(hours: float, seen: list[str],
                selectors: list[ScopeSelector | None]) -> Snapshot:
    return Snapshot(scope=SCOPE, taken_at=at(hours), complete=False,
                    resources=tuple([resource("keeper"), *(_GUARDED[r] for r in seen)]),
                    errors=tuple(SnapshotError(f"failed: {s}", selector=s, kind="throttled")
                                 for s in selectors))


@pytest.mark.parametrize(("selectors", "protected"), [
    ([None], set(_GUARDED)),
    ([ScopeSelector(region="us-east-1"), None], set(_GUARDED)),
    ([ScopeSelector(region="us-east-1")], {"us-a1"}),
    ([ScopeSelector(account=OTHER_ACCOUNT)], {"eu-a2"}),
    ([ScopeSelector(tf_type="aws_security_group")], {"sg-eu-a1"}),
    ([ScopeSelector(account=ACCOUNT, region=REGION)], {"eu-a1", "sg-eu-a1"}),
    ([ScopeSelector(region="us-east-1"), ScopeSelector(account=OTHER_ACCOUNT)],
     {"us-a1", "eu-a2"}),
    ([ScopeSelector(region="ap-south-1")], set()),
], ids=["unscoped", "unscoped+region", "region", "account", "type", "account+region",
        "two-selectors", "unrelated-selector"])
def test_incomplete_snapshot_removes_only_outside_failed_selectors(
        store: Store, fingerprinter: HmacFingerprinter,
        selectors: list[ScopeSelector | None], protected: set[str]) -> None:
    store.ingest(snap([resource("keeper"), *_GUARDED.values()], 0), fingerprinter)

    result = store.ingest(_incomplete(1, [], selectors), fingerprinter)

    assert (result.protected, result.removed) == (len(protected), len(_GUARDED) - len(protected))
    removed = {c.key.id for c in store.changes(ChangeFilter(since=at(1)))}
    assert removed == set(_GUARDED) - protected
    assert all(c.kind is ChangeKind.REMOVED for c in store.changes(ChangeFilter(since=at(1))))
    assert set(attrs_of(store, SCOPE)) == {"keeper"} | protected
    assert store.scopes()[0].last_complete is False


def test_unscoped_failure_keeps_everything_and_records_what_was_seen(
        store: Store, fingerprinter: HmacFingerprinter) -> None:
    store.ingest(snap([resource("keeper"), *_GUARDED.values()], 0), fingerprinter)
    seen = Snapshot(scope=SCOPE, taken_at=at(1), complete=False,
                    resources=(resource("keeper", {"name": "keeper", "v": 2}), resource("new")),
                    errors=(SnapshotError("AccessDenied on s3:ListBuckets", kind="access-denied"),))

    result = store.ingest(seen, fingerprinter)

    assert (result.added, result.modified, result.removed, result.protected) == (1, 1, 0, 4)
    assert set(attrs_of(store, SCOPE)) == {"keeper", "new", *_GUARDED}
    for guarded in _GUARDED.values():  # kept, but not claimed to have been seen again
        [version] = store.history(guarded.key)
        assert (version.valid_to, version.last_seen) == (None, at(0))
    assert store.check() == []


def test_a_later_complete_snapshot_removes_the_protected_resources(
        store: Store, fingerprinter: HmacFingerprinter) -> None:
    store.ingest(snap([resource("keeper"), *_GUARDED.values()], 0), fingerprinter)
    store.ingest(_incomplete(1, ["eu-a1"], [ScopeSelector(region="us-east-1")]), fingerprinter)
    store.ingest(_incomplete(2, [], [None]), fingerprinter)
    assert set(attrs_of(store, SCOPE)) == {"keeper", "us-a1", "eu-a1"}

    result = store.ingest(snap([resource("keeper")], 3), fingerprinter)

    assert (result.removed, result.protected) == (2, 0)
    assert {c.key.id for c in store.changes(ChangeFilter(since=at(3)))} == {"us-a1", "eu-a1"}
    assert set(attrs_of(store, SCOPE)) == {"keeper"}
    [us] = store.history(_GUARDED["us-a1"].key)
    assert (us.valid_to, us.last_seen) == (at(3), at(0))
    assert store.scopes()[0].last_complete is True


# --- errors leave the store unchanged; integrity ----------------------------------------------


def test_stale_snapshot_is_refused_and_changes_nothing(store: Store,
                                                       fingerprinter: HmacFingerprinter) -> None:
    store.ingest(snap([res("b1")], 0), fingerprinter)
    store.ingest(snap([res("b1"), res("b2")], 2), fingerprinter)
    before = row_counts(store)
    current = state(store, SCOPE)

    for hours in (2, 1, -5):  # the same time as the newest, then older ones
        with pytest.raises(StaleSnapshot, match="aws/test") as caught:
            store.ingest(snap([res("b3")], hours), fingerprinter)
        assert "order" in caught.value.hint

    assert row_counts(store) == before
    assert state(store, SCOPE) == current
    assert store.scopes()[0].last_snapshot_at == at(2)
    assert store.ingest(snap([res("b9")], 1, scope="aws/another"), fingerprinter).added == 1
    assert store.check() == []


def test_a_different_fingerprint_key_is_refused_and_changes_nothing(
        store: Store, fingerprinter: HmacFingerprinter) -> None:
    store.ingest(snap([res("db1", {"password": "p"}, tf_type="aws_db_instance")], 0),
                 fingerprinter)
    before = row_counts(store)

    with pytest.raises(KeyMismatch, match="fingerprint key") as caught:
        store.ingest(snap([res("db1", {"password": "p"}, tf_type="aws_db_instance")], 1),
                     HmacFingerprinter(b"x" * 32))

    assert "key file" in caught.value.hint
    assert row_counts(store) == before
    assert store.ingest(snap([res("db1", {"password": "p"}, tf_type="aws_db_instance")], 1),
                        fingerprinter).unchanged == 1


def test_an_error_in_the_middle_of_an_ingest_writes_nothing(
        store: Store, fingerprinter: HmacFingerprinter) -> None:
    store.ingest(snap([res(f"b{i}") for i in range(50)], 0), fingerprinter)
    before, current = row_counts(store), state(store, SCOPE)
    bad = [res(f"b{i}", {"name": f"b{i}", "v": 2}) for i in range(40)]
    bad.append(res("bad", {"name": "bad", "members": {1, 2}}))  # a set is not JSON data

    with pytest.raises(TypeError):
        store.ingest(snap(bad, 1), fingerprinter)

    assert row_counts(store) == before
    assert state(store, SCOPE) == current
    assert store.check() == []


def test_a_snapshot_holding_one_resource_twice_is_refused(
        store: Store, fingerprinter: HmacFingerprinter) -> None:
    store.ingest(snap([res("b1"), res("b2")], 0), fingerprinter)
    before, current = row_counts(store), state(store, SCOPE)

    for twice in ([res("b3", {"v": 1}), res("b3", {"v": 2})],  # new
                  [res("b1", {"v": 1}), res("b1", {"v": 2})]):  # stored, modified twice
        with pytest.raises(InputError, match="more than once") as caught:
            store.ingest(snap([*twice, res("b2")], 1), fingerprinter)
        assert str(key(rid=twice[0].key.id)) in str(caught.value)

    assert row_counts(store) == before
    assert state(store, SCOPE) == current
    assert store.check() == []


def test_check_is_clean_on_a_healthy_store_and_reports_tampering(
        store: Store, fingerprinter: HmacFingerprinter) -> None:
    _timeline(store, fingerprinter)
    assert store.check() == []

    [current] = store.history(key(rid="b1"), at=at(5))
    assert execute(store, "UPDATE blobs SET attrs = :attrs WHERE hash = :hash",
                   attrs='{"name":"b1","v":999}', hash=current.content_hash) == 1

    problems = store.check()
    assert len(problems) == 1
    assert current.content_hash[:12] in problems[0]
    assert "altered" in problems[0]
    assert store.check(verify_blobs=False) == []


def test_check_reports_two_current_versions_of_one_resource(
        store: Store, fingerprinter: HmacFingerprinter) -> None:
    _timeline(store, fingerprinter)
    execute(store, "UPDATE versions SET valid_to = NULL")
    problems = store.check()
    assert any("current versions" in p for p in problems)
    assert any("overlap" in p for p in problems)
