"""The review policy a rule set gives a change: required approvals and the window it sets."""

from __future__ import annotations

from datetime import timedelta

from auditd.model import ResourceKey
from auditd.rules import RuleSet, Subject

PACK = """
version: 1
pack: review-test
rules:
  - id: everything
    kind: review
  - id: iam
    kind: review
    match: {types: ["aws_iam_*"]}
    approvals: 2
    emergency_window: 4h
"""


def subject(tf_type: str) -> Subject:
    return Subject(key=ResourceKey("aws", tf_type, "x", "123456789012", "eu-west-1"),
                   kind="modified")


def test_a_window_counts_as_set_only_when_a_rule_writes_it() -> None:
    rules = RuleSet.from_texts([("pack.yaml", PACK)])
    bucket = rules.review_policy(subject("aws_s3_bucket"))
    assert bucket.approvals == 1 and bucket.rules == ("everything",)
    assert bucket.explicit_window is None  # the settings' window applies
    role = rules.review_policy(subject("aws_iam_role"))
    assert role.approvals == 2 and set(role.rules) == {"everything", "iam"}
    assert role.explicit_window == timedelta(hours=4) == role.emergency_window
    assert RuleSet().review_policy(subject("aws_iam_role")).explicit_window is None
