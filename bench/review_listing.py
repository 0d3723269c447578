"""Benchmark: ``driftaudit unreviewed`` when review rules have ``when`` conditions.

Run from the repository root::

    /tmp/venv/bin/python bench/review_listing.py             # 1,000 resources, ~5,000 changes
    /tmp/venv/bin/python bench/review_listing.py --quick     # 200 resources, a sanity run

It ingests a synthetic live estate into a fresh SQLite store through ``Store.ingest`` (the
normaliser, content hashing, diff and secret fingerprints of the real path): 1,000
resources of six types (a quarter security groups, databases with passwords), a baseline
snapshot and eight more that each modify, add or remove about 500 resources.  It then
times the service call behind ``driftaudit unreviewed --since 30d --include-baseline``
(:func:`auditd.service.review.unreviewed_changes`, rule loading included) with three
policies:

- no conditions: the shipped packs with their two conditional rules disabled;
- the shipped packs (security-group ingress newly open to the world);
- the shipped packs plus a rule whose condition matches every type.

Each conditional listing is measured three ways in the same run, and all three must give
the same statuses: the bulk path (every attribute the listing needs read by content hash,
:meth:`Store.attributes`), the per-key path it replaced (one ``history`` query per
resource key with the replaced query: key OR address across two tables, no address index),
and the per-key path with today's indexed ``history``.  Goal: a conditional listing
within 20% of the listing without conditions.  See docs/performance.md for the results.
"""

from __future__ import annotations

import argparse
import gc
import json
import random
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import or_

from auditd.config import Settings
from auditd.model import Change, Origin, Resource, ResourceKey, ResourceVersion, Snapshot
from auditd.normalize import HmacFingerprinter
from auditd.rulefiles import INSTALLED_RULES
from auditd.rules.review_status import ReviewStatus
from auditd.service import Runtime
from auditd.service import review as review_service
from auditd.store import Store
from auditd.store.queries import _version, _versions_query  # the replaced query, rebuilt
from auditd.store.schema import resources, scopes, versions

ACCOUNT = "123456789012"
REGION = "eu-west-1"
CONSOLE = f"arn:aws:sts::{ACCOUNT}:assumed-role/AdminSSO/jane"
OPEN = {"protocol": "tcp", "from_port": 443, "to_port": 443, "cidr_blocks": ["0.0.0.0/0"]}
PRIVATE = {"protocol": "tcp", "from_port": 22, "to_port": 22, "cidr_blocks": ["10.0.0.0/8"]}
TYPES = (("aws_security_group", 0.25), ("aws_security_group_rule", 0.15),
         ("aws_db_instance", 0.15), ("aws_iam_policy", 0.15), ("aws_s3_bucket", 0.15),
         ("aws_lambda_function", 0.15))
NO_CONDITIONS = """
pack: bench-no-conditions
disable: [review-ingress-open-to-world, review-ingress-rule-open-to-world]
rules: []
"""
VersionsClass = type[review_service._Versions]
EVERY_TYPE = """
pack: bench-every-type
rules:
  - id: bench-prod-tagged
    kind: review
    approvals: 2
    match: {when: {path: tags.env, equals: prod}}
"""


# --- the estate -------------------------------------------------------------------------------


def attrs_of(tf_type: str, rid: str, rev: int, rng: random.Random) -> dict[str, Any]:
    """One resource's attributes at revision ``rev``; every type carries ``tags``."""
    tags = {"env": rng.choice(("prod", "dev", "test")), "rev": str(rev)}
    if tf_type == "aws_security_group":
        ingress = [PRIVATE] + ([OPEN] if rng.random() < 0.2 else [])
        return {"name": rid, "vpc_id": "vpc-1", "ingress": ingress, "tags": tags}
    if tf_type == "aws_security_group_rule":
        cidr = "0.0.0.0/0" if rng.random() < 0.2 else "10.0.0.0/8"
        return {"type": "ingress", "from_port": 443, "to_port": 443, "protocol": "tcp",
                "cidr_blocks": [cidr], "security_group_id": "sg-1", "tags": tags}
    if tf_type == "aws_db_instance":
        return {"identifier": rid, "password": f"pw-{rid}-{rev % 2}", "engine": "postgres",
                "deletion_protection": rng.random() < 0.8, "tags": tags}
    if tf_type == "aws_iam_policy":
        action = "*" if rng.random() < 0.1 else "s3:GetObject"
        return {"name": rid, "tags": tags, "policy": json.dumps({
            "Version": "2012-10-17",
            "Statement": [{"Effect": "Allow", "Action": action, "Resource": "*"}]})}
    if tf_type == "aws_s3_bucket":
        return {"bucket": rid, "versioning": rng.choice(("Enabled", "Suspended")), "tags": tags}
    return {"function_name": rid, "runtime": "python3.12", "memory_size": 128 * (1 + rev % 4),
            "tags": tags}


def resource(tf_type: str, rid: str, rev: int, rng: random.Random) -> Resource:
    return Resource(key=ResourceKey("aws", tf_type, rid, ACCOUNT, REGION),
                    attrs=attrs_of(tf_type, rid, rev, rng), origin=Origin.LIVE,
                    sensitive_paths=("password",) if tf_type == "aws_db_instance" else (),
                    provenance={"actor": CONSOLE, "via": "console"})


def build_store(url: str, n: int, snapshots: int, per_snapshot: int, seed: int = 7) -> int:
    """Ingest the estate's snapshots; returns the number of stored changes."""
    rng = random.Random(seed)
    names = [(t, f"{t.removeprefix('aws_')}-{i:04d}") for t, share in TYPES
             for i in range(round(n * share))]
    current = {name: 0 for name in names}
    fp = HmacFingerprinter(b"b" * 32)
    start = datetime.now(UTC) - timedelta(days=10)
    stored = 0
    with Store(url) as store:
        for step in range(snapshots + 1):
            if step:
                evolve(current, names, per_snapshot, step, rng)
            snapshot = Snapshot(f"aws/{ACCOUNT}", start + timedelta(hours=step), tuple(
                resource(t, rid, rev, random.Random(f"{rid}/{rev}"))
                for (t, rid), rev in sorted(current.items())))
            result = store.ingest(snapshot, fp)
            stored += result.added + result.modified + result.removed
    return stored


def evolve(current: dict[tuple[str, str], int], names: list[tuple[str, str]], count: int,
           step: int, rng: random.Random) -> None:
    """Modify ``count`` resources (a few removed, a few added back) for snapshot ``step``."""
    for name in rng.sample(names, count):
        if name not in current:
            current[name] = step  # back again: an addition
        elif rng.random() < 0.03:
            del current[name]  # a removal
        else:
            current[name] = step


# --- the three ways to read attributes ----------------------------------------------------------


def replaced_history(store: Store, key: ResourceKey) -> list[ResourceVersion]:
    """``Store.history`` as it was: key OR address across two tables (scans every version)."""
    text = str(key)
    query = (_versions_query()
             .where(or_(resources.c.key_text == text, versions.c.address == text))
             .order_by(scopes.c.name, resources.c.origin, versions.c.valid_from))
    with store.engine.connect() as conn:
        return [_version(row) for row in conn.execute(query)]


def per_key_versions(history: Callable[[Store, ResourceKey], list[ResourceVersion]],
                     ) -> VersionsClass:
    """A ``_Versions`` reading attributes per resource key (once per key), as before."""

    class PerKey(review_service._Versions):
        cache: dict[ResourceKey, list[ResourceVersion]]

        def read(self, changes: Sequence[Change]) -> None:
            return None

        def attrs(self, change: Change) -> tuple[Mapping[str, Any] | None,
                                                 Mapping[str, Any] | None]:
            if change.key not in self.by_key:
                self.by_key[change.key] = history(self.store, change.key)
            found = {v.content_hash: v.attrs for v in self.by_key[change.key]}
            return found.get(change.after_hash or ""), found.get(change.before_hash or "")

    return PerKey


PATHS: dict[str, VersionsClass | None] = {
    "bulk": None,  # the service as it is
    "per key, replaced query": per_key_versions(replaced_history),
    "per key, indexed history": per_key_versions(lambda s, k: s.history(k)),
}


# --- measuring --------------------------------------------------------------------------------


def listing(rt: Runtime, dirs: list[Path], versions_class: VersionsClass | None,
            ) -> list[tuple[int | None, ReviewStatus]]:
    real = review_service._Versions
    if versions_class is not None:
        review_service._Versions = versions_class  # type: ignore[misc]
    try:
        found = review_service.unreviewed_changes(
            rt, datetime.now(UTC) - timedelta(days=30), rule_dirs=dirs, include_baseline=True)
    finally:
        review_service._Versions = real  # type: ignore[misc]
    return [(c.id, s) for c, s in found]


def timed(fn: Callable[[], Any]) -> tuple[Any, float, float]:
    """``fn()``, its wall-clock and its CPU seconds (this process: SQLite runs in it)."""
    gc.collect()
    wall, cpu = time.perf_counter(), time.process_time()
    result = fn()
    return result, time.perf_counter() - wall, time.process_time() - cpu


def pack(folder: Path, name: str, text: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / f"{name}.yaml").write_text(text)
    return folder


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="200 resources, ~1,000 changes")
    parser.add_argument("--rounds", type=int, default=5, help="runs of each listing (median)")
    args = parser.parse_args()
    n, per = (200, 100) if args.quick else (1000, 500)
    with tempfile.TemporaryDirectory(prefix="bench-review-") as tmp:
        work = Path(tmp)
        url = f"sqlite:///{work / 'store.db'}"
        started = time.perf_counter()
        stored = build_store(url, n, 8, per)
        print(f"store: {n} resources, {stored} changes in 9 snapshots, built in "
              f"{time.perf_counter() - started:.1f} s (Store.ingest, SQLite)", flush=True)
        cases = {
            "no conditions": [INSTALLED_RULES, pack(work / "plain", "plain", NO_CONDITIONS)],
            "shipped packs": [INSTALLED_RULES],
            "condition on every type": [INSTALLED_RULES, pack(work / "every", "e", EVERY_TYPE)],
        }
        rt = Runtime(Settings(state_dir=work / "state"), db_url=url)
        try:
            return report(rt, cases, args.rounds)
        finally:
            rt.close()


Run = tuple[str, str, list[Path], VersionsClass | None]  # policy, path, rule folders, _Versions


def report(rt: Runtime, cases: dict[str, list[Path]], rounds: int) -> int:
    """Every (policy, path) once per round, rounds interleaved, so load from other jobs
    on the machine falls on all of them alike; medians of wall-clock and CPU time."""
    listing(rt, cases["no conditions"], None)  # warm: caches, first connection
    plans: list[Run] = [("no conditions", "(no attribute reads)", cases["no conditions"], None)]
    plans += [(name, path, dirs, cls) for name, dirs in list(cases.items())[1:]
              for path, cls in PATHS.items()]
    times: dict[tuple[str, str], list[tuple[float, float]]] = {}
    answers: dict[str, Any] = {}
    for _ in range(rounds):
        for name, path, dirs, cls in plans:
            found, wall, cpu = timed(lambda d=dirs, c=cls: listing(rt, d, c))  # type: ignore[misc]
            times.setdefault((name, path), []).append((wall, cpu))
            if answers.setdefault(name, found) != found:
                print(f"MISMATCH: {name}, {path} gives other statuses than the bulk path")
                return 2
    print(f"changes listed: {len(answers['no conditions'])}; {rounds} rounds; median seconds\n")
    return _table(times)


def _table(times: dict[tuple[str, str], list[tuple[float, float]]]) -> int:
    def median(name: str, path: str, i: int) -> float:
        return statistics.median(t[i] for t in times[(name, path)])

    print(f"{'policy':<25}{'path':<27}{'wall':>7}{'cpu':>7}{'cpu vs bulk':>13}"
          f"{'cpu vs none':>13}{'wall vs none':>14}")
    none_wall, none_cpu = (median("no conditions", "(no attribute reads)", i) for i in (0, 1))
    ok = True
    for name, path in times:
        wall, cpu = median(name, path, 0), median(name, path, 1)
        bulk = (median(name, "bulk", 1) if (name, "bulk") in times else cpu)
        if path == "bulk":
            ok &= cpu <= 1.2 * none_cpu
        print(f"{name:<25}{path:<27}{wall:>7.3f}{cpu:>7.3f}{cpu / bulk:>12.2f}x"
              f"{cpu / none_cpu:>12.2f}x{wall / none_wall:>13.2f}x")
    print(f"\ngoal: a conditional listing (bulk) within 20% of the listing without conditions "
          f"(CPU time): {'met' if ok else 'MISSED'}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
