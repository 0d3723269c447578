"""The pure review classifier: one test per status and the edges between them."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from auditd.model import Change, ChangeKind, Origin, ResourceKey
from auditd.rules.review_status import ReviewState, review_status

T0 = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)
WINDOW = timedelta(hours=24)
DEPLOY = ("arn:aws:sts::*:assumed-role/terraform-deploy/*",)
KEY = ResourceKey("aws", "aws_security_group", "sg-1", "123456789012", "eu-west-1")


def change(origin: Origin = Origin.DECLARED, *, actor: str | None = "alice@example.com",
           review: dict[str, Any] | None = None, address: str = "aws_security_group.web",
           via: str | None = None) -> Change:
    provenance: dict[str, Any] = {}
    if review is not None:
        provenance = {"review": review, "git": {
            "commit": "abc", "author": {"time": T0.isoformat()},
            "committer": {"time": T0.isoformat()}}}
    return Change(key=KEY, kind=ChangeKind.MODIFIED, scope="s", origin=origin,
                  observed_at=T0 + timedelta(hours=2), before_hash="a", after_hash="b",
                  actor=actor, via=via, address=address, provenance=provenance)


def git_review(approvers: list[str], *, emergency: bool = False,
               authors: tuple[str, ...] = ("alice@example.com",)) -> dict[str, Any]:
    return {"reviewed": False, "self_approved": False, "approvers": approvers,
            "authors": list(authors), "emergency": emergency,
            "emergency_reason": "db outage" if emergency else ""}


def classify(c: Change, now: datetime = T0 + timedelta(hours=3),
             applied: frozenset[str] = frozenset()) -> Any:
    return review_status(c, now=now, emergency_window=WINDOW, deploy_principals=DEPLOY,
                         applied_addresses=applied)


def test_independent_approval_is_reviewed() -> None:
    status = classify(change(review=git_review(["bob@example.com"])))
    assert status.state is ReviewState.REVIEWED and "bob@example.com" in status.reason


def test_approval_only_by_an_author_is_self_approved() -> None:
    status = classify(change(review=git_review(["Alice@Example.com"])))
    assert status.state is ReviewState.SELF_APPROVED


def test_no_approval_or_no_commit_is_unreviewed() -> None:
    assert classify(change(review=git_review([]))).state is ReviewState.UNREVIEWED
    uncommitted = classify(change(review=None))
    assert uncommitted.state is ReviewState.UNREVIEWED and "no commit" in uncommitted.reason


def test_emergency_is_pending_inside_the_window_and_overdue_after() -> None:
    urgent = change(review=git_review([], emergency=True))
    pending = classify(urgent, now=T0 + WINDOW - timedelta(seconds=1))
    assert pending.state is ReviewState.EMERGENCY_PENDING and pending.due == T0 + WINDOW
    assert "db outage" in pending.reason
    assert classify(urgent, now=T0 + WINDOW).state is ReviewState.EMERGENCY_OVERDUE


def test_emergency_with_an_independent_approval_is_reviewed() -> None:
    urgent = change(review=git_review(["bob@example.com"], emergency=True))
    assert classify(urgent, now=T0 + 2 * WINDOW).state is ReviewState.REVIEWED
    self_only = change(review=git_review(["alice@example.com"], emergency=True))
    assert classify(self_only, now=T0 + 2 * WINDOW).state is ReviewState.EMERGENCY_OVERDUE


def test_live_change_by_a_console_user_is_out_of_band() -> None:
    console = change(Origin.LIVE, actor="arn:aws:sts::123456789012:assumed-role/AdminSSO/jane",
                     via="console")
    status = classify(console)
    assert status.state is ReviewState.OUT_OF_BAND
    assert "AdminSSO/jane via console" in status.reason
    assert classify(change(Origin.LIVE, actor=None)).state is ReviewState.OUT_OF_BAND


def test_live_change_by_a_deploy_principal_or_covered_by_an_apply_is_reviewed() -> None:
    deploy = change(Origin.LIVE, actor="arn:aws:sts::123456789012:assumed-role/terraform-deploy/ci")
    assert classify(deploy).state is ReviewState.REVIEWED
    console = change(Origin.LIVE, actor="arn:aws:sts::123456789012:assumed-role/AdminSSO/jane")
    assert classify(console, applied=frozenset({"aws_security_group.web"})).reviewed
    assert classify(change(Origin.LIVE, address=""), applied=frozenset({str(KEY)})).reviewed


def test_state_change_follows_its_apply() -> None:
    state = change(Origin.STATE, actor=None)
    assert classify(state, applied=frozenset({"aws_security_group.web"})).reviewed
    assert classify(state).state is ReviewState.UNREVIEWED
