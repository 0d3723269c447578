"""Restating stored attributes under the current normaliser: an upgrade is not a change.

Version 5 stored an ECS service's ``cluster``/``task_definition`` as given (ARNs, live);
version 6 stores them short.  Re-applying the current chain to what version 5 stored must
give exactly what version 6 makes of the same raw data (so nothing is recorded), leave
secret fingerprints alone (never un-redact), and fall back to "a real change" whenever the
stored data cannot be restated safely.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from auditd.diff.engine import CurrentVersion, changed_fields, plan_snapshot, prepare_resources
from auditd.diff.restate import NewSide, Restatement, restate
from auditd.model import ChangeKind, FieldChange, Snapshot
from auditd.normalize import HmacFingerprinter, chain, is_fingerprint, normalize_attrs, typerules
from auditd.normalize.canonical import canonical_json, content_hash
from tests.helpers import res, snap
from tests.unit.test_normalize import PROPERTY_SETTINGS, attr_trees

FP = HmacFingerprinter(b"k" * 32)
SVC = "aws_ecs_service"
ARN = "arn:aws:ecs:eu-west-1:123456789012"


@contextmanager
def version_5() -> Iterator[None]:
    """The chain before ECS references were shortened (no ``value_forms``)."""
    current = typerules.rules_for(SVC)
    typerules.register_type_rules(SVC, typerules.TypeRules(
        current.set_fields, current.json_fields, current.volatile_fields,
        current.secret_fields, ()))
    try:
        yield
    finally:
        typerules.register_type_rules(SVC, current)


def stored_by_v5(attrs: Mapping[str, Any], sensitive: Sequence[str] = ()) -> dict[str, Any]:
    with version_5():
        return normalize_attrs(SVC, attrs, FP, sensitive)


def judged(stored: Mapping[str, Any], raw: Mapping[str, Any], sensitive: Sequence[str] = (),
           tf_type: str = SVC) -> Restatement:
    new = normalize_attrs(tf_type, raw, FP, sensitive)
    return restate(stored, NewSide(tf_type, sensitive, new, canonical_json(new)), FP)


def service(revision: int = 3, **extra: Any) -> dict[str, Any]:
    return {"name": "api", "cluster": f"{ARN}:cluster/apps",
            "task_definition": f"{ARN}:task-definition/api:{revision}", **extra}


def test_an_upgrade_alone_is_normalisation_only() -> None:
    stored = stored_by_v5(service())
    assert stored["cluster"] == f"{ARN}:cluster/apps"
    outcome = judged(stored, service())
    assert outcome.normalisation_only
    assert outcome.before == normalize_attrs(SVC, service(), FP)


def test_a_real_change_at_the_upgrade_lists_only_what_changed() -> None:
    outcome = judged(stored_by_v5(service(3)), service(4))
    assert not outcome.normalisation_only
    new = normalize_attrs(SVC, service(4), FP)
    assert changed_fields(outcome.before, new) == (
        FieldChange("task_definition", "changed", "api:3", "api:4"),)


def test_a_change_stored_in_the_current_form_is_diffed_against_what_is_stored() -> None:
    stored = normalize_attrs(SVC, service(3), FP)
    outcome = judged(stored, service(4))
    assert not outcome.normalisation_only and outcome.before is stored


def test_stored_fingerprints_pass_through_and_are_never_undone() -> None:
    raw = service(password="hunter2", containers=[{"env": {"TOKEN": "abc"}}])
    paths = ("containers[*].env",)
    stored = stored_by_v5(raw, paths)
    outcome = judged(stored, raw, paths)
    assert outcome.normalisation_only
    assert outcome.before["password"] == stored["password"]
    assert is_fingerprint(outcome.before["containers"][0]["env"])
    assert b"hunter2" not in canonical_json(outcome.before)
    assert b"abc" not in canonical_json(outcome.before)


def test_a_value_newly_marked_secret_is_fingerprinted_never_the_reverse() -> None:
    raw = {"name": "api", "command": "run --key s3cr3t"}
    stored = normalize_attrs(SVC, raw, FP)  # stored in clear: not marked sensitive then
    now_secret = judged(stored, raw, ("command",))
    assert now_secret.normalisation_only and is_fingerprint(now_secret.before["command"])
    hidden = normalize_attrs(SVC, raw, FP, ("command",))  # stored as a fingerprint
    no_longer = judged(hidden, raw)
    assert not no_longer.normalisation_only
    assert no_longer.before == hidden


def test_a_step_that_is_not_idempotent_is_not_trusted(monkeypatch: pytest.MonkeyPatch) -> None:
    def bang(attrs: Mapping[str, Any], *_: Any) -> dict[str, Any]:
        return {**attrs, "name": f"{attrs['name']}!"} if "name" in attrs else dict(attrs)

    monkeypatch.setattr(chain, "CHAIN", (bang, *chain.CHAIN))
    stored = normalize_attrs(SVC, {"name": "a"}, FP)  # "a!"
    # The raw name really changed (a -> a!), and "a!!" is what re-applying makes of both.
    outcome = judged(stored, {"name": "a!"})
    assert not outcome.normalisation_only and outcome.before is stored


def test_a_step_that_fails_on_stored_data_keeps_the_difference(
        monkeypatch: pytest.MonkeyPatch) -> None:
    def strict(attrs: Mapping[str, Any], *_: Any) -> dict[str, Any]:
        if attrs.get("cluster") == "apps":
            raise ValueError("short form unexpected")
        return dict(attrs)

    stored = normalize_attrs(SVC, service(), FP)  # cluster "apps"
    # A new chain that refuses the stored short form and also changes the name's form.
    monkeypatch.setattr(chain, "CHAIN", (strict, *chain.CHAIN, _upper_name))
    outcome = judged(stored, service())
    assert not outcome.normalisation_only and outcome.before is stored


def _upper_name(attrs: Mapping[str, Any], *_: Any) -> dict[str, Any]:
    return {**attrs, "name": str(attrs.get("name", "")).upper()}


references = st.sampled_from([f"{ARN}:cluster/apps", "apps", f"{ARN}:cluster/other", None])
revisions = st.sampled_from([f"{ARN}:task-definition/api:3", "api:3", "api", 7, None])
sensitivity = st.sampled_from([(), ("x",), ("tags",), ("name",)])


@PROPERTY_SETTINGS
@given(attrs=attr_trees, cluster=references, task=revisions, paths=sensitivity)
def test_property_v5_output_restates_to_exactly_what_v6_makes(
        attrs: dict[str, Any], cluster: Any, task: Any, paths: tuple[str, ...]) -> None:
    raw = {**attrs, "cluster": cluster, "task_definition": task}
    stored = stored_by_v5(raw, paths)
    new = normalize_attrs(SVC, raw, FP, paths)
    if canonical_json(stored) == canonical_json(new):
        return  # nothing to judge: the store's hash comparison already says "unchanged"
    outcome = judged(stored, raw, paths)
    assert outcome.normalisation_only
    assert canonical_json(outcome.before) == canonical_json(new)


def test_plan_restates_instead_of_recording_a_change() -> None:
    def snapshot(revision: int) -> Snapshot:
        return snap([res("api", service(), tf_type=SVC),
                     res("web", service(revision), tf_type=SVC)])

    old = snapshot(3)
    blobs: dict[str, dict[str, Any]] = {}
    index = {}
    for i, p in enumerate(prepare_resources(old.resources, FP)):
        attrs = stored_by_v5(p.resource.attrs)
        blobs[content_hash(attrs)] = attrs
        index[p.key_tuple()] = CurrentVersion(i, i, content_hash(attrs), None, p.resource.key,
                                              p.resource.origin.value)
    new = snapshot(4)
    plan = plan_snapshot(new, prepare_resources(new.resources, FP), index, FP,
                         lambda hashes: {h: blobs[h] for h in hashes})
    assert [p.resource.key.id for p, _ in plan.restated] == ["api"]
    revision = FieldChange("task_definition", "changed", "api:3", "api:4")
    assert [(c.kind, c.prepared.resource.key.id if c.prepared else None, c.fields)
            for c in plan.changes] == [(ChangeKind.MODIFIED, "web", (revision,))]
