"""``Store.latest_snapshot``: the newest snapshot of a scope with its completeness and errors."""

from __future__ import annotations

import pytest

from auditd.model import ScopeSelector, SnapshotError
from auditd.normalize import HmacFingerprinter
from auditd.store import Store
from auditd.store.queries import parse_selector
from tests.helpers import ACCOUNT, REGION, at, key, res, snap


def test_no_snapshot_gives_none(store: Store) -> None:
    assert store.latest_snapshot("aws/never") is None


def test_complete_snapshot(store: Store, fingerprinter: HmacFingerprinter) -> None:
    store.ingest(snap([res("b1")], 0), fingerprinter)
    info = store.latest_snapshot("aws/test")
    assert info is not None
    assert (info.scope, info.taken_at, info.complete, info.errors) == ("aws/test", at(0), True, ())


def test_latest_wins_and_selectors_round_trip(store: Store,
                                              fingerprinter: HmacFingerprinter) -> None:
    store.ingest(snap([res("b1")], 0), fingerprinter)
    selector = ScopeSelector(account=ACCOUNT, region=REGION, tf_type="aws_s3_bucket")
    store.ingest(snap([res("b2")], 1, errors=[("throttled", selector),
                                             ("region down", ScopeSelector(region="us-east-1")),
                                             ("boom", None)]), fingerprinter)
    info = store.latest_snapshot("aws/test")
    assert info is not None and info.taken_at == at(1) and not info.complete
    assert info.errors == (SnapshotError("throttled", selector),
                           SnapshotError("region down", ScopeSelector(region="us-east-1")),
                           SnapshotError("boom", None))
    assert info.errors[0].selector is not None
    assert info.errors[0].selector.matches(key("aws_s3_bucket", "b9"))


def test_other_scopes_are_not_mixed_in(store: Store, fingerprinter: HmacFingerprinter) -> None:
    store.ingest(snap([res("b1")], 0, scope="aws/a"), fingerprinter)
    store.ingest(snap([res("b1")], 5, scope="aws/b", errors=[("x", None)]), fingerprinter)
    info = store.latest_snapshot("aws/a")
    assert info is not None and info.complete and info.taken_at == at(0)


@pytest.mark.parametrize(("text", "expected"), [
    (None, None), ("", None), ("whole scope", None), ("garbage", None), ("colour=red", None),
    ("account=1", ScopeSelector(account="1")),
    ("region=eu-west-1,type=aws_iam_role", ScopeSelector(region="eu-west-1",
                                                         tf_type="aws_iam_role")),
])
def test_parse_selector(text: str | None, expected: ScopeSelector | None) -> None:
    assert parse_selector(text) == expected
