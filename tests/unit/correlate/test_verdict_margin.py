"""The verdict margin: how much the top suspect must beat "no change" before it is blamed."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import timedelta

import pytest

from auditd.correlate.evaluate import Outcome, choose_margin, outcome, tradeoff
from auditd.correlate.ranker import rank_suspects
from auditd.correlate.scoring import Weights, blames, default_weights
from tests.unit.correlate.builders import change, incident, series, shop, telemetry


def test_blame_needs_the_log_odds_to_reach_the_margin() -> None:
    assert blames(0.5, 0.5) and not blames(0.5, 0.5, 0.1)
    assert blames(0.8, 0.2, 1.3) and not blames(0.8, 0.2, 1.5)  # log 4 = 1.39
    assert not blames(0.0, 0.0) and blames(0.1, 0.0, 5.0)
    assert not outcome(["a"], [0.6], 0.4, None, margin=0.5).blamed
    assert outcome(["a"], [0.6], 0.4, None).blamed


def test_the_margin_trades_false_blame_for_found_causes() -> None:
    clean = [Outcome(False, None, True, False, 0.0, 1 - p, p) for p in (0.55, 0.65, 0.9)]
    causal = [Outcome(True, 1, True, True, 0.0, 1 - p, p) for p in (0.6, 0.95)]
    rows = tradeoff([*clean, *causal], (0.0, 0.5, 2.5))
    assert [r[1] for r in rows] == pytest.approx([1.0, 2 / 3, 0.0])
    assert [r[2] for r in rows] == pytest.approx([1.0, 0.5, 0.5])
    assert choose_margin([*clean, *causal], 0.5) == pytest.approx(0.7)  # log(0.65/0.35) = 0.62
    assert choose_margin([*clean, *causal], 0.0, (0.0, 1.0)) == 1.0  # the largest if none meets


def test_the_margin_is_data_and_sets_the_verdict() -> None:
    weights = default_weights()
    document = weights.to_dict()
    assert Weights.from_dict(json.loads(json.dumps(document))).verdict_margin == \
        pytest.approx(weights.verdict_margin, abs=1e-6)
    older = {k: v for k, v in document.items() if k != "verdict"}
    assert Weights.from_dict(older).verdict_margin == 0.0
    tel = telemetry(series("checkout", steps=((3, 10.0, None),)), series("payments", seed=2))
    args = (incident(), [change("co", 4)], shop(), tel)
    plain = rank_suspects(*args, weights=replace(weights, verdict_margin=0.0),
                          window=timedelta(hours=6))
    strict = rank_suspects(*args, weights=replace(weights, verdict_margin=50.0),
                           window=timedelta(hours=6))
    assert plain.verdict == "change" and strict.verdict == "no-change"
    assert strict.suspects[0].probability == plain.suspects[0].probability
