"""Every drift class, the compare rules, unknowns, ``[*]`` and default tags."""

from __future__ import annotations

from auditd.model import DriftKind, ScopeSelector
from tests.unit.drift.builders import declared, kinds, live, run, sg_rule, state, unknown

ADDR = "aws_security_group.web"
BASE = {"name": "web", "vpc_id": "vpc-1", "ingress": [sg_rule(443, "0.0.0.0/0")],
        "tags_all": {"Name": "web", "team": "core"}}


def _state(**over: object) -> object:
    return state("sg-1", ADDR, {**BASE, "arn": "arn:x", "tags": {"Name": "web"},
                                "timeouts": None, "revoke_rules_on_delete": False, **over})


def test_in_sync_gives_no_finding() -> None:
    report = run([live("sg-1", BASE)], [_state()],
                 [declared(ADDR, {"name": "web", "ingress": [sg_rule(443, "0.0.0.0/0",
                                                                      defaults=False)],
                                  "tags": {"Name": "web"}})])
    assert report.drifts == ()
    assert report.coverage.overall.percent == 100


def test_unmanaged_and_missing() -> None:
    report = run([live("sg-9", BASE)], [_state()])
    assert kinds(report) == [(DriftKind.MISSING, ADDR), (DriftKind.UNMANAGED, "sg-9")]
    missing = next(d for d in report.drifts if d.finding.kind is DriftKind.MISSING)
    assert missing.before is not None and missing.after is None
    assert missing.subject().attrs["name"] == "web"


def test_changed_reports_paths_and_both_values() -> None:
    now = {**BASE, "ingress": [sg_rule(22, "0.0.0.0/0"), sg_rule(443, "0.0.0.0/0")]}
    (drift,) = run([live("sg-1", now)], [_state()]).drifts
    assert drift.finding.kind is DriftKind.CHANGED and drift.finding.address == ADDR
    assert [(f.path, f.op) for f in drift.finding.fields] == [("ingress[0]", "added")]
    assert drift.finding.fields[0].after["from_port"] == 22
    (edited,) = run([live("sg-1", {**BASE, "name": "web2"})], [_state()]).drifts
    assert [(f.path, f.before, f.after) for f in edited.finding.fields] == \
        [("name", "web", "web2")]


def test_changed_compares_only_what_live_maps() -> None:
    """State-only attributes (arn, revoke_rules_on_delete, timeouts) never drift."""
    assert run([live("sg-1", BASE)], [_state(revoke_rules_on_delete=True)]).drifts == ()


def test_mapped_fields_catch_a_value_the_live_side_emptied() -> None:
    from auditd.diff.drift import compute_drift
    from auditd.diff.drift_inputs import DriftInput, Stack
    from tests.helpers import T0
    now = {k: v for k, v in BASE.items() if k != "tags_all"}
    inp = DriftInput([live("sg-1", now)], [Stack("s", [_state()])], T0,
                     mapped_fields={"aws_security_group": frozenset(BASE)})
    (drift,) = compute_drift(inp).drifts
    assert [(f.path, f.op) for f in drift.finding.fields] == [("tags_all", "removed")]
    inp2 = DriftInput([live("sg-1", now)], [Stack("s", [_state()])], T0)
    assert compute_drift(inp2).drifts == ()  # without the map, only the live keys count


def test_old_state_without_tags_all_compares_tags() -> None:
    old = state("sg-1", ADDR, {**{k: v for k, v in BASE.items() if k != "tags_all"},
                               "tags": {"Name": "web", "team": "core"}})
    assert run([live("sg-1", BASE)], [old]).drifts == ()


def test_unapplied_update_with_known_values_only() -> None:
    decl = declared(ADDR, {"name": "web", "vpc_id": unknown("aws_vpc.main.id"),
                           "description": "Managed by Terraform",
                           "ingress": [sg_rule(443, "0.0.0.0/0", defaults=False),
                                       {"from_port": 80, "to_port": 80, "protocol": "tcp",
                                        "cidr_blocks": [unknown("var.cidr")]}]})
    st = _state(ingress=[sg_rule(443, "0.0.0.0/0"), sg_rule(80, "10.0.0.0/8")],
                description="old")
    (drift,) = run([live("sg-1", {**BASE, "ingress": st.attrs["ingress"]})], [st], [decl]).drifts
    assert drift.finding.kind is DriftKind.UNAPPLIED and drift.action == "update"
    assert [(f.path, f.before, f.after) for f in drift.finding.fields] == [
        ("description", "old", "Managed by Terraform")]


def test_unknown_never_drifts() -> None:
    decl = declared(ADDR, {"name": unknown("var.name"), "vpc_id": unknown("aws_vpc.x.id"),
                           "tags": {"Name": unknown("local.n")},
                           "ingress": [{"from_port": unknown("var.p"), "to_port": 443,
                                        "protocol": "tcp", "cidr_blocks": ["0.0.0.0/0"]}]})
    assert run([live("sg-1", BASE)], [_state()], [decl]).drifts == ()


def test_terraform_conversions_are_not_drift() -> None:
    decl = declared(ADDR, {"name": "web", "ingress": [{"from_port": "443", "to_port": "443",
                                                       "protocol": "tcp",
                                                       "cidr_blocks": ["0.0.0.0/0"]}],
                           "revoke_rules_on_delete": "false"})
    assert run([live("sg-1", BASE)], [_state()], [decl]).drifts == ()


def test_default_tags_and_tags_all_are_not_unapplied() -> None:
    decl = declared(ADDR, {"name": "web", "tags": {"Name": "web"},
                           "tags_all": {"Name": "web", "team": "platform"}},
                    default_tags={"team": "platform"})
    assert run([live("sg-1", BASE)], [_state()], [decl]).drifts == ()


def test_wildcard_declaration_matches_every_instance() -> None:
    decl = declared("aws_instance.web[*]", {"instance_type": "t3.small",
                                            "ami": unknown("data.aws_ami.x.id")},
                    tf_type="aws_instance", expansion_unknown=True)
    states = [state(f"i-{n}", f"aws_instance.web[{n}]", {"instance_type": t, "ami": "ami-1"},
                    tf_type="aws_instance") for n, t in ((0, "t3.small"), (1, "t3.large"))]
    lives = [live(s.key.id, dict(s.attrs), tf_type="aws_instance") for s in states]
    report = run(lives, states, [decl])
    assert kinds(report) == [(DriftKind.UNAPPLIED, "aws_instance.web[1]")]
    assert run(lives, states, [declared("module.a[*].aws_instance.web", {},
                                        tf_type="aws_instance")]).drifts != ()


def test_wildcard_with_no_instance_is_not_pending_create() -> None:
    decl = declared("aws_instance.web[*]", {"instance_type": "t3.small"}, tf_type="aws_instance")
    assert run([], [], [decl]).drifts == ()


def test_pending_create_and_destroy() -> None:
    decl = declared("aws_s3_bucket.new", {"bucket": "new"}, tf_type="aws_s3_bucket")
    report = run([live("sg-1", BASE)], [_state()], [decl])
    assert kinds(report) == [(DriftKind.UNAPPLIED, "aws_s3_bucket.new"),
                             (DriftKind.UNAPPLIED, ADDR)]
    assert sorted(d.action for d in report.drifts) == ["create", "destroy"]


def test_incomplete_declared_side_never_reports_destroy() -> None:
    assert run([live("sg-1", BASE)], [_state()], [], declared_complete=False).drifts == ()
    assert run([live("sg-1", BASE)], [_state()], None).drifts == ()


def test_unexpanded_module_resources_are_not_destroys() -> None:
    mod = declared("module.vpc", {"source": "terraform-aws-modules/vpc/aws"},
                   tf_type="terraform_module", expanded=False)
    st = state("sg-1", "module.vpc.aws_security_group.this[0]", dict(BASE))
    assert run([live("sg-1", BASE)], [st], [mod]).drifts == ()


def test_moved_block_matches_the_new_address() -> None:
    decl = declared("aws_security_group.main", {"name": "web"})
    assert run([live("sg-1", BASE)], [_state()], [decl], moved={ADDR: "aws_security_group.main"}
               ).drifts == ()


def test_ignore_changes_masks_both_comparisons() -> None:
    decl = declared(ADDR, {"name": "web", "tags": {"Name": "other"}}, ignore_changes=["tags"])
    drifted = {**BASE, "tags_all": {"Name": "edited"}}
    assert run([live("sg-1", drifted)], [_state()], [decl]).drifts == ()
    everything = declared(ADDR, {"name": "x"}, ignore_changes="all")
    assert run([live("sg-1", {**BASE, "name": "y"})], [_state()], [everything]).drifts == ()


def test_failed_state_read_gives_no_unmanaged() -> None:
    report = run([live("sg-9", BASE)], [], applied_complete=False)
    assert report.drifts == () and report.coverage.partial


def test_missing_needs_authority_and_a_real_id() -> None:
    assert run([], [_state()], authority=lambda k: False).drifts == ()
    no_id = state("aws_security_group.web", ADDR, dict(BASE), id_source="address")
    assert run([], [no_id]).drifts == ()


def test_coverage_per_account_region_type() -> None:
    report = run([live("sg-1", BASE), live("sg-2", BASE, region="us-east-1"),
                  live("b-1", {"bucket": "b"}, tf_type="aws_s3_bucket")],
                 [_state(), state("sg-3", "aws_security_group.gone", dict(BASE))])
    cov = report.coverage
    assert (cov.overall.managed, cov.overall.unmanaged, cov.overall.missing) == (1, 2, 1)
    assert cov.overall.percent == 25
    assert cov.by_region["us-east-1"].ratio == 0.0
    assert cov.by_type["aws_security_group"].total == 3
    assert cov.by_type["aws_s3_bucket"].unmanaged == 1


def test_selector_guard_example() -> None:
    from auditd.diff.drift_inputs import LiveCoverage, live_authority
    from tests.helpers import snap
    snapshot = snap([], errors=[("throttled", ScopeSelector(region="eu-west-1"))])
    authority = live_authority([LiveCoverage(snapshot, types=frozenset({"aws_security_group"}))])
    assert run([], [_state()], authority=authority).drifts == ()
