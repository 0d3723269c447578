"""Review statuses with attributes read in bulk equal those of the per-key history path.

A realistic store (live snapshots of security groups, databases with fingerprinted
passwords, IAM policies and buckets: additions, modifications, removals; a Terraform state
giving some live keys an address and an apply covering them) is judged twice with the
shipped packs plus a pack whose conditions match every type: once through the service as
it is (attributes by content hash, :meth:`Store.attributes`) and once with the attributes
read as before (one ``history`` query per key).  Every status must be equal, and the bulk
path must read attributes in one query instead of one per key.  SQLite and PostgreSQL.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import Any

import pytest

from auditd.config import Settings
from auditd.model import Change, ChangeEvent, Origin, Resource, ResourceKey, Snapshot
from auditd.normalize import HmacFingerprinter
from auditd.rulefiles import INSTALLED_RULES
from auditd.rules.review_status import ReviewStatus
from auditd.service import Runtime
from auditd.service import review as review_service
from auditd.service.review import APPLY_KIND, review_statuses
from auditd.store import ChangeFilter
from tests.helpers import ACCOUNT, REGION, at

CONSOLE = f"arn:aws:sts::{ACCOUNT}:assumed-role/AdminSSO/jane"
OPEN = {"protocol": "tcp", "from_port": 443, "to_port": 443, "cidr_blocks": ["0.0.0.0/0"]}
PRIVATE = {"protocol": "tcp", "from_port": 22, "to_port": 22, "cidr_blocks": ["10.0.0.0/8"]}
EVERY_TYPE_PACK = """
pack: conditions-everywhere
rules:
  - id: prod-tagged
    kind: review
    approvals: 2
    match: {when: {path: tags.env, equals: prod}}
  - id: db-with-password
    kind: review
    approvals: 3
    match: {types: [aws_db_instance], when: {path: password, exists: true}}
  - id: db-password-in-clear
    kind: review
    approvals: 4
    match: {types: [aws_db_instance], when: {path: password, equals: hunter2}}
  - id: iam-any-action
    kind: review
    approvals: 2
    match: {types: [aws_iam_policy], when: {path: "policy.Statement[*].Action", contains: "*"}}
"""


def _policy(action: str) -> str:
    return json.dumps({"Version": "2012-10-17",
                       "Statement": [{"Effect": "Allow", "Action": action, "Resource": "*"}]})


def _live(tf_type: str, rid: str, attrs: dict[str, Any], *,
          sensitive: tuple[str, ...] = ()) -> Resource:
    return Resource(key=ResourceKey("aws", tf_type, rid, ACCOUNT, REGION), attrs=attrs,
                    origin=Origin.LIVE, sensitive_paths=sensitive,
                    provenance={"actor": CONSOLE, "via": "console"})


def _estate(step: int) -> list[Resource]:
    """Step 0 is the baseline; 1 and 2 open, close, add, remove and retag things."""
    found = []
    for i in range(12):
        if step == 2 and i % 5 == 0:
            continue  # removed (some of them open to the world)
        ingress = [PRIVATE, OPEN] if (i % 3 == 0) == (step > 0) else [PRIVATE]
        found.append(_live("aws_security_group", f"sg-{i}", {
            "name": f"sg-{i}", "ingress": ingress,
            "tags": {"env": "prod" if (i + step) % 4 == 0 else "dev"}}))
    for i in range(4):
        found.append(_live("aws_db_instance", f"db-{i}", {
            "identifier": f"db-{i}", "password": f"hunter{2 + (step if i % 2 else 0)}",
            "deletion_protection": step == 0 or i == 3}, sensitive=("password",)))
        found.append(_live("aws_iam_policy", f"p-{i}", {
            "name": f"p-{i}", "policy": _policy("*" if (i + step) % 2 else "s3:GetObject")}))
        found.append(_live("aws_s3_bucket", f"b-{i}", {
            "bucket": f"b-{i}", "versioning": "Enabled" if step == i % 3 else "Suspended",
            "tags": {"env": "prod" if i == step else "dev"}}))
    if step > 0:
        found.append(_live("aws_security_group", f"sg-new-{step}",
                           {"name": "new", "ingress": [OPEN], "tags": {"env": "prod"}}))
    return found


def _state(step: int) -> list[Resource]:
    """The Terraform state of two security groups: it gives their live keys an address."""
    return [Resource(key=ResourceKey("aws", "aws_security_group", f"sg-{i}", ACCOUNT, REGION),
                     attrs={"name": f"sg-{i}", "description": f"v{step}"}, origin=Origin.STATE,
                     address=f"module.net.aws_security_group.sg{i}") for i in (1, 2)]


@pytest.fixture
def rt(store_url: str, tmp_path: Path, fingerprinter: HmacFingerprinter) -> Iterator[Runtime]:
    runtime = Runtime(Settings(state_dir=tmp_path / "state"), db_url=store_url)
    store = runtime.store
    for step in range(3):
        store.ingest(Snapshot(f"aws/{ACCOUNT}", at(step), tuple(_estate(step))), fingerprinter)
        store.ingest(Snapshot("tfstate/net", at(step), tuple(_state(step))), fingerprinter)
    store.record_events([ChangeEvent(
        id="apply-1", kind=APPLY_KIND, summary="terraform apply", started_at=at(0.9),
        finished_at=at(1), source="tfstate/net",
        resources=("module.net.aws_security_group.sg1",))])
    yield runtime
    runtime.close()


@pytest.fixture
def rule_dirs(tmp_path: Path) -> list[Path]:
    folder = tmp_path / "rules"
    folder.mkdir()
    (folder / "every-type.yaml").write_text(EVERY_TYPE_PACK)
    return [INSTALLED_RULES, folder]


class _PerKeyVersions(review_service._Versions):
    """Attributes read as before the bulk read: one ``history`` query per resource key."""

    def read(self, changes: Any) -> None:
        return None

    def attrs(self, change: Change) -> tuple[Mapping[str, Any] | None, Mapping[str, Any] | None]:
        versions = self.store.history(change.key)
        found = {v.content_hash: v.attrs for v in versions}
        return (found.get(change.after_hash or ""), found.get(change.before_hash or ""))


Calls = dict[str, list[Any]]


def _counting(rt: Runtime, monkeypatch: pytest.MonkeyPatch) -> Calls:
    calls: Calls = {"history": [], "attributes": []}
    for name in calls:
        real: Callable[..., Any] = getattr(rt.store, name)

        def counted(arg: Any, *rest: Any, _real: Callable[..., Any] = real,
                    _name: str = name) -> Any:
            calls[_name].append(arg)
            return _real(arg, *rest)

        monkeypatch.setattr(rt.store, name, counted)
    return calls


def _judged(rt: Runtime, dirs: list[Path]) -> list[tuple[int | None, ReviewStatus]]:
    return [(c.id, s) for c, s in review_statuses(rt, None, now=at(10), rule_dirs=dirs)]


def test_bulk_attributes_give_the_statuses_of_the_per_key_path(
        rt: Runtime, rule_dirs: list[Path], monkeypatch: pytest.MonkeyPatch) -> None:
    calls = _counting(rt, monkeypatch)
    bulk = _judged(rt, rule_dirs)
    bulk_calls = {name: list(args) for name, args in calls.items()}
    for args in calls.values():
        args.clear()
    with monkeypatch.context() as patched:
        patched.setattr(review_service, "_Versions", _PerKeyVersions)
        per_key = _judged(rt, rule_dirs)

    assert bulk == per_key
    assert len(bulk_calls["attributes"]) == 1  # every hash of the listing in one read
    near_apply = {c.key for c in rt.store.changes(ChangeFilter(since=at(-0.1), until=at(2)))
                  if c.origin is Origin.LIVE and not c.address}  # apply-window: 1h around it
    assert set(bulk_calls["history"]) <= near_apply  # only the state-address lookup
    assert len(calls["history"]) > 3 * len(bulk_calls["history"])  # the old path: per key


def test_the_scenario_exercises_the_conditions(rt: Runtime, rule_dirs: list[Path]) -> None:
    judged = {c.key.id + ":" + c.kind.value + ":" + c.scope: s
              for c, s in review_statuses(rt, None, now=at(10), rule_dirs=rule_dirs)}
    rules = {r for s in judged.values() for r in s.rules}
    assert {"review-ingress-open-to-world", "prod-tagged", "db-with-password",
            "iam-any-action", "review-identity-and-keys"} <= rules
    assert "db-password-in-clear" not in rules  # the password is a fingerprint
    assert judged[f"sg-0:removed:aws/{ACCOUNT}"].required == 1  # removal: ingress rule quiet
    assert judged[f"sg-new-1:added:aws/{ACCOUNT}"].required == 2
    assert judged[f"sg-1:modified:aws/{ACCOUNT}"].state.value == "reviewed"  # apply covers it
    assert judged[f"sg-4:modified:aws/{ACCOUNT}"].state.value == "out-of-band"
