"""Watch latency: from a file save to the change being visible in the store.

Run from the repository root::

    python bench/watch_latency.py [--files 200] [--saves 30] [--debounce 1.0 0.2]

For each debounce it writes a synthetic repository of ``--files`` ``.tf`` files
(``bench/hcl_synthetic.py``, committed with git), starts
:func:`auditd.watch.watch_repositories` on it in a thread with a fresh SQLite
store (the rescan period set far beyond the run, so only file events count),
waits for the initial collection, then saves one root module's ``bench.tf``
``--saves`` times, 0.2-0.6 s after the previous change became visible. The
latency of a save is the time from just before the write to the moment a query
of the store (polled every 5 ms) returns the new change.

It prints p50, p95 and max against the goal "file save → change stored ≤ 3 s
p95", and the parts: the quiet time the watcher waits for (debounce), the delay
from the save to the start of the collection (debounce plus event delivery),
the collection up to the moment its change is visible, the whole collection
(its report comes after the commit) and the HCL part of it. The run is bounded
(about a minute per debounce of 1 s).
"""

from __future__ import annotations

import argparse
import os
import random
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from hcl_synthetic import write_repository

from auditd.config import Settings, TerraformRepository
from auditd.service import Runtime
from auditd.service.terraform import TerraformReport
from auditd.store import ChangeFilter
from auditd.watch import watch_repositories

GOAL_P95 = 3.0
ADDRESS = "aws_s3_bucket.watch_bench"
RUN_LIMIT_S = 75.0  # per debounce: stop saving after this long


def bench_file(value: int) -> str:
    return (f'resource "aws_s3_bucket" "watch_bench" {{\n  bucket = "watch-bench-{value}"\n'
            f'  tags = {{\n    Save = "{value}"\n  }}\n}}\n')


def make_repository(root: Path, files: int) -> tuple[int, Path]:
    """The synthetic repository, committed; returns its size and the file the bench saves."""
    size = write_repository(root, files=files)
    envs = root / "envs"  # root modules; a tiny --files writes only shared modules
    target = (sorted(envs.iterdir())[0] if envs.is_dir() else root) / "bench.tf"
    target.write_text(bench_file(0))
    env = {k: v for k, v in os.environ.items() if not k.startswith("GIT_")}
    env.update({"GIT_CONFIG_GLOBAL": os.devnull, "GIT_CONFIG_NOSYSTEM": "1",
                "GIT_AUTHOR_NAME": "Bench", "GIT_AUTHOR_EMAIL": "bench@example.com",
                "GIT_COMMITTER_NAME": "Bench", "GIT_COMMITTER_EMAIL": "bench@example.com"})
    for args in (["init", "-q", "-b", "main"], ["add", "-A"], ["commit", "-q", "-m", "bench"]):
        subprocess.run(["git", "-C", str(root), *args], env=env, check=True, capture_output=True)
    return size, target


@dataclass
class Timeline:
    """When collections started (progress callback) and ended (report callback)."""

    prefix: str  # watch_repositories announces each collection as "<path>: <reason>"
    starts: list[float] = field(default_factory=list)
    ends: list[tuple[float, TerraformReport]] = field(default_factory=list)
    errors: list[BaseException] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def progress(self, message: str) -> None:
        if message.startswith(self.prefix):
            with self.lock:
                self.starts.append(time.monotonic())

    def report(self, report: TerraformReport) -> None:
        with self.lock:
            self.ends.append((time.monotonic(), report))


def wait(condition: Callable[[], object], timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise SystemExit(f"timed out after {timeout} s")
        time.sleep(0.005)


def stored_changes(rt: Runtime) -> int:
    return len(rt.store.changes(ChangeFilter(key_pattern=ADDRESS)))


def run(files: int, saves: int, debounce: float, seed: int) -> dict[str, object]:
    with tempfile.TemporaryDirectory(prefix="watch-bench-") as temporary:
        base = Path(temporary)
        size, target = make_repository(base / "repo", files)
        settings = Settings(state_dir=base / "state",
                            terraform={"debounce": debounce, "rescan_interval": 86_400})
        rt = Runtime(settings, db_url=f"sqlite:///{base / 'store.db'}")
        timeline = Timeline(prefix=f"{base / 'repo'}: ")
        stop = threading.Event()
        thread = threading.Thread(target=watch_repositories, args=(
            rt, [TerraformRepository(path=base / "repo")], stop), kwargs={
            "on_report": timeline.report, "on_error": timeline.errors.append,
            "progress": timeline.progress}, daemon=True)
        started = time.monotonic()
        thread.start()
        wait(lambda: timeline.ends, 120)
        initial = time.monotonic() - started
        initial_report = timeline.ends[0][1]
        rng = random.Random(seed)
        latencies, to_start, collecting, hcl, rest = [], [], [], [], []
        run_started = time.monotonic()
        for value in range(1, saves + 1):
            if time.monotonic() - run_started > RUN_LIMIT_S:
                break
            time.sleep(rng.uniform(0.2, 0.6))
            seen, ends = stored_changes(rt), len(timeline.ends)
            saved = time.monotonic()
            target.write_text(bench_file(value))
            wait(lambda seen=seen: stored_changes(rt) > seen, 30)
            visible = time.monotonic()
            wait(lambda ends=ends: len(timeline.ends) > ends, 30)
            with timeline.lock:
                start = next(s for s in timeline.starts if s >= saved)
                end, report = next((e, r) for e, r in timeline.ends[ends:] if e >= start)
            latencies.append(visible - saved)
            to_start.append(start - saved)
            collecting.append(end - start)
            hcl.append(report.seconds)
            rest.append(visible - start)
        stop.set()
        thread.join(timeout=30)
        rt.close()
    return {"debounce": debounce, "files": files, "bytes": size, "initial_s": initial,
            "roots": len(initial_report.roots), "latencies": latencies, "to_start": to_start,
            "collecting": collecting, "hcl": hcl, "rest": rest, "errors": timeline.errors}


def quantile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q * (len(ordered) - 1))))]


def show(result: dict[str, object]) -> None:
    lat = result["latencies"]
    assert isinstance(lat, list)
    parts = {k: result[k] for k in ("to_start", "collecting", "hcl", "rest")}
    p95 = quantile(lat, 0.95)
    verdict = "ok" if p95 <= GOAL_P95 else "MISSED"
    print(f"debounce {result['debounce']:.1f} s: {len(lat)} saves; initial collection "
          f"{result['initial_s']:.2f} s ({result['roots']} root modules)")
    print(f"  save → change stored:  p50 {quantile(lat, 0.5):.3f} s   p95 {p95:.3f} s   "
          f"max {max(lat):.3f} s   (goal p95 <= {GOAL_P95:.0f} s: {verdict})")
    labels = {"to_start": "save → collection starts (debounce + event delivery)",
              "rest": "collection starts → change visible (HCL, git, commit)",
              "collecting": "whole collection, to its report",
              "hcl": "  of which HCL (parse changed file, evaluate its root)"}
    for key, label in labels.items():
        values = parts[key]
        assert isinstance(values, list)
        print(f"  {label:<55} p50 {quantile(values, 0.5):.3f} s   "
              f"p95 {quantile(values, 0.95):.3f} s   max {max(values):.3f} s")
    if result["errors"]:
        print(f"  watcher errors: {result['errors']}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--files", type=int, default=200)
    parser.add_argument("--saves", type=int, default=30)
    parser.add_argument("--debounce", type=float, nargs="+", default=[1.0, 0.2])
    parser.add_argument("--seed", type=int, default=11)
    args = parser.parse_args()
    print(f"{args.files} .tf files, {args.saves} saves per run; {os.cpu_count()} CPUs, "
          f"load average {os.getloadavg()[0]:.2f}")
    for debounce in args.debounce:
        show(run(args.files, args.saves, debounce, args.seed))
    return 0


if __name__ == "__main__":
    sys.exit(main())
