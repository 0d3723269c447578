"""The miss breakdown puts each miss of the evaluation in the bucket of its cause."""

from __future__ import annotations

from auditd.correlate.evidence import Step
from auditd.correlate.features import Facts
from auditd.correlate.misses import (
    BLAME_BUCKETS,
    CAUSAL_BUCKETS,
    blame_bucket,
    miss_bucket,
    tabulate,
)
from tests.unit.correlate.builders import change, shop


def facts(ref: str, service: str, *, telemetry: bool = True, **extra: object) -> Facts:
    found = Facts(change(ref, 5, service), (service,), 5.0, None, False, has_telemetry=telemetry)
    for name, value in extra.items():
        setattr(found, name, value)
    return found


def test_causal_misses_by_relation_of_the_top_suspect_to_the_cause() -> None:
    model = shop()
    cause = facts("pay", "payments")

    def bucket(top: Facts, scenario: str = "cause:callee-1", seen: bool = True) -> str:
        return miss_bucket([top, cause], "ci:pay", scenario, model, seen).bucket

    assert bucket(facts("co", "checkout")) == "a caller of the cause's service ranked first"
    assert bucket(facts("led", "ledger")) == "a callee of the cause's service ranked first"
    assert bucket(facts("pay2", "payments")) == "another change on the cause's service"
    assert bucket(facts("s", "search")) == "a change on an unrelated service ranked first"
    assert bucket(facts("co", "checkout"), "cause:latent").startswith("latent cause")
    assert bucket(facts("co", "checkout"), seen=False) == "no telemetry for the incident"
    missing = miss_bucket([facts("co", "checkout")], "ci:pay", "cause:callee-1", model, True)
    assert missing.bucket == CAUSAL_BUCKETS[0] and missing.rank is None
    rows = tabulate([miss_bucket([facts("s", "search"), cause], "ci:pay", "x", model, True)], 4)
    assert rows == [(CAUSAL_BUCKETS[7], 1, 0.25, "deploy 1; 0 outside the top 3")]


def test_false_blames_by_the_evidence_of_the_blamed_change() -> None:
    assert blame_bucket(facts("a", "checkout"), has_telemetry=False) == BLAME_BUCKETS[0]
    assert blame_bucket(facts("a", "checkout", origin=True), True) == BLAME_BUCKETS[1]
    assert blame_bucket(facts("a", "checkout", lag_minutes=3.0), True) == BLAME_BUCKETS[2]
    stepped = facts("a", "checkout", step=Step("error_rate", 6.0, 0.01, 0.05))
    assert blame_bucket(stepped, True) == BLAME_BUCKETS[3]
    assert blame_bucket(facts("a", "checkout"), True) == BLAME_BUCKETS[4]
