"""Reasoning across candidates: order on a degraded service, unseen callees, no-change evidence."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest

from auditd.correlate.across import NULL_VALUES
from auditd.correlate.evidence import ServiceTelemetry
from auditd.correlate.ranker import rank_suspects, score_candidates
from auditd.correlate.scoring import Weights, default_weights
from tests.unit.correlate.builders import ONSET, before, change, incident, series, shop, telemetry


def chip(report: object, ref: str, code: str) -> object:
    suspect = next(s for s in report.suspects if s.candidate.ref == ref)  # type: ignore[attr-defined]
    return next((r for r in suspect.reasons if r.code == code), None)


def test_version_gap_compares_with_the_replaced_version_not_a_later_one_sharing_the_fault() -> None:
    # i-0, i-1 stay on v1; i-2 runs v2 (faulty) from 60 min; i-3 runs v3, built on v2, from 40 min.
    table = ServiceTelemetry("pay", series("pay", versions={2: (60, "v2"), 3: (40, "v3")},
                                           steps=((60, 12.0, "v2"), (40, 12.0, "v3"))))
    start, end = before(30).timestamp(), ONSET.timestamp()
    against_v1 = table.versions(start, end, "v2", "v1")
    against_all = table.versions(start, end, "v2")
    assert against_v1 is not None and against_all is not None
    assert against_v1.new > 8 * against_v1.old  # v2 against the v1 it replaced
    assert against_v1.z > 2 * against_all.z  # v3 shares the fault: a poor baseline
    assert table.versions(start, end, "v2", "v9") == against_all  # v9 absent: all others


def test_the_last_change_before_a_service_degraded_gets_the_credit() -> None:
    """A latent fault: payments degrades 5 min before onset, long after its changes (both
    in the same time-to-effect bin, 15-60 min, so the order decides)."""
    first = change("pay-cfg-1", 50, "payments", kind="config")
    last = change("pay-cfg-2", 30, "payments", kind="config")
    after = change("pay-cfg-3", 2, "payments", kind="config")  # payments already degrading
    tel = telemetry(series("payments", start_min=240, steps=((5, 15.0, None),)),
                    series("checkout", start_min=240, steps=((4, 6.0, None),), seed=2),
                    series("ledger", start_min=240, seed=3))
    report = rank_suspects(incident(), [first, last, after], shop(), tel)
    order = [s.candidate.ref for s in report.suspects]
    assert order.index("ci:pay-cfg-2") < order.index("ci:pay-cfg-1")
    latest = chip(report, "ci:pay-cfg-2", "telemetry.latest_before_degradation")
    earlier = chip(report, "ci:pay-cfg-1", "telemetry.latest_before_degradation")
    assert latest is not None and latest.value == 0  # type: ignore[attr-defined]
    assert "the last change on payments" in latest.text  # type: ignore[attr-defined]
    assert earlier is not None and earlier.value == 1  # type: ignore[attr-defined]
    assert "1 other change on payments" in earlier.text  # type: ignore[attr-defined]
    # (the chip's fitted weight is near 0 since the time-to-effect bins carry the timing)
    assert chip(report, "ci:pay-cfg-3", "telemetry.latest_before_degradation") is None


def test_a_step_already_under_way_when_the_change_came_is_not_its_evidence() -> None:
    """payments began degrading 5 min before onset; a change 2 min before gets no step credit."""
    after = change("pay-cfg-3", 2, "payments", kind="config")
    tel = telemetry(series("payments", steps=((5, 15.0, None),)),
                    series("checkout", steps=((4, 6.0, None),), seed=2), series("ledger", seed=3))
    report = rank_suspects(incident(), [after], shop(), tel)
    codes = {r.code for r in report.suspects[0].reasons}
    assert "telemetry.own_after" in codes
    assert not codes & {"telemetry.step", "telemetry.no_step"}


def test_a_changed_callee_without_telemetry_below_the_origin_is_named() -> None:
    """checkout and payments degrade, ledger (called by payments) has no series at all."""
    hidden = change("ledger-migration", 6, "ledger", kind="migration")
    tel = telemetry(series("payments", steps=((5, 15.0, None),)),
                    series("checkout", steps=((4, 6.0, None),), seed=2))
    report = rank_suspects(incident(), [hidden], shop(), tel)
    unseen = chip(report, "ci:ledger-migration", "topology.unseen_below_origin")
    assert unseen is not None and unseen.value == 1  # type: ignore[attr-defined]
    assert unseen.text.startswith("payments, where the degradation started, calls ledger")  # type: ignore[attr-defined]


def test_no_change_evidence_of_the_incident() -> None:
    benign = change("search-cfg", 20, "payments", kind="config", started_at=before(20))
    blind = score_candidates(incident(), [benign], shop(), None, window=timedelta(hours=6),
                             weights=default_weights())
    assert blind.null_values == {"null_blind": 1.0}
    origin_unchanged = telemetry(series("payments", steps=((5, 15.0, None),)),
                                 series("checkout", steps=((4, 6.0, None),), seed=2),
                                 series("ledger", seed=3))
    checkout_change = change("checkout-cfg", 20, "checkout", kind="config")
    seen = score_candidates(incident(), [checkout_change], shop(), origin_unchanged,
                            window=timedelta(hours=6), weights=default_weights())
    assert seen.context.origin == "payments"
    assert seen.null_values == {"null_origin_unchanged": 1.0}
    on_origin = score_candidates(incident(), [change("pay-flag", 5.5, "payments")], shop(),
                                 origin_unchanged, window=timedelta(hours=6),
                                 weights=default_weights())
    assert on_origin.null_values == {}
    quiet = score_candidates(incident(), [checkout_change], shop(),
                             telemetry(series("checkout"), series("payments", seed=4)),
                             window=timedelta(hours=6), weights=default_weights())
    assert quiet.null_values == {"null_quiet": 1.0}


def test_null_weights_are_data_and_move_p_no_change() -> None:
    weights = default_weights()
    assert set(weights.null_coef) == set(NULL_VALUES)
    document = json.loads(json.dumps(weights.to_dict()))
    assert Weights.from_dict(document).null_coef == pytest.approx(weights.null_coef, abs=1e-6)
    with pytest.raises(ValueError, match="refit"):
        Weights.from_dict({**document, "null": {**document["null"], "mystery": 1.0}})
    blind = weights.null_score(3, {"null_blind": 1.0}) - weights.null_score(3)
    assert blind == pytest.approx(weights.null_coef["null_blind"])


def test_timing_gets_its_own_weight_when_the_incident_has_no_telemetry() -> None:
    recent = change("checkout-cfg", 3, "checkout", kind="config")
    blind = score_candidates(incident(), [recent], shop(), None, window=timedelta(hours=6),
                             weights=default_weights())
    values = blind.facts[0].values
    assert values["blind_t_10m"] == values["t_10m"] > 0.7
    assert values["blind_same_service"] == 1.0
    seen = score_candidates(incident(), [recent], shop(), telemetry(series("checkout")),
                            window=timedelta(hours=6), weights=default_weights())
    assert "blind_t_10m" not in seen.facts[0].values


def test_a_callee_that_degraded_first_explains_its_callers_trouble() -> None:
    """ledger fails first; payments (its caller) and checkout follow a minute apart each."""
    on_payments = change("pay-cfg", 8.5, "payments", kind="config")
    on_ledger = change("ledger-flag", 9.5, "ledger", kind="feature-flag")
    tel = telemetry(series("ledger", steps=((9, 20.0, None),), seed=5),
                    series("payments", steps=((8, 10.0, None),), seed=6),
                    series("checkout", steps=((7, 6.0, None),), seed=7))
    report = rank_suspects(incident(), [on_payments, on_ledger], shop(), tel)
    assert report.suspects[0].candidate.ref == "ci:ledger-flag"
    below = chip(report, "ci:pay-cfg", "telemetry.callee_degraded_first")
    assert below is not None and below.value == 1.0  # type: ignore[attr-defined]
    assert below.text.startswith("ledger, which payments calls, began degrading 1 min")  # type: ignore[attr-defined]
    assert chip(report, "ci:pay-cfg", "telemetry.step") is None


def test_a_callee_that_degraded_later_is_not_the_origin() -> None:
    tel = telemetry(series("checkout", steps=((6, 10.0, None),), seed=8),
                    series("payments", steps=((3, 10.0, None),), seed=9), series("ledger"))
    scored = score_candidates(incident(), [change("co", 7)], shop(), tel,
                              window=timedelta(hours=6), weights=default_weights())
    assert set(scored.context.degraded) == {"checkout", "payments"}
    assert scored.context.origin == "checkout"
