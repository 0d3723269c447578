"""The ranker end to end: signals, direction, explaining away, bad input, the JSON contract."""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import datetime, timedelta

from auditd.correlate.ranker import rank_suspects
from auditd.correlate.report import SCHEMA
from auditd.correlate.timeseries import Series
from auditd.correlate.topology import ServiceModel
from auditd.errors import SourceUnavailable
from auditd.model import Incident
from tests.unit.correlate.builders import ONSET, change, incident, series, shop, telemetry


def refs(report: object) -> list[str]:
    return [s.candidate.ref for s in report.suspects]  # type: ignore[attr-defined]


def test_callee_change_whose_new_version_fails_beats_a_more_recent_caller_change() -> None:
    cause = change("pay-v7", 12, "payments", version="v7", previous_version="v6",
                   rollout=0.5, finished_at=None)
    recent = change("checkout-cfg", 2, "checkout", kind="config")
    other = change("search", 1, "search")  # not called by checkout: excluded
    half = {0: (12, "v7"), 1: (11, "v7")}
    tel = telemetry(
        series("payments", versions=half, steps=((12, 30.0, "v7"),)),
        series("checkout", steps=((11, 8.0, None),), seed=2),
    )
    report = rank_suspects(incident(), [other, recent, cause], shop(), tel)
    assert refs(report) == ["ci:pay-v7", "ci:checkout-cfg"]
    assert report.verdict == "change" and report.suspects[0].probability > report.p_no_change
    codes = {r.code for r in report.suspects[0].reasons}
    assert {"time.before_onset", "topology.callee", "telemetry.version_gap"} <= codes
    gap = next(r for r in report.suspects[0].reasons if r.code == "telemetry.version_gap")
    assert "v7 instances" in gap.text and gap.value is not None and gap.value > 4
    excluded = {e.candidate.ref: e.reason for e in report.exclusions}
    assert excluded == {"ci:search": "no-path"}


def test_a_callers_change_cannot_be_the_cause_of_its_callees_incident() -> None:
    report = rank_suspects(incident("payments"), [change("web", 3, "web")], shop())
    assert report.verdict == "no-candidates"
    assert "caller does not break its callee" in report.exclusions[0].text


def test_callers_degradation_is_explained_away_by_a_failing_callee() -> None:
    caller = change("checkout-deploy", 8, "checkout", kind="config")
    callee = change("payments-flag", 9, "payments", kind="feature-flag")
    tel = telemetry(series("payments", steps=((9, 20.0, None),)),
                    series("checkout", steps=((8.5, 6.0, None),), seed=3))
    report = rank_suspects(incident(), [caller, callee], shop(), tel)
    assert refs(report)[0] == "ci:payments-flag"
    caller_reasons = {r.code for r in report.suspects[1].reasons}
    assert "telemetry.explained_away" in caller_reasons


def test_no_candidates_answers_with_the_window() -> None:
    report = rank_suspects(incident(), [], shop(), window=timedelta(hours=2))
    assert report.verdict == "no-candidates"
    assert report.message.startswith("no change found in window 2026-11-26T08:00:00Z")
    assert report.to_dict()["window"] == {"start": "2026-11-26T08:00:00Z",
                                          "end": "2026-11-26T10:00:00Z", "seconds": 7200}


def test_onset_before_every_change() -> None:
    later = [change("a", -5), change("b", -60)]
    report = rank_suspects(incident(), later, shop())
    assert report.verdict == "no-candidates"
    assert [e.reason for e in report.exclusions] == ["after-onset", "after-onset"]
    assert report.exclusions[0].text == "started 5 min after onset"
    assert report.hint is None


def test_empty_window_and_old_changes() -> None:
    report = rank_suspects(incident(), [change("a", 5)], shop(), window=timedelta(0))
    assert report.verdict == "no-candidates"
    assert any("window is empty" in m.text for m in report.missing)
    old = rank_suspects(incident(), [change("old", 600, finished_at=None)], shop())
    assert old.exclusions[0].reason == "before-window"
    rolling = rank_suspects(incident(), [change("slow", 600, finished_at=None, rollout=0.3)],
                            shop())
    assert refs(rolling) == ["ci:slow"]  # still rolling out at onset: a candidate


def test_services_not_in_the_model_and_duplicates_and_naive_times() -> None:
    naive = change("naive", 5).started_at.replace(tzinfo=None)
    candidates = [change("x", 5, "billing"), change("dup", 6), change("dup", 6, finished_at=ONSET),
                  change("naive", 5, started_at=naive)]
    report = rank_suspects(incident("checkout"), candidates, shop())
    assert set(refs(report)) == {"ci:x", "ci:dup", "ci:naive"}
    texts = " | ".join(m.text for m in report.missing)
    assert "not in the service model: billing" in texts
    assert "start time has no time zone; read as UTC" in texts
    assert [e.reason for e in report.exclusions] == ["duplicate"]
    unknown = rank_suspects(incident("nowhere"), [change("a", 5)], shop())
    assert any("incident service nowhere" in m.text for m in unknown.missing)
    bare = rank_suspects(Incident("I", ONSET.replace(tzinfo=None)), [change("a", 5)], None)
    assert refs(bare) == ["ci:a"] and any("no service model" in m.text for m in bare.missing)


class Broken:
    def series(self, service: str, start: datetime, end: datetime) -> Sequence[Series]:
        raise SourceUnavailable("Prometheus http://p:9090 unreachable: refused")


def test_telemetry_failures_gaps_and_nan_become_notes() -> None:
    report = rank_suspects(incident(), [change("a", 5)], shop(), Broken())
    assert any("unreachable: refused" in m.text for m in report.missing)
    gappy = telemetry(series("checkout", nan_every=7, steps=((4, 5.0, None),)))
    report = rank_suspects(incident(), [change("a", 5)], shop(), gappy)
    assert any("NaN/infinite point(s) ignored" in m.text for m in report.missing)
    assert any(m.text.startswith("no series for") and "payments" in m.text
               for m in report.missing)
    assert refs(report) == ["ci:a"]


def test_json_contract() -> None:
    report = rank_suspects(incident(), [change("a", 5, previous_version="v1")], shop(),
                           alert_text=["deploy", "a"])
    document = json.loads(json.dumps(report.to_dict()))
    assert document["schema"] == SCHEMA
    assert set(document) == {"schema", "incident", "window", "verdict", "message", "p_no_change",
                             "suspects", "candidates_total", "exclusions", "exclusions_total",
                             "exclusions_by_reason", "missing", "hint", "model"}
    suspect = document["suspects"][0]
    assert set(suspect) == {"rank", "probability", "score", "change", "reasons"}
    assert set(suspect["reasons"][0]) == {"code", "text", "value", "unit", "weight"}
    assert abs(sum(s["probability"] for s in document["suspects"]) + document["p_no_change"]
               - 1) < 1e-3
    assert document["hint"]["action"] == "rollback" and document["hint"]["previous"] == "v1"


def test_rollback_or_hotfix_hints() -> None:
    def hint(**extra: object) -> str:
        report = rank_suspects(incident(), [change("a", 5, **extra)], ServiceModel(()))
        assert report.hint is not None
        return report.hint.action

    assert hint(kind="migration", stateful=True) == "hotfix"
    assert hint(rollout=0.25, previous_version="v1") == "halt-and-rollback"
    assert hint(kind="feature-flag", finished_at=ONSET - timedelta(minutes=4)) == "revert-flag"
    assert hint(finished_at=ONSET - timedelta(minutes=4)) == "investigate"
    report = rank_suspects(incident(), [change("a", 9, previous_version="v1",
                                               finished_at=ONSET), change("b", 3)], shop())
    assert report.hint is not None
    if report.hint.ref == "ci:a":
        assert report.hint.later_changes == ("ci:b",)
