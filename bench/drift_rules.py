"""Benchmark: three-way drift plus rule evaluation over 100k resources with 200 rules.

Run from the repository root::

    /tmp/venv/bin/python bench/drift_rules.py            # 100k resources, 200 rules
    /tmp/venv/bin/python bench/drift_rules.py --quick    # 10k, sanity run

One deterministic synthetic estate (40 types, 3 accounts, 4 regions): 100k live
resources, 95% of them in a state (10% of those drifted), 2k state-only
resources (missing), declared resources for every state one (5% unapplied).
200 rules: exact-type and glob-type severities with conditions, field and
element ignores, classify, maintenance.  Measured in one run:

1. ``compute_drift`` (declared vs state vs live, with coverage);
2. rating every finding with the rule index and again without it (every rule's
   static match tried per subject), checking both give the same verdicts;
3. the evaluator alone on 100k findings, with and without the index.

``ingress`` is a set-like list (compared by element identity) and every type has
``mapped_fields``, as in the service.  Goal: (1) + (2, indexed) <= 2 s.  The ratio
printed is no-index / index.
Attributes are built already canonical, so the normaliser's cost is not measured here.
"""

from __future__ import annotations

import argparse
import gc
import random
import time
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from auditd.diff.drift import compute_drift
from auditd.diff.drift_eval import evaluate_drift
from auditd.diff.drift_inputs import DriftInput, Stack
from auditd.model import DriftFinding, DriftKind, FieldChange, Origin, Resource, ResourceKey
from auditd.rules import RuleSet, Subject

NOW = datetime(2026, 11, 1, tzinfo=UTC)
ACCOUNTS = ("111111111111", "222222222222", "333333333333")
REGIONS = ("eu-west-1", "eu-central-1", "us-east-1", "global")
TYPES = tuple(f"aws_{svc}_{kind}" for svc in ("ec2", "s3", "iam", "rds", "sqs", "sns", "kms",
                                               "lambda") for kind in ("a", "b", "c", "d", "e"))
# What the live collector maps per type, as the service passes it (service/drift_mapped.py).
MAPPED = {t: frozenset({"name", "size", "enabled", "ingress", "tags_all"}) for t in TYPES}


def _attrs(rng: random.Random, n: int) -> dict[str, Any]:
    return {"name": f"r{n}", "size": rng.randint(1, 8), "enabled": True,
            "ingress": [{"cidr_blocks": ["10.0.0.0/8"], "from_port": 443, "to_port": 443}],
            "tags_all": {"Name": f"r{n}", "team": rng.choice(("a", "b", "c"))}}


def estate(size: int, seed: int = 7) -> DriftInput:
    rng = random.Random(seed)
    live, applied, declared = [], [], []
    for n in range(size):
        key = ResourceKey("aws", TYPES[n % len(TYPES)], f"id-{n}", ACCOUNTS[n % 3],
                          REGIONS[(n // 3) % 4])
        attrs = _attrs(rng, n)
        address = f"module.m{n % 50}.{key.tf_type}.r{n}"
        live.append(Resource(key, _drifted(rng, attrs) if n % 10 == 0 else attrs, Origin.LIVE))
        if n % 20 == 19:
            continue  # 5% unmanaged
        applied.append(Resource(key, attrs, Origin.STATE, address=address))
        want = {"name": attrs["name"], "size": attrs["size"] + (n % 20 == 3)}
        declared.append(Resource(ResourceKey("aws", key.tf_type, address), want,
                                 Origin.DECLARED, address=address))
    for n in range(size // 50):  # 2% missing
        key = ResourceKey("aws", TYPES[n % len(TYPES)], f"gone-{n}", ACCOUNTS[0], REGIONS[0])
        applied.append(Resource(key, _attrs(rng, n), Origin.STATE, address=f"x.{key.tf_type}.g{n}"))
    return DriftInput(live, [Stack("prod", applied, declared)], NOW,
                      live_authoritative=lambda k: True, mapped_fields=MAPPED)


def _drifted(rng: random.Random, attrs: dict[str, Any]) -> dict[str, Any]:
    choice = rng.randrange(3)
    if choice == 0:
        return {**attrs, "tags_all": {**attrs["tags_all"], "team": "zz"}}
    if choice == 1:
        return {**attrs, "ingress": [*attrs["ingress"], {"cidr_blocks": ["0.0.0.0/0"],
                                                         "from_port": 22, "to_port": 22}]}
    return {**attrs, "size": attrs["size"] + 1, "enabled": False}


def rule_pack(count: int, seed: int = 11) -> str:
    rng = random.Random(seed)
    lines = ["pack: bench", "rules:"]
    for n in range(count):
        lines.extend(_rule(rng, n))
    return "\n".join(lines) + "\n"


def _rule(rng: random.Random, n: int) -> list[str]:
    tf_type = rng.choice(TYPES)
    glob = f"'{tf_type[:-1]}*'" if n % 10 == 0 else tf_type
    scope = f"types: [{glob}], accounts: ['{rng.choice(ACCOUNTS)}']"
    head = [f"  - id: r{n}", f"    match: {{{scope}, regions: ['{rng.choice(REGIONS)[:3]}*']}}"]
    kind = n % 5
    if kind == 0:
        return [*head, "    kind: ignore", "    owner: o", "    reason: r",
                "    fields: [{path: ingress, element: {path: cidr_blocks, contains: 10.0.0.0/8}}]"]
    if kind == 1:
        return [*head, "    kind: ignore", "    owner: o", "    reason: r",
                f"    expires: {rng.choice((2026, 2027))}-{rng.randint(1, 12):02d}-01",
                "    fields: [{path: tags_all.team}]"]
    if kind == 2:
        return [*head, "    kind: classify", "    tags: [cost]"]
    sev = rng.choice(("critical", "high", "low"))
    return [f"  - id: r{n}", "    kind: severity", f"    severity: {sev}",
            f"    match: {{{scope}, when: {{path: ingress, any_added_element: "
            "{path: cidr_blocks, contains: 0.0.0.0/0}}}"]


def timed(fn: Callable[[], Any]) -> tuple[float, Any]:
    start = time.perf_counter()
    result = fn()
    return time.perf_counter() - start, result


def stress_subjects(size: int) -> list[Subject]:
    out = []
    for n in range(size):
        key = ResourceKey("aws", TYPES[n % len(TYPES)], f"id-{n}", ACCOUNTS[n % 3],
                          REGIONS[(n // 3) % 4])
        finding = DriftFinding(key, DriftKind.CHANGED, NOW, NOW,
                               (FieldChange("size", "changed", 1, 2),))
        out.append(Subject.from_finding(finding, {"size": 2}, {"size": 1}))
    return out


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--freeze", action="store_true",
                        help="gc.freeze() the estate first (as a long-running daemon could)")
    args = parser.parse_args()
    size, count = (10_000, 200) if args.quick else (100_000, 200)
    inp = estate(size)
    rules = RuleSet.from_texts([("bench.yaml", rule_pack(count))])
    if args.freeze:
        gc.collect()
        gc.freeze()
    t_drift, report = timed(lambda: compute_drift(inp))
    t_index, rated = timed(lambda: evaluate_drift(report.drifts, rules, NOW,
                                                  mapped_fields=MAPPED))
    t_scan, scanned = timed(lambda: evaluate_drift(report.drifts, rules, NOW, indexed=False,
                                                   mapped_fields=MAPPED))
    assert [r.verdict for r in rated] == [r.verdict for r in scanned], "index changed a verdict"
    subjects = stress_subjects(size)
    t_stress, _ = timed(lambda: [rules.evaluate(s, NOW) for s in subjects])
    t_stress_scan, _ = timed(lambda: [rules.evaluate(s, NOW, indexed=False) for s in subjects])
    kinds = {k.value: sum(d.finding.kind is k for d in report.drifts) for k in DriftKind}
    suppressed = sum(r.verdict.suppressed for r in rated)
    print(f"estate: {size:,} live resources, {len(rules.rules)} rules; findings {kinds}, "
          f"{suppressed:,} suppressed; coverage {report.coverage.overall.percent}%")
    print(f"compute_drift:                 {t_drift:6.3f} s")
    print(f"rate findings, index:          {t_index:6.3f} s   no index: {t_scan:6.3f} s   "
          f"ratio {t_scan / t_index:5.1f}x")
    total = t_drift + t_index
    print(f"drift + rules (goal <= 2 s):   {total:6.3f} s   {'met' if total <= 2 else 'MISSED'}")
    print(f"evaluator alone, {size:,} findings: index {t_stress:6.3f} s   no index "
          f"{t_stress_scan:6.3f} s   ratio {t_stress_scan / t_stress:5.1f}x")


if __name__ == "__main__":
    main()
