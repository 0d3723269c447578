"""The pure review classifier: one test per status and the edges between them, the review
policy (required approvals, author approval, window), recorded approvals and baselines."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

from auditd.model import Change, ChangeKind, Origin, ResourceKey
from auditd.rules.review_identity import same_person
from auditd.rules.review_status import (
    RecordedApproval,
    ReviewState,
    ReviewStatus,
    author_identity,
    authors_of,
    is_emergency,
    review_status,
)
from auditd.rules.ruleset import ReviewPolicy

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


# --- policy, recorded approvals, baseline, CloudTrail attribution ---------------------------

TWO = ReviewPolicy(approvals=2, rules=("review-identity-and-keys",))
BOB = RecordedApproval("bob@example.com", "checked the plan")
CAROL = RecordedApproval("Carol Oncall <carol@example.com>", "looks right")


def judge(c: Change, *, policy: ReviewPolicy | None = None,
          recorded: tuple[RecordedApproval, ...] = (), baseline: bool = False,
          now: datetime = T0 + timedelta(hours=3)) -> ReviewStatus:
    return review_status(c, now=now, emergency_window=WINDOW, deploy_principals=DEPLOY,
                         applied_addresses=(), policy=policy, recorded=recorded,
                         baseline=baseline)


def test_two_required_approvals_need_two_distinct_people() -> None:
    merged = change(review=git_review(["bob@example.com"]))
    short = judge(merged, policy=TWO)
    assert short.state is ReviewState.UNREVIEWED and short.required == 2
    assert "1 of 2 required approval(s) (bob@example.com)" in short.reason
    assert "review-identity-and-keys" in short.reason
    # bob again, under his handle, does not make a second approver
    again = judge(merged, policy=TWO, recorded=(RecordedApproval("BOB", "me again"),))
    assert again.state is ReviewState.UNREVIEWED and again.approvers == ("bob@example.com",)
    assert "same person as bob@example.com" in again.evidence[-1].detail
    done = judge(merged, policy=TWO, recorded=(CAROL,))
    assert done.reviewed and done.approvers == ("bob@example.com", CAROL.approver)
    assert [e.source for e in done.evidence if e.counts] == ["git", "recorded"]
    assert done.rules == TWO.rules


def test_authors_approvals_count_only_when_the_policy_allows_it() -> None:
    own = change(review=git_review([]), actor="alice@example.com")
    by_author = (RecordedApproval("Alice Ops", "mine"),)
    status = judge(replace(own, provenance={**own.provenance, "git": {
        **own.provenance["git"], "author": {"name": "Alice Ops", "email": "alice@example.com",
                                            "time": T0.isoformat()}}}), recorded=by_author)
    assert status.state is ReviewState.SELF_APPROVED
    assert "the author: does not count" in status.evidence[0].detail
    lenient = ReviewPolicy(author_may_approve=True, rules=("trusted",))
    assert judge(own, policy=lenient, recorded=(RecordedApproval("alice", "ok"),)).reviewed


def test_a_merge_commits_author_is_the_merger_not_an_author() -> None:
    merged = change(review=git_review(["bob@example.com"]), actor="alice@example.com")
    git = {"commit": "m1", "parents": ["p1", "p2"],
           "author": {"name": "Bob Review", "email": "bob@example.com", "time": T0.isoformat()}}
    status = judge(replace(merged, provenance={**merged.provenance, "git": git}))
    assert status.reviewed and status.approvers == ("bob@example.com",)


def test_zero_required_approvals_is_reviewed() -> None:
    status = judge(change(Origin.LIVE, actor=None), policy=ReviewPolicy(approvals=0,
                                                                        rules=("sandbox",)))
    assert status.reviewed and "rule sandbox requires no approval" in status.reason


def test_a_retro_review_clears_an_emergency_even_when_overdue() -> None:
    urgent = change(review=git_review([], emergency=True))
    late = T0 + 2 * WINDOW
    assert judge(urgent, now=late).state is ReviewState.EMERGENCY_OVERDUE
    retro = RecordedApproval("bob@example.com", "restore checked", kind="retro-review")
    cleared = judge(urgent, now=late, recorded=(retro,))
    assert cleared.reviewed and "retro-reviewed by bob@example.com" in cleared.reason
    assert "retro-review recorded" in cleared.evidence[0].detail
    assert is_emergency(urgent) and not is_emergency(change(review=git_review([])))


def test_the_policy_window_replaces_the_default_only_when_a_rule_sets_it() -> None:
    urgent = change(review=git_review([], emergency=True))
    at = T0 + timedelta(hours=3)
    short = ReviewPolicy(explicit_window=timedelta(hours=2), rules=("tight",))
    overdue = judge(urgent, policy=short, now=at)
    assert overdue.state is ReviewState.EMERGENCY_OVERDUE and overdue.due == T0 + timedelta(hours=2)
    unset = ReviewPolicy(emergency_window=timedelta(hours=1), rules=("loose",))
    assert judge(urgent, policy=unset, now=at).due == T0 + WINDOW


def test_baseline_replaces_every_status_but_reviewed() -> None:
    added = change(Origin.LIVE, actor=None)
    status = judge(added, baseline=True)
    assert status.state is ReviewState.BASELINE and status.baseline
    assert "first snapshot of s" in status.reason and "otherwise out-of-band" in status.reason
    urgent = judge(change(review=git_review([], emergency=True)), baseline=True)
    assert urgent.state is ReviewState.BASELINE and urgent.due is None
    assert judge(change(review=git_review(["bob@example.com"])), baseline=True).reviewed


def test_live_change_with_recorded_approvals_is_reviewed() -> None:
    console = change(Origin.LIVE, actor="arn:aws:sts::123456789012:assumed-role/AdminSSO/jane",
                     via="console")
    assert judge(console, recorded=(BOB,)).reviewed
    partial = judge(console, policy=TWO, recorded=(BOB,))
    assert partial.state is ReviewState.OUT_OF_BAND and "1 of 2" in partial.reason
    state = change(Origin.STATE, actor=None)
    assert judge(state, recorded=(BOB,)).reviewed


def test_cloudtrail_session_issuer_that_deploys_counts_as_the_deploy_principal() -> None:
    actor = "arn:aws:sts::123456789012:assumed-role/terraform-deploy/run-7"
    issuer = "arn:aws:iam::123456789012:role/ci/terraform-deploy"
    for provenance in ({"session_issuer": issuer},
                       {"cloudtrail": {"session_issuer": issuer}}):
        live = replace(change(Origin.LIVE, actor="AROAEXAMPLE:run-7", via="terraform"),
                       provenance={"event_id": "e1", **provenance})
        status = judge(live)
        assert status.reviewed and status.evidence[0].source == "deploy-principal"
    by_role_arn = review_status(
        replace(change(Origin.LIVE, actor=actor), provenance={"session_issuer": issuer}),
        now=T0, emergency_window=WINDOW, applied_addresses=(),
        deploy_principals=("arn:aws:iam::*:role/ci/terraform-deploy",))
    assert by_role_arn.reviewed
    other = replace(change(Origin.LIVE, actor="arn:aws:sts::123456789012:assumed-role/Admin/x"),
                    provenance={"session_issuer": "arn:aws:iam::123456789012:role/Admin"})
    assert judge(other).state is ReviewState.OUT_OF_BAND


def test_the_cloudtrail_session_name_is_an_author_identity() -> None:
    live = replace(change(Origin.LIVE, actor="AROAEXAMPLEID:jane", via="console"),
                   provenance={"session_name": "jane", "session_issuer": None})
    assert authors_of(live) == ["AROAEXAMPLEID:jane", "jane"]
    assert same_person("Jane", author_identity(live))
    assert not same_person("bob", author_identity(live))
    assert judge(live, recorded=(RecordedApproval("jane@example.com", "mine"),)).state \
        is ReviewState.OUT_OF_BAND
