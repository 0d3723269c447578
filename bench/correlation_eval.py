"""Evaluation harness for the change → incident ranker (issue 6, item 7).

    python bench/correlation_eval.py                 # score the packaged weights
    python bench/correlation_eval.py --fit           # fit on the training seed, write weights
    python bench/correlation_eval.py --cases DIR     # also score labelled cases from DIR

Synthetic data comes from :mod:`auditd.correlate.synth` (its docstring lists
every assumption).  Weights are fitted on ``--incidents`` cases of seed
``--seed`` and evaluated on as many cases of seed ``--seed + 1``: a different
service graph and different incidents, never seen by the fit.  Figures printed:
top-1, top-3, MRR, answer accuracy, false-blame rate, Brier score and a
reliability table, next to two baselines (most recent change; most recent on
the call path), plus the time to rank 10,000 candidates for one incident.
The case-directory format is in ``docs/correlation.md``.
"""

from __future__ import annotations

import argparse
import json
import random
import time
from collections import Counter
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

from auditd.correlate.candidates import candidate_from_event
from auditd.correlate.evaluate import (
    Outcome,
    Summary,
    baseline_outcome,
    choose_margin,
    outcome,
    summarize,
    tradeoff,
)
from auditd.correlate.events_in import parse_change_events
from auditd.correlate.features import Facts
from auditd.correlate.fit import Example, fit_weights
from auditd.correlate.misses import BLAME_BUCKETS, Miss, blame_bucket, miss_bucket, tabulate
from auditd.correlate.ranker import rank_suspects, score_candidates
from auditd.correlate.scoring import Weights, default_weights, softmax_with_null
from auditd.correlate.synth import Case, SynthConfig, generate
from auditd.correlate.synth_oracle import oracle_rank
from auditd.correlate.timeseries import MemorySeries
from auditd.correlate.topology import ServiceModel
from auditd.model import Incident
from auditd.servicemodel import load_services
from auditd.telemetry import load_telemetry_csv
from auditd.timeutil import parse_time

ROOT = Path(__file__).resolve().parents[1]
WEIGHTS_PATH = ROOT / "auditd" / "correlate" / "weights.json"
WINDOW = timedelta(hours=6)


def load_cases(directory: Path) -> list[Case]:
    """Each sub-directory holding an ``incident.json`` is a case (format: docs/correlation.md)."""
    shared = _services_file(directory)
    cases = []
    for folder in sorted(p for p in directory.iterdir() if (p / "incident.json").is_file()):
        cases.append(_load_case(folder, _services_file(folder) or shared))
    if not cases:
        raise SystemExit(f"{directory}: no case folders (each needs an incident.json)")
    return cases


def _services_file(folder: Path) -> Path | None:
    return next((folder / f"services.{ext}" for ext in ("toml", "yaml", "yml", "json", "csv")
                 if (folder / f"services.{ext}").is_file()), None)


def _load_case(folder: Path, services: Path | None) -> Case:
    spec = json.loads((folder / "incident.json").read_text())
    incident = Incident(id=str(spec["id"]), onset=parse_time(spec["onset"], datetime.now(UTC)),
                        services=tuple(spec.get("services", ())),
                        severity=str(spec.get("severity", "")), title=str(spec.get("title", "")))
    alert = [*map(str, spec.get("alert_text", ())), *map(str, spec.get("labels", {}).values()),
             *map(str, spec.get("annotations", {}).values())]
    parsed = parse_change_events((folder / "changes.ndjson").read_text(), source="case")
    for problem in parsed.problems:
        print(f"  {folder.name}/changes.ndjson {problem}")
    model = load_services(services).model if services else ServiceModel(())
    telemetry = load_telemetry_csv(folder / "telemetry.csv").source \
        if (folder / "telemetry.csv").is_file() else None
    expected = json.loads((folder / "expected.json").read_text()).get("cause")
    return Case(folder.name, incident, tuple(candidate_from_event(e) for e in parsed.events),
                model, telemetry, tuple(alert), expected, "labelled")


def examples(cases: list[Case], weights: Weights) -> tuple[list[Example], int]:
    """Training rows; a cause the ranker excluded cannot be learned from and is counted."""
    out, lost = [], 0
    for case in cases:
        scored = score_candidates(case.incident, case.candidates, case.model, case.telemetry,
                                  window=WINDOW, weights=weights, alert_text=case.alert_text)
        refs = [f.candidate.ref for f in scored.facts]
        if case.cause is not None and case.cause not in refs:
            lost += 1
            continue
        label = None if case.cause is None else refs.index(case.cause)
        out.append(Example([f.values for f in scored.facts], label, scored.null_values))
    return out, lost


def fit(config: SynthConfig, seed: int, path: Path, max_false_blame: float) -> Weights:
    started = time.perf_counter()
    cases = generate(config, seed)
    rows, lost = examples(cases, default_weights())
    meta = {"fitted_by": "bench/correlation_eval.py --fit", "seed": seed,
            "incidents": config.incidents, "causes_excluded": lost,
            "generator": {k: getattr(config, k) for k in config.__slots__},
            "verdict_margin_for_false_blame": max_false_blame}
    weights = fit_weights(rows, meta=meta)
    margin = choose_margin(cross_fitted(rows, meta), max_false_blame)
    weights = replace(weights, verdict_margin=margin)
    print(f"verdict margin {margin:.1f}: the smallest with at most {max_false_blame:.0%} "
          "false blame on the training incidents (2-fold cross-fitted)")
    path.write_text(json.dumps(weights.to_dict(), indent=1) + "\n")
    print(f"fitted on seed {seed}: {len(rows)} incidents ({lost} causes outside the candidates) "
          f"in {time.perf_counter() - started:.1f}s → {path}")
    return weights


def cross_fitted(rows: list[Example], meta: dict[str, object]) -> list[Outcome]:
    """Outcomes of each half of the training rows under weights fitted on the other half.

    A model scored on its own training rows blames too little, so the verdict
    margin is chosen on these out-of-fold outcomes instead.
    """
    halves = rows[::2], rows[1::2]
    return [o for k in (0, 1)
            for o in training_outcomes(halves[k], fit_weights(halves[1 - k], meta=meta))]


def training_outcomes(rows: list[Example], weights: Weights) -> list[Outcome]:
    """The outcomes of ``weights`` on labelled training rows."""
    out = []
    for row in rows:
        scores = [weights.score(values) for values in row.rows]
        probabilities, p_null = softmax_with_null(
            scores, weights.null_score(len(scores), row.null))
        order = sorted(range(len(scores)), key=lambda i: -scores[i])
        refs = [str(i) for i in order]
        out.append(outcome(refs, [probabilities[i] for i in order], p_null,
                           None if row.label is None else str(row.label)))
    return out


def evaluate(cases: list[Case], weights: Weights,
             breakdown: Breakdown | None = None) -> dict[str, list[Outcome]]:
    results: dict[str, list[Outcome]] = {"ranker": [], "most-recent": [], "path-recent": []}
    for case in cases:
        scored = score_candidates(case.incident, case.candidates, case.model, case.telemetry,
                                  window=WINDOW, weights=weights, alert_text=case.alert_text)
        order = sorted(range(len(scored.facts)), key=lambda i: -scored.scores[i])
        ranked = [scored.facts[i] for i in order]
        result = outcome([f.candidate.ref for f in ranked],
                         [scored.probabilities[i] for i in order], scored.p_no_change,
                         case.cause, weights.verdict_margin)
        results["ranker"].append(result)
        if breakdown is not None:
            breakdown.add(case, ranked, result)
        in_window = [c for c in case.candidates if c.started_at >= case.incident.onset - WINDOW]
        results["most-recent"].append(baseline_outcome(in_window, case.incident.onset,
                                                       case.cause))
        results["path-recent"].append(baseline_outcome(
            in_window, case.incident.onset, case.cause, case.model, case.incident.services))
    return results


class Breakdown:
    """The misses of one evaluation, bucketed by :mod:`auditd.correlate.misses`."""

    def __init__(self) -> None:
        self.causal = self.clean = self.under_blamed = 0
        self.misses: list[Miss] = []
        self.blames: Counter[str] = Counter()

    def add(self, case: Case, ranked: list[Facts], result: Outcome) -> None:
        has_telemetry = case.telemetry is not None
        if case.cause is None:
            self.clean += 1
            if result.blamed:
                self.blames[blame_bucket(ranked[0], has_telemetry)] += 1
            return
        self.causal += 1
        if result.rank != 1:
            self.misses.append(miss_bucket(ranked, case.cause, case.scenario, case.model,
                                           has_telemetry))
        elif not result.blamed:
            self.under_blamed += 1

    def print(self) -> None:
        print(f"\nmisses of the top-1 by cause ({len(self.misses)} of {self.causal} causal "
              "incidents):")
        for bucket, count, share, detail in tabulate(self.misses, self.causal):
            print(f"  {bucket:<52} {count:>4} ({share:6.1%})  {detail}")
        print(f"  cause ranked first but 'no change' preferred: {self.under_blamed}")
        print(f"false blames by cause ({sum(self.blames.values())} of {self.clean} "
              "no-change incidents):")
        for bucket in BLAME_BUCKETS:
            if self.blames[bucket]:
                print(f"  {bucket:<52} {self.blames[bucket]:>4}")


def print_ceiling(cases: list[Case], outcomes: list[Outcome]) -> None:
    """The oracle's top-1/top-3/MRR (told the hidden fault) beside the ranker's, per scenario."""
    groups: dict[str, list[tuple[int | None, int | None]]] = {}
    for case, result in zip(cases, outcomes, strict=True):
        if case.fault is None:
            continue
        pair = (oracle_rank(case), result.rank)
        groups.setdefault("all causal incidents", []).append(pair)
        groups.setdefault(case.scenario, []).append(pair)
    print("\nceiling: an oracle told the faulty service and the fault's start "
          "(synth_oracle), vs the ranker:")
    print(f"{'':<28}{'n':>5}{'top-1':>13}{'top-3':>13}{'MRR':>13}")
    for name, pairs in sorted(groups.items(), key=lambda kv: kv[0] != "all causal incidents"):
        cells = [_rank_figures([p[k] for p in pairs]) for k in (0, 1)]
        row = "".join(f"{cells[0][i]:>7.3f}/{cells[1][i]:<5.3f}" for i in range(3))
        print(f"  {name:<26}{len(pairs):>5} {row}")
    print("  (each cell: oracle/ranker)")


def _rank_figures(ranks: list[int | None]) -> tuple[float, float, float]:
    n = len(ranks)
    return (sum(r == 1 for r in ranks) / n, sum(r is not None and r <= 3 for r in ranks) / n,
            sum(1 / r for r in ranks if r) / n)


def print_tradeoff(outcomes: list[Outcome]) -> None:
    print("\nverdict margin (log-odds of the top suspect over 'no change' needed to blame it):")
    print(f"{'margin':>8}{'false-blame':>13}{'cause found and blamed':>24}{'answer':>8}")
    for margin, false_blame, found, answer in tradeoff(outcomes, (0, 0.25, 0.5, 1, 1.5, 2)):
        print(f"{margin:>8.2f}{false_blame:>13.3f}{found:>24.3f}{answer:>8.3f}")


def print_table(title: str, results: dict[str, list[Outcome]]) -> None:
    summaries = {name: summarize(outcomes) for name, outcomes in results.items()}
    first = next(iter(summaries.values()))
    print(f"\n{title}: {first.incidents} incidents, {first.causal} with a causal change")
    print(f"{'method':<13}{'top-1':>7}{'top-3':>7}{'MRR':>7}{'answer':>8}{'false-blame':>13}"
          f"{'Brier':>7}")
    for name, s in summaries.items():
        print(f"{name:<13}{s.top1:>7.3f}{s.top3:>7.3f}{s.mrr:>7.3f}{s.answer_accuracy:>8.3f}"
              f"{s.false_blame:>13.3f}{s.brier:>7.3f}")
    _print_reliability(summaries["ranker"])


def _print_reliability(summary: Summary) -> None:
    cells = ", ".join(f"p≈{p:.2f}: {hit:.2f} right (n={n})" for p, hit, n in summary.reliability)
    print(f"calibration of the ranker's answer: {cells}")


def by_scenario(cases: list[Case], outcomes: list[Outcome]) -> None:
    groups: dict[str, list[Outcome]] = {}
    for case, result in zip(cases, outcomes, strict=True):
        groups.setdefault(case.scenario, []).append(result)
        telemetry = "with telemetry" if case.telemetry is not None else "without telemetry"
        label = f"{'cause' if case.cause else 'no-change'} {telemetry}"
        groups.setdefault(label, []).append(result)
    print("\nby scenario (top-1 / answer accuracy):")
    for name, group in sorted(groups.items()):
        top1 = sum(o.rank == 1 for o in group) / len(group)
        answer = sum(o.correct for o in group) / len(group)
        print(f"  {name:<28} n={len(group):<4} top-1 {top1:.2f}  answer {answer:.2f}")


def speed(weights: Weights, count: int) -> None:
    """Rank ``count`` changes that all pass the filters (on the call path, inside the window).

    Telemetry is read into memory first, as from a CSV file: the time measured
    is the ranker's, not the synthetic source's.
    """
    case = generate(SynthConfig(incidents=1), 99)[0]
    onset = case.incident.onset
    reach = sorted(case.model.downstream(case.incident.services[0]))
    rng = random.Random(5)
    template = case.candidates[0]
    candidates = [replace(template, ref=f"speed:{n}", services=(rng.choice(reach),),
                          started_at=onset - timedelta(minutes=rng.uniform(0, 359)),
                          version=f"v{n}", finished_at=None, rollout=None)
                  for n in range(count)]
    start, end = onset - timedelta(hours=7), onset + timedelta(minutes=15)
    source = case.telemetry
    memory = MemorySeries(s for name in reach for s in source.series(name, start, end)) \
        if source else None
    started, cpu = time.perf_counter(), time.process_time()
    report = rank_suspects(case.incident, candidates, case.model, memory, window=WINDOW,
                           weights=weights, alert_text=case.alert_text)
    elapsed, cpu = time.perf_counter() - started, time.process_time() - cpu
    print(f"\nspeed: {count} changes, {report.candidates_total} of them candidates (all on the "
          f"call path of {len(reach)} services, telemetry in memory) ranked in {elapsed:.3f}s "
          f"wall-clock, {cpu:.3f}s CPU")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seed", type=int, default=11, help="training seed; test is seed+1")
    parser.add_argument("--test-seed", type=int, help="held-out seed (default: seed+1)")
    parser.add_argument("--incidents", type=int, default=400, help="incidents per split")
    parser.add_argument("--fit-incidents", type=int, help="training incidents (default: "
                        "--incidents)")
    parser.add_argument("--fit", action="store_true", help="fit and write the weights first")
    parser.add_argument("--weights", type=Path, default=WEIGHTS_PATH)
    parser.add_argument("--max-false-blame", type=float, default=0.08,
                        help="with --fit: the verdict margin is the smallest whose false-blame "
                        "rate on the training incidents is at most this")
    parser.add_argument("--cases", type=Path, help="directory of labelled cases to score")
    parser.add_argument("--speed", type=int, default=10_000, help="candidates for the timing")
    parser.add_argument("--generator", choices=("current", "first"), default="current",
                        help="first: the first generator, whose version numbers did not follow "
                        "time and whose later deploys dropped an earlier fault "
                        "(docs/correlation.md)")
    args = parser.parse_args(argv)
    config = SynthConfig(incidents=args.incidents,
                         time_ordered_versions=args.generator == "current")
    if args.fit:
        training = replace(config, incidents=args.fit_incidents or args.incidents)
        weights = fit(training, args.seed, args.weights, args.max_false_blame)
    else:
        weights = Weights.from_dict(json.loads(args.weights.read_text()))
    test_seed = args.seed + 1 if args.test_seed is None else args.test_seed
    if test_seed == args.seed:
        parser.error("--test-seed must differ from the training --seed: evaluate on held-out "
                     "incidents")
    test = generate(config, test_seed)
    breakdown = Breakdown()
    results = evaluate(test, weights, breakdown)
    print_table(f"held-out synthetic split (seed {test_seed})", results)
    print_ceiling(test, results["ranker"])
    print_tradeoff(results["ranker"])
    by_scenario(test, results["ranker"])
    breakdown.print()
    if args.cases:
        cases = load_cases(args.cases)
        print_table(f"cases from {args.cases}", evaluate(cases, weights))
    if args.speed:
        speed(weights, args.speed)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
