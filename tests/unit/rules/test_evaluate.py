"""Evaluation on real drift: ignores (type, glob, field, one array element), expiry,
default severities, precedence, the index, maintenance windows and review policy."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from auditd.diff.drift_eval import evaluate_drift
from auditd.rulefiles import INSTALLED_RULES, load_rules
from auditd.rules import RuleSet, Severity, Subject
from auditd.rules.cron import parse_cron
from tests.helpers import T0
from tests.unit.drift.builders import declared, live, run, sg_rule, state

ADDR = "module.edge.aws_security_group.web"
DEFAULTS = load_rules([INSTALLED_RULES])


def rules(*bodies: str) -> RuleSet:
    text = "pack: t\nrules:\n" + "".join(bodies)
    return RuleSet.from_texts([("t.yaml", text)])


def ignore(rule_id: str, extra: str) -> str:
    return (f"  - id: {rule_id}\n    kind: ignore\n    owner: o\n    reason: r\n"
            + "".join(f"    {line}\n" for line in extra.strip().splitlines()))


def _sg_drift(now_rules: list[dict[str, object]], was_rules: list[dict[str, object]],
              **live_extra: object) -> list:  # type: ignore[type-arg]
    base = {"name": "web", "tags_all": {"Name": "web"}}
    report = run([live("sg-1", {**base, "ingress": now_rules, **live_extra})],
                 [state("sg-1", ADDR, {**base, "ingress": was_rules})])
    return list(report.drifts)


def test_ssh_open_to_world_is_critical_on_real_drift() -> None:
    drifts = _sg_drift([sg_rule(22, "0.0.0.0/0"), sg_rule(443, "0.0.0.0/0")],
                       [sg_rule(443, "0.0.0.0/0")])
    (rated,) = evaluate_drift(drifts, DEFAULTS, T0)
    assert rated.verdict.severity is Severity.CRITICAL
    assert rated.finding.severity == "critical"
    assert "security-exposure" in rated.verdict.tags


def test_tags_only_change_is_info() -> None:
    drifts = _sg_drift([sg_rule(22, "0.0.0.0/0")], [sg_rule(22, "0.0.0.0/0")],
                       tags_all={"Name": "web", "owner": "x"})
    (rated,) = evaluate_drift(drifts, DEFAULTS, T0)
    assert rated.verdict.severity is Severity.INFO


def test_unapplied_create_of_world_open_group_is_critical() -> None:
    decl = declared("aws_security_group.new", {"ingress": [sg_rule(3389, "0.0.0.0/0",
                                                                   defaults=False)]})
    (rated,) = evaluate_drift(run([], [], [decl]).drifts, DEFAULTS, T0)
    assert rated.drift.action == "create" and rated.verdict.severity is Severity.CRITICAL


def test_single_array_element_ignore_is_exact_when_indexes_shift() -> None:
    """10.0.0.0/8 is inserted before 172.16/12; only the 10/8 element is ignored."""
    was = [sg_rule(443, "172.16.0.0/12")]
    now = [sg_rule(443, "10.0.0.0/8", description="vpn"), sg_rule(443, "172.16.0.0/12")]
    drifts = _sg_drift(now, was)
    # a set-like list: one inserted element is one added field, its neighbours untouched
    assert [(f.path, f.op) for f in drifts[0].finding.fields] == [("ingress[0]", "added")]
    ruleset = rules(ignore("vpn", """
match: {types: [aws_security_group]}
fields:
  - path: ingress
    element: {path: cidr_blocks, contains: 10.0.0.0/8}
"""))
    (rated,) = evaluate_drift(drifts, ruleset, T0)
    assert rated.verdict.suppressed and rated.verdict.ignored_by == ("vpn",)
    # the element edited from 10.0.0.0/8 to the world is never hidden: its new value decides
    opened = [sg_rule(443, "0.0.0.0/0", description="vpn"), sg_rule(443, "172.16.0.0/12")]
    was_vpn = [sg_rule(443, "10.0.0.0/8", description="vpn"), *was]
    (wider,) = evaluate_drift(_sg_drift(opened, was_vpn), ruleset, T0)
    assert wider.verdict.suppressed is False
    assert [(f.path, f.op, f.after["cidr_blocks"]) for f in wider.verdict.fields] == \
        [("ingress[0]", "added", ["0.0.0.0/0"])]


@pytest.mark.parametrize(("match", "hit"), [
    ("match: {types: [aws_security_group]}", True),
    ("match: {types: [aws_s3_bucket]}", False),
    ("match: {types: ['aws_security_*']}", True),
    ("match: {addresses: ['module.edge.*']}", True),
    ("match: {addresses: ['module.core.*']}", False),
    ("match: {keys: ['aws/*/123456789012/eu-west-1/sg-*']}", True),
    ("match: {accounts: ['999999999999']}", False),
    ("match: {regions: ['eu-*']}", True),
])
def test_whole_finding_ignores_by_type_glob_account_region(match: str, hit: bool) -> None:
    drifts = _sg_drift([sg_rule(80, "10.1.0.0/16")], [sg_rule(443, "10.1.0.0/16")])
    (rated,) = evaluate_drift(drifts, rules(ignore("i", match)), T0)
    assert rated.verdict.suppressed is hit


def test_field_ignore_removes_only_that_field() -> None:
    drifts = _sg_drift([sg_rule(443, "10.1.0.0/16")], [sg_rule(443, "10.1.0.0/16")],
                       tags_all={"Name": "web", "LastScanned": "today"}, name="web2")
    scan = rules(ignore("scan", "fields: [{path: tags_all.LastScanned}]"))
    (rated,) = evaluate_drift(drifts, scan, T0)
    assert [f.path for f in rated.verdict.fields] == ["name"]
    assert [f.path for f in rated.verdict.ignored_fields] == ["tags_all.LastScanned"]


def test_expiry_applies_before_and_stops_at_the_instant() -> None:
    ruleset = rules(ignore("temp", "expires: 2026-11-02T00:00:00Z"))
    drifts = _sg_drift([sg_rule(80, "10.1.0.0/16")], [sg_rule(443, "10.1.0.0/16")])
    expires = datetime(2026, 11, 2, tzinfo=UTC)
    before = evaluate_drift(drifts, ruleset, expires - timedelta(seconds=1))[0].verdict
    after = evaluate_drift(drifts, ruleset, expires)[0].verdict
    assert before.suppressed and not after.suppressed and after.expired_ignores == ("temp",)
    assert ruleset.expiring(expires - timedelta(days=3), timedelta(days=7))[0].id == "temp"
    assert rules(ignore("d", "expires: 2026-11-02")).rules[0].rule.active(  # type: ignore[union-attr]
        expires - timedelta(seconds=1))


def test_precedence_critical_beats_ignore_and_priority_beats_severity() -> None:
    sev = ("  - id: crit\n    kind: severity\n    severity: critical\n"
           "    match: {fields: [ingress]}\n"
           "  - id: low-override\n    kind: severity\n    severity: low\n    priority: 10\n"
           "    match: {addresses: ['module.edge.*'], fields: [name]}\n")
    drifts = _sg_drift([sg_rule(80, "10.1.0.0/16")], [sg_rule(443, "10.1.0.0/16")])
    (rated,) = evaluate_drift(drifts, rules(sev, ignore("all", "match: {}")), T0)
    assert rated.verdict.severity is Severity.CRITICAL and not rated.verdict.suppressed
    assert rated.verdict.overridden_ignores == ("all",)
    renamed = _sg_drift([sg_rule(443, "10.1.0.0/16")], [sg_rule(443, "10.1.0.0/16")], name="x")
    assert evaluate_drift(renamed, rules(sev), T0)[0].verdict.severity is Severity.LOW


def test_index_gives_the_same_verdicts_as_a_full_scan() -> None:
    subjects = [Subject.from_finding(d.finding, d.after, d.before) for d in
                _sg_drift([sg_rule(22, "0.0.0.0/0")], [])]
    subjects += [Subject(key=s.key.__class__("aws", t, "x", "123456789012", r), kind=k)
                 for s in subjects[:1] for t in ("aws_iam_role", "aws_kms_key", "aws_s3_bucket")
                 for r in ("global", "eu-west-1") for k in ("missing", "modified", "changed")]
    for s in subjects:
        assert DEFAULTS.evaluate(s, T0) == DEFAULTS.evaluate(s, T0, indexed=False)
        assert DEFAULTS.evaluate(s, T0) == DEFAULTS.evaluate(s, T0)  # cached path


def test_maintenance_mutes_only_its_scope_and_severity() -> None:
    ruleset = rules("  - id: win\n    kind: maintenance\n    match: {regions: [eu-west-1]}\n"
                    "    timezone: Europe/Berlin\n    windows: [{cron: '0 2 * * sat', "
                    "duration: 4h}]\n")
    inside = Subject(key=state("i-1", "a", {}).key, kind="modified")
    saturday = datetime(2026, 3, 7, 1, 30, tzinfo=UTC)  # 02:30 in Berlin
    assert ruleset.muted(inside, saturday) == ("win",)
    assert ruleset.muted(inside, saturday + timedelta(hours=4)) == ()
    assert ruleset.muted(inside, saturday, Severity.CRITICAL) == ()
    outside = Subject(key=state("i-1", "a", {}, region="us-east-1").key, kind="modified")
    assert ruleset.muted(outside, saturday) == ()


def test_review_policy_takes_the_strictest() -> None:
    role = Subject(key=state("r", "a", {}, tf_type="aws_iam_role", region="global").key,
                   kind="modified")
    policy = DEFAULTS.review_policy(role)
    assert (policy.approvals, policy.author_may_approve) == (2, False)
    assert policy.emergency_window == timedelta(hours=24)
    assert RuleSet().review_policy(role).approvals == 1


def test_cron_fields() -> None:
    cron = parse_cron("*/15 9-17 * jan-mar mon-fri")
    assert cron.matches(datetime(2026, 2, 2, 9, 45))  # a Monday
    assert not cron.matches(datetime(2026, 2, 1, 9, 45))  # a Sunday
    assert not cron.matches(datetime(2026, 4, 1, 9, 45))
    both = parse_cron("0 0 1 * sun")  # the 1st, or any Sunday (classic cron)
    assert both.matches(datetime(2026, 3, 1)) and both.matches(datetime(2026, 3, 8))
    with pytest.raises(ValueError, match="day of week"):
        parse_cron("0 0 * * funday")
