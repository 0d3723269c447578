"""Time to effect in bins, the version lineage at a degradation, recency after it began."""

from __future__ import annotations

from datetime import timedelta

from auditd.correlate.features import LAG_BINS
from auditd.correlate.ranker import Scored, score_candidates
from auditd.correlate.scoring import default_weights
from tests.unit.correlate.builders import change, incident, series, shop, telemetry


def scored(changes: list, *groups: list) -> Scored:  # type: ignore[type-arg]
    return score_candidates(incident(), changes, shop(), telemetry(*groups),
                            window=timedelta(hours=6), weights=default_weights())


def by_ref(result: Scored) -> dict[str, object]:
    return {f.candidate.ref.removeprefix("ci:"): f for f in result.facts}


def test_time_to_effect_falls_in_a_learned_bin() -> None:
    """checkout degrades 5 min before onset; its changes came 6, 10, 50, 130 and 300 min before."""
    changes = [change(f"c{m}", m, kind="config") for m in (6, 10, 50, 130, 300)]
    facts = by_ref(scored(changes, series("checkout", start_min=400, steps=((5, 10.0, None),)),
                          series("payments", start_min=400, seed=2)))
    names = {ref: {n for n in f.values if n.startswith("own_lag")}  # type: ignore[attr-defined]
             for ref, f in facts.items()}
    assert names == {"c6": set(), "c10": {"own_lag_3_15m"}, "c50": {"own_lag_15_60m"},
                     "c130": {"own_lag_1_3h"}, "c300": {"own_lag_3h_plus"}}
    assert [b[0] for b in LAG_BINS] == ["own_lag_3_15m", "own_lag_15_60m", "own_lag_1_3h",
                                        "own_lag_3h_plus"]
    coef = default_weights().coef  # fitted: a fault that shows 3-15 min late is unlikely
    assert coef["own_lag_3_15m"] < 0 < coef["own_lag_15_60m"]


def test_the_first_degraded_version_names_the_deploy_that_brought_the_fault() -> None:
    """v2 (60 min ago, instance 2) brought a latent fault that v3 (30 min, instance 3) carries;
    instances 0-1 stay on v1 and healthy.  v3's deploy did not bring it: v2 is older and bad."""
    v2 = change("v2", 60, version="v2", previous_version="v1")
    v3 = change("v3", 30, version="v3", previous_version="v2")
    tel = series("checkout", versions={2: (60, "v2"), 3: (30, "v3")},
                 steps=((5, 12.0, "v2"), (5, 12.0, "v3")))
    facts = by_ref(scored([v2, v3], tel, series("payments", seed=2)))
    assert facts["v2"].first_bad == "v1" and facts["v2"].older_bad is None  # type: ignore[attr-defined]
    assert facts["v3"].older_bad == "v2" and facts["v3"].first_bad is None  # type: ignore[attr-defined]
    assert facts["v2"].values["first_bad_version"] == 1.0  # type: ignore[attr-defined]
    assert facts["v3"].values["older_version_bad"] == 1.0  # type: ignore[attr-defined]


def test_a_fault_on_every_version_clears_the_deploy() -> None:
    v2 = change("v2", 60, version="v2", previous_version="v1")
    tel = series("checkout", versions={2: (60, "v2")}, steps=((5, 12.0, None),))
    facts = by_ref(scored([v2], tel, series("payments", seed=2)))
    assert facts["v2"].older_bad == "v1"  # type: ignore[attr-defined]


def test_a_version_no_candidate_explains_is_not_taken_as_older() -> None:
    """v9 came from a deploy outside the candidates: it may be newer, so it clears nothing."""
    v2 = change("v2", 60, version="v2", previous_version="v1")
    tel = series("checkout", versions={2: (60, "v2"), 3: (20, "v9")},
                 steps=((5, 12.0, "v2"), (5, 12.0, "v9")))
    facts = by_ref(scored([v2], tel, series("payments", seed=2)))
    assert facts["v2"].older_bad is None  # type: ignore[attr-defined]
    assert facts["v2"].first_bad == "v1"  # type: ignore[attr-defined]


def test_recency_after_the_degradation_began_has_its_own_weights() -> None:
    late = change("late-cfg", 1, kind="config")
    early = change("early-cfg", 8, kind="config")
    facts = by_ref(scored([late, early], series("checkout", steps=((5, 10.0, None),)),
                          series("payments", seed=2)))
    late_values = facts["late-cfg"].values  # type: ignore[attr-defined]
    assert "t_10m" not in late_values and late_values["late_t_10m"] > 0.9
    assert "late_t_10m" not in facts["early-cfg"].values  # type: ignore[attr-defined]


def test_time_to_onset_is_binned_only_where_no_degradation_start_is_seen() -> None:
    """Without telemetry the onset bins stand in; with a degradation seen they stay out."""
    changes = [change(f"c{m}", m, kind="config") for m in (0.5, 2, 4, 8, 15, 40)]
    blind = by_ref(scored(changes))
    onset_bins = {ref: {n for n in f.values if n.startswith("onset_")}  # type: ignore[attr-defined]
                  for ref, f in blind.items()}
    assert onset_bins == {"c0.5": {"onset_0_1m"}, "c2": {"onset_1_3m"}, "c4": {"onset_3_6m"},
                          "c8": {"onset_6_10m"}, "c15": {"onset_10_20m"}, "c40": set()}
    seen = by_ref(scored(changes, series("checkout", steps=((5, 10.0, None),))))
    assert not any(n.startswith("onset_") for f in seen.values()
                   for n in f.values)  # type: ignore[attr-defined]
    coef = default_weights().coef  # fitted: an alert within a minute of a change is unlikely
    assert coef["onset_0_1m"] < coef["onset_3_6m"]
