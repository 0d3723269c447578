"""The false-missing guard: an incomplete live scope never yields ``missing``."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from auditd.diff.drift import compute_drift
from auditd.diff.drift_inputs import DriftInput, LiveCoverage, Stack, live_authority
from auditd.model import DriftKind, Resource, ScopeSelector, Snapshot, SnapshotError
from tests.helpers import T0
from tests.unit.drift.builders import state

ACCOUNTS = ("111111111111", "222222222222")
REGIONS = ("eu-west-1", "us-east-1", "global")
TYPES = ("aws_security_group", "aws_s3_bucket", "aws_iam_role")

keys = st.tuples(st.sampled_from(ACCOUNTS), st.sampled_from(REGIONS), st.sampled_from(TYPES),
                 st.integers(0, 5))
selectors = st.builds(ScopeSelector, account=st.sampled_from(("", *ACCOUNTS)),
                      region=st.sampled_from(("", *REGIONS)), tf_type=st.sampled_from(("", *TYPES)))


def _applied(specs: set[tuple[str, str, str, int]]) -> list[Resource]:
    return [state(f"id-{n}", f"{t}.r{n}_{a}_{r}", {"name": str(n)}, tf_type=t, account=a,
                  region=r) for a, r, t, n in sorted(specs)]


@settings(max_examples=150, deadline=None)
@given(specs=st.sets(keys, max_size=25), failed=st.lists(selectors, min_size=1, max_size=3),
       live_share=st.floats(0, 1))
def test_no_missing_inside_a_failed_selector(specs: set[tuple[str, str, str, int]],
                                             failed: list[ScopeSelector],
                                             live_share: float) -> None:
    applied = _applied(specs)
    seen = applied[: int(len(applied) * live_share)]
    snapshot = Snapshot("aws/all", T0, tuple(seen), complete=False,
                        errors=tuple(SnapshotError("throttled", s) for s in failed))
    inp = DriftInput(live=seen, stacks=[Stack("s", applied)], observed_at=T0,
                     live_authoritative=live_authority([LiveCoverage(snapshot)]))
    missing = [d.finding.key for d in compute_drift(inp).drifts
               if d.finding.kind is DriftKind.MISSING]
    for key in missing:
        assert not any(s.matches(key) for s in failed), key
    outside = {r.key for r in applied[len(seen):] if not any(s.matches(r.key) for s in failed)}
    assert set(missing) == outside


@settings(max_examples=50, deadline=None)
@given(specs=st.sets(keys, max_size=15))
def test_unscoped_error_or_uncovered_type_never_yields_missing(
        specs: set[tuple[str, str, str, int]]) -> None:
    applied = _applied(specs)
    broken = Snapshot("aws/all", T0, (), complete=False, errors=(SnapshotError("down"),))
    whole = Snapshot("aws/all", T0, ())
    for cover in (LiveCoverage(broken), LiveCoverage(whole, types=frozenset({"aws_lambda"}))):
        inp = DriftInput(live=[], stacks=[Stack("s", applied)], observed_at=T0,
                         live_authoritative=live_authority([cover]))
        assert not [d for d in compute_drift(inp).drifts if d.finding.kind is DriftKind.MISSING]


SG = ScopeSelector(account=ACCOUNTS[0], region="eu-west-1", tf_type="aws_security_group")


def _targeted(taken: int) -> Snapshot:
    """A CloudTrail re-collect of one part: every other part says it was not looked at."""
    others = [ScopeSelector(account=ACCOUNTS[0], region="eu-west-1", tf_type="aws_s3_bucket")]
    return Snapshot("aws/a", T0.replace(minute=taken), (), complete=False,
                    errors=tuple(SnapshotError("not read", s, kind="not-looked-at")
                                 for s in others))


def test_a_part_is_judged_by_the_newest_snapshot_that_looked_at_it() -> None:
    from tests.helpers import key

    group = key("aws_security_group", "sg-1", account=ACCOUNTS[0])
    bucket = key("aws_s3_bucket", "b-1", account=ACCOUNTS[0])
    full = Snapshot("aws/a", T0, ())
    denied = Snapshot("aws/a", T0, (), complete=False,
                      errors=(SnapshotError("denied", ScopeSelector(tf_type="aws_s3_bucket"),
                                            kind="access-denied"),))
    # the targeted run looked at the group (complete there): it decides for the group
    assert LiveCoverage(_targeted(5), earlier=(denied,)).covers(group)
    # the bucket was not looked at: the older full look decides, whatever it said
    assert LiveCoverage(_targeted(5), earlier=(full,)).covers(bucket)
    assert not LiveCoverage(_targeted(5), earlier=(denied,)).covers(bucket)
    # no snapshot that looked at the bucket: never authoritative
    assert not LiveCoverage(_targeted(5), earlier=(_targeted(1),)).covers(bucket)
    # a newest snapshot that looked and failed decides, even over an older full look
    assert not LiveCoverage(denied, earlier=(full,)).covers(bucket)
