"""Weights are data fitted by the harness; the synthetic set and the metrics behave."""

from __future__ import annotations

import json
import random
from datetime import timedelta

import pytest

from auditd.correlate.candidates import candidate_from_change
from auditd.correlate.evaluate import baseline_outcome, outcome, summarize
from auditd.correlate.features import FEATURES
from auditd.correlate.fit import Example, fit_weights
from auditd.correlate.ranker import rank_suspects
from auditd.correlate.scoring import Weights, default_weights, softmax_with_null
from auditd.correlate.synth import SynthConfig, generate
from auditd.model import Change, ChangeKind, FieldChange, Origin, ResourceKey
from tests.unit.correlate.builders import ONSET, change, incident


def test_packaged_weights_are_fitted_data_covering_every_feature() -> None:
    weights = default_weights()
    assert weights.meta.get("fitted_by") == "bench/correlation_eval.py --fit"
    assert set(weights.coef) == set(FEATURES)
    again = Weights.from_dict(json.loads(json.dumps(weights.to_dict())))
    assert again.coef == pytest.approx(weights.coef, abs=1e-6)
    with pytest.raises(ValueError, match="refit"):
        Weights.from_dict({**weights.to_dict(), "coef": {"mystery": 1.0}})


def test_fit_learns_which_feature_marks_the_cause() -> None:
    rng = random.Random(3)
    examples = []
    for n in range(120):
        rows = [{"t_10m": rng.random(), "same_service": float(rng.random() < 0.3)}
                for _ in range(6)]
        if n % 2:
            rows[2]["gap"] = 1.0
            examples.append(Example(rows, 2))
        else:
            examples.append(Example(rows, None))
    weights = fit_weights(examples, l2=0.1)
    assert weights.coef["gap"] > 2 > abs(weights.coef["same_service"])
    probs, null = softmax_with_null([weights.score(r) for r in examples[0].rows],
                                    weights.null_score(6))
    assert null > max(probs)  # no gap anywhere: "no change" wins


def test_metrics_and_baselines() -> None:
    hit = outcome(["a", "b"], [0.7, 0.2], 0.1, "a")
    assert (hit.rank, hit.correct, hit.blamed) == (1, True, True)
    assert hit.brier == pytest.approx(0.3**2 + 0.2**2 + 0.1**2)
    miss = outcome(["a"], [0.4], 0.6, None)
    assert miss.correct and not miss.blamed
    summary = summarize([hit, miss, outcome(["b", "a"], [0.5, 0.3], 0.2, "a")])
    assert (summary.top1, summary.top3, summary.mrr) == (0.5, 1.0, 0.75)
    assert summary.false_blame == 0.0
    recent = baseline_outcome([change("old", 30), change("new", 2)], ONSET, "ci:old")
    assert recent.rank == 2 and recent.blamed


def test_ranker_beats_the_most_recent_baseline_on_a_small_synthetic_set() -> None:
    cases = generate(SynthConfig(incidents=40), 2024)
    assert 0.3 < sum(c.cause is not None for c in cases) / len(cases) < 0.7
    ours, recent = [], []
    for case in cases:
        report = rank_suspects(case.incident, case.candidates, case.model, case.telemetry,
                               alert_text=case.alert_text, max_suspects=1000)
        ours.append(outcome([s.candidate.ref for s in report.suspects],
                            [s.probability for s in report.suspects], report.p_no_change,
                            case.cause))
        window = [c for c in case.candidates if c.started_at >= case.incident.onset
                  - timedelta(hours=6)]
        recent.append(baseline_outcome(window, case.incident.onset, case.cause))
    assert summarize(ours).top1 > summarize(recent).top1 + 0.4
    assert summarize(ours).false_blame < 0.3


def test_store_changes_become_candidates() -> None:
    stored = Change(key=ResourceKey("aws", "aws_db_instance", "db-1", "111", "eu-west-1"),
                    kind=ChangeKind.MODIFIED, scope="aws/111", origin=Origin.LIVE,
                    observed_at=ONSET - timedelta(minutes=3), before_hash="h1", after_hash="h2",
                    fields=(FieldChange("instance_class", "changed", "a", "b"),), actor="bob",
                    via="console", id=42)
    candidate = candidate_from_change(stored, services=("ledger",))
    assert candidate.ref == "change:42" and candidate.out_of_band and candidate.drift
    assert candidate.stateful and candidate.previous_version == "h1"
    assert "instance_class" in candidate.summary
    report = rank_suspects(incident("ledger"), [candidate], None)
    assert report.hint is not None and report.hint.action == "hotfix"


def test_fit_learns_the_no_change_evidence_of_the_incident() -> None:
    """Blind incidents here are mostly not caused by a change: the null option learns it."""
    rng = random.Random(4)
    examples = []
    for n in range(160):
        blind = n % 2 == 0
        rows = [{"t_10m": rng.random()} for _ in range(5)]
        caused = rng.random() < (0.2 if blind else 0.8)
        null = {"null_blind": 1.0} if blind else {}
        examples.append(Example(rows, rng.randrange(5) if caused else None, null))
    weights = fit_weights(examples, l2=0.1)
    assert weights.null_coef["null_blind"] > 1.5
    _, seen = softmax_with_null([0.0] * 5, weights.null_score(5))
    _, blind = softmax_with_null([0.0] * 5, weights.null_score(5, {"null_blind": 1.0}))
    assert blind > 0.7 and seen < 0.3
