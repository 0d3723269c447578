"""Review rules' ``when`` conditions on a change's attributes: the new version and ``before``.

Subjects are built with :meth:`Subject.from_change` as the review service builds them, so
added, removed and modified changes are shaped as the drift side shapes its findings.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from auditd.model import Change, ChangeKind, FieldChange, Origin, ResourceKey
from auditd.normalize import HmacFingerprinter
from auditd.rules import RuleFileError, RuleSet, Subject, conditions

PACK = """
pack: review-when
rules:
  - id: review-default
    kind: review
  - id: sg-newly-open
    kind: review
    approvals: 2
    match:
      types: [aws_security_group]
      when:
        path: ingress
        any_added_element: {path: cidr_blocks, contains: 0.0.0.0/0}
  - id: db-deletion-protection-off
    kind: review
    approvals: 2
    match:
      types: [aws_db_instance]
      kinds: [added, modified]
      fields: [deletion_protection]
      when: {path: deletion_protection, equals: false}
  - id: iam-star-action
    kind: review
    approvals: 3
    match:
      types: [aws_iam_policy]
      when: {path: "policy.Statement[*].Action", contains: "*"}
  - id: db-password-set
    kind: review
    emergency_window: 2h
    match:
      types: [aws_db_instance]
      addresses: ["module.lab.*"]
      when: {path: password, exists: true}
  - id: severity-with-condition
    kind: severity
    severity: high
    match: {types: [aws_s3_bucket], when: {path: acl, equals: public-read}}
"""
RULES = RuleSet.from_texts([("review-when.yaml", PACK)])
OPEN = {"from_port": 443, "to_port": 443, "cidr_blocks": ["0.0.0.0/0"]}
PRIVATE = {"from_port": 443, "to_port": 443, "cidr_blocks": ["10.0.0.0/8"]}


def change(tf_type: str, kind: str, fields: tuple[str, ...] = (), address: str = "") -> Change:
    return Change(key=ResourceKey("aws", tf_type, "r1", "123456789012", "eu-west-1"),
                  kind=ChangeKind(kind), scope="aws/123456789012", origin=Origin.LIVE,
                  observed_at=datetime(2026, 11, 1, tzinfo=UTC), before_hash="b",
                  after_hash="a", fields=tuple(FieldChange(f, "changed") for f in fields),
                  address=address)


def approvals(c: Change, attrs: dict[str, Any] | None, before: dict[str, Any] | None) -> int:
    return RULES.review_policy(Subject.from_change(c, attrs, before)).approvals


def test_newly_opened_ingress_is_judged_against_before() -> None:
    modified = change("aws_security_group", "modified", ("ingress[1]",))
    assert approvals(modified, {"ingress": [PRIVATE, OPEN]}, {"ingress": [PRIVATE]}) == 2
    assert approvals(modified, {"ingress": [PRIVATE, OPEN]}, {"ingress": [OPEN]}) == 1
    assert approvals(modified, {"ingress": [PRIVATE]}, {"ingress": [OPEN]}) == 1  # closed
    # without the attributes the condition cannot hold: what the service did before
    assert approvals(modified, None, None) == 1


def test_added_has_no_before_and_removed_is_rated_on_its_last_attributes() -> None:
    added = change("aws_security_group", "added")
    assert approvals(added, {"ingress": [OPEN]}, {"ingress": [OPEN]}) == 2  # before ignored
    removed = change("aws_security_group", "removed")
    subject = Subject.from_change(removed, None, {"ingress": [OPEN]})
    assert (dict(subject.attrs), subject.before) == ({"ingress": [OPEN]}, None)
    assert RULES.review_policy(subject).rules == ("review-default", "sg-newly-open")
    # a rule limited to added/modified leaves removals alone
    db = change("aws_db_instance", "removed", ("deletion_protection",))
    assert approvals(db, None, {"deletion_protection": False}) == 1


def test_deletion_protection_turned_off() -> None:
    modified = change("aws_db_instance", "modified", ("deletion_protection",))
    assert approvals(modified, {"deletion_protection": False}, {"deletion_protection": True}) == 2
    assert approvals(modified, {"deletion_protection": "false"}, {}) == 2  # Terraform's "false"
    assert approvals(modified, {"deletion_protection": True}, {"deletion_protection": False}) == 1
    # protection already off, another field changed: the `fields` criterion leaves it alone
    other = change("aws_db_instance", "modified", ("allocated_storage",))
    assert approvals(other, {"deletion_protection": False}, {"deletion_protection": False}) == 1


def test_policy_document_with_any_action() -> None:
    policy = change("aws_iam_policy", "modified", ("policy",))

    def doc(*actions: list[str]) -> dict[str, Any]:  # stored documents: Action is a list
        return {"policy": {"Statement": [{"Effect": "Allow", "Action": a} for a in actions]}}
    assert approvals(policy, doc(["s3:GetObject"], ["*"]), doc(["s3:GetObject"])) == 3
    assert approvals(policy, doc(["s3:*", "ec2:*"]), doc(["s3:GetObject"])) == 1


def test_a_secret_attribute_can_only_be_tested_for_presence() -> None:
    fingerprint = HmacFingerprinter(b"k" * 32)("hunter2")
    attrs = {"password": fingerprint}
    assert conditions.holds(conditions.Test(path="password", exists=True), attrs)
    assert not conditions.holds(conditions.Test(path="password", empty=True), attrs)
    for op, value in (("equals", "hunter2"), ("equals", fingerprint), ("not_equals", "x"),
                      ("contains", fingerprint[-4:]), ("matches", "*"), ("one_of", ["hunter2"])):
        test = conditions.Test.model_validate({"path": "password", op: value})
        assert not conditions.holds(test, attrs), op
    lab = change("aws_db_instance", "modified", ("password",),
                 address="module.lab.aws_db_instance.x")
    policy = RULES.review_policy(Subject.from_change(lab, attrs, {"password": None}))
    assert policy.rules == ("review-default", "db-password-set")
    unset = RULES.review_policy(Subject.from_change(lab, {"password": None}, attrs))
    assert unset.rules == ("review-default",)  # presence is judged on the new version


def test_attributes_are_read_only_when_a_conditional_review_rule_may_match() -> None:
    def needs(tf_type: str, kind: str = "modified", fields: tuple[str, ...] = (),
              address: str = "") -> bool:
        return RULES.review_needs_attrs(Subject.from_change(change(tf_type, kind, fields,
                                                                   address)))
    assert needs("aws_security_group") and needs("aws_iam_policy", "removed")
    assert not needs("aws_s3_bucket")  # only a severity rule has a condition there
    assert not needs("aws_lambda_function")
    assert not needs("aws_db_instance", "modified", ("allocated_storage",))  # fields rule it out
    assert not needs("aws_db_instance", "removed", ("deletion_protection",))  # kinds rule it out
    assert needs("aws_db_instance", "modified", ("deletion_protection",))
    assert needs("aws_db_instance", "modified", ("password",), "module.lab.aws_db_instance.x")
    assert not needs("aws_db_instance", "modified", ("password",), "aws_db_instance.prod")


@pytest.mark.parametrize(("when", "expected"), [
    ("{path: ingress, opens: 0.0.0.0/0}", "rules[1].match.when.opens: Extra inputs are not "
                                          "permitted (in rule sg-open)"),
    ("{path: 'ingress[', exists: true}", "rules[1].match.when.path: bad attribute path"),
    ("{path: a, equals: 1, exists: true}", "rules[1].match.when: a test needs exactly one of"),
    ("deletion_protection == false", "rules[1].match.when: Input should be a valid dictionary"),
    ("{path: ingress, any_added_element: {all: []}}",
     "rules[1].match.when.any_added_element.all: List should have at least 1 item"),
])
def test_a_malformed_condition_names_file_line_and_rule(when: str, expected: str) -> None:
    text = ("pack: local\nrules:\n  - {id: ok, kind: review}\n  - id: sg-open\n"
            "    kind: review\n    approvals: 2\n    match:\n      types: [aws_security_group]\n"
            f"      when: {when}\n")
    with pytest.raises(RuleFileError) as error:
        RuleSet.from_texts([("/etc/driftaudit/rules.d/net.yaml", text)])
    [issue] = error.value.issues
    assert str(issue).startswith(f"/etc/driftaudit/rules.d/net.yaml:9: {expected}")
    assert str(issue).endswith("(in rule sg-open)")
