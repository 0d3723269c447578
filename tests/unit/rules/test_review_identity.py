"""Identity matching for review: the same person across emails, names, ARNs and sessions."""

from __future__ import annotations

import pytest

from auditd.rules.review_identity import anyone, identity, role_session_forms, same_person

ACCOUNT = "123456789012"
SSO_JANE = f"arn:aws:sts::{ACCOUNT}:assumed-role/AdminSSO/jane"


@pytest.mark.parametrize(("a", "b"), [
    ("alice@example.com", "Alice@Example.COM"),  # emails ignore case
    ("Alice Ops", "alice  ops"),  # names fold case and spacing
    ("Alice Ops <alice@example.com>", "alice@example.com"),  # "Name <email>"
    ("Alice Ops <alice@example.com>", "Alice Ops"),
    ("alice", "alice@example.com"),  # a bare handle names the owner of the login
    ("jane", SSO_JANE),  # a role session name
    ("jane@example.com", f"arn:aws:sts::{ACCOUNT}:assumed-role/AdminSSO/jane@example.com"),
    ("JANE", SSO_JANE.upper().replace("ARN:AWS:STS", "arn:aws:sts")),
    ("bob", f"arn:aws:iam::{ACCOUNT}:user/team/bob"),  # an IAM user, with a path
    (SSO_JANE, SSO_JANE.lower()),
])
def test_the_same_person_in_other_forms(a: str, b: str) -> None:
    assert same_person(a, b) and same_person(b, a)


@pytest.mark.parametrize(("a", "b"), [
    ("alice@example.com", "alice@other.org"),  # two emails: the domain matters
    ("bob@example.com", "alice@example.com"),
    ("AdminSSO", SSO_JANE),  # a role is shared by many people: not an identity
    ("Bob Review", "bob@example.com"),  # a full name does not name an email
    ("", "alice@example.com"),
    ("bob", f"arn:aws:iam::{ACCOUNT}:root"),
])
def test_different_people(a: str, b: str) -> None:
    assert not same_person(a, b) and not same_person(b, a)


def test_anyone_is_the_union_of_several_authors() -> None:
    authors = anyone(["alice@example.com", "Carol Oncall", ""])
    assert same_person("carol oncall", authors) and same_person("ALICE", authors)
    assert not same_person("bob@example.com", authors)
    assert identity("  ") == anyone([])


def test_session_issuer_offers_the_assumed_role_form() -> None:
    issuer = f"arn:aws:iam::{ACCOUNT}:role/ci/terraform-deploy"
    actor = f"arn:aws:sts::{ACCOUNT}:assumed-role/terraform-deploy/run-42"
    assert role_session_forms(actor, issuer) == [
        issuer, f"arn:aws:sts::{ACCOUNT}:assumed-role/terraform-deploy/run-42"]
    # an actor of another role keeps the session a wildcard
    assert role_session_forms(SSO_JANE, issuer)[1].endswith("assumed-role/terraform-deploy/*")
    assert role_session_forms("", "not-an-arn") == ["not-an-arn"]
    assert role_session_forms("", "") == []
