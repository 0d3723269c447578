"""Crash safety: a writer killed with SIGKILL in the middle of an ingest leaves the store intact.

A child process opens the store and ingests a large snapshot (thousands of
modifications, additions and removals against the stored one); the parent
kills it at a point spread over the ingest's duration, measured beforehand.
After every kill the store must hold exactly the previous snapshot (same row
count in every table, same state), and pass ``check()``.  Repeated, then a
full ingest must still succeed.
"""

from __future__ import annotations

import contextlib
import os
import random
import select
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import IO, Any

import pytest

from auditd.model import Resource, Snapshot
from auditd.normalize import HmacFingerprinter, normalize_resource
from auditd.store import ChangeFilter, Store
from tests.helpers import at
from tests.integration.store_support import resource, row_counts

SCOPE = "aws/big"
KEY = b"k" * 32
N = 20_000
KILLS = 6
ROOT = Path(__file__).resolve().parents[2]

CHILD = f"""
import sys
sys.path.insert(0, {str(ROOT)!r})
from tests.integration.test_crash import child_main
child_main(sys.argv[1:])
"""


def estate(variant: int) -> list[Resource]:
    """Variant 0: N resources.  Variant k: a quarter modified, a tenth gone, 2000 new."""
    out = []
    for i in range(N):
        if variant and i % 10 == 9:
            continue
        changed = variant and i % 4 == 0
        tf_type = "aws_security_group" if i % 3 == 0 else "aws_s3_bucket"
        out.append(resource(f"r{i}", {
            "name": f"r{i}", "size": i + (variant if changed else 0),
            "tags": {"env": f"stage-{variant}" if changed else "prod", "team": f"t{i % 50}"},
            "cidr_blocks": [f"10.{i % 200}.0.0/16", "192.168.0.0/16"],
        }, tf_type=tf_type))
    if variant:
        out += [resource(f"n{variant}-{j}", {"name": f"n{variant}-{j}", "size": j})
                for j in range(2000)]
    return out


def _snapshot(variant: int, hours: float) -> Snapshot:
    return Snapshot(scope=SCOPE, taken_at=at(hours), resources=tuple(estate(variant)))


class _Calibrated(Exception):
    """Raised after a complete ingest, before its commit: the ingest is rolled back."""


def child_main(argv: list[str]) -> None:
    """The child: ``URL MODE VARIANT HOURS``; MODE ``calibrate`` rolls back at the very end."""
    url, mode, variant, hours = argv
    snapshot = _snapshot(int(variant), float(hours))
    with Store(url) as store:
        if mode == "calibrate":
            import auditd.store as store_module

            real = store_module.ingest_snapshot

            def then_fail(*args: Any, **kwargs: Any) -> Any:
                real(*args, **kwargs)
                raise _Calibrated

            store_module.ingest_snapshot = then_fail  # type: ignore[assignment]
        print("ready", flush=True)
        started = time.perf_counter()
        with contextlib.suppress(_Calibrated):
            store.ingest(snapshot, HmacFingerprinter(KEY))
        print(f"done {time.perf_counter() - started:.3f}", flush=True)


def _spawn(url: str, mode: str, variant: int, hours: float, log: Path) -> subprocess.Popen[bytes]:
    with log.open("ab") as err:
        return subprocess.Popen(
            [sys.executable, "-c", CHILD, url, mode, str(variant), str(hours)],
            stdout=subprocess.PIPE, stderr=err, bufsize=0, cwd=ROOT)


def _line(proc: subprocess.Popen[bytes], log: Path, timeout: float = 60) -> str:
    stdout: IO[bytes] = proc.stdout  # type: ignore[assignment]
    ready, _, _ = select.select([stdout], [], [], timeout)
    line = stdout.readline().decode().strip() if ready else ""
    if not line:
        proc.kill()
        _reap(proc)
        pytest.fail(f"the child said nothing within {timeout}s; stderr:\n{log.read_text()}")
    return line


def _reap(proc: subprocess.Popen[bytes]) -> tuple[int, str]:
    """Exit code and whatever else the process printed."""
    code = proc.wait(60)
    said = ""
    if proc.stdout is not None:
        said = proc.stdout.read().decode()
        proc.stdout.close()
    return code, said


def _full_state(store: Store) -> list[tuple[Any, ...]]:
    return sorted((str(v.key), v.content_hash, v.valid_from, v.valid_to, v.first_seen, v.last_seen)
                  for v in store.scope_state(SCOPE))


def _expected_hashes(variant: int, fp: HmacFingerprinter) -> dict[str, str]:
    return {str(r.key): normalize_resource(r, fp).content_hash for r in estate(variant)}


@pytest.mark.slow
def test_sigkill_during_ingest_leaves_the_previous_snapshot_intact(
        store_url: str, tmp_path: Path) -> None:
    fp = HmacFingerprinter(KEY)
    log = tmp_path / "child-stderr.log"
    with Store(store_url) as store:
        store.ingest(_snapshot(0, 0), fp)
        counts, state = row_counts(store), _full_state(store)

    calibration = _spawn(store_url, "calibrate", 1, 1, log)
    assert _line(calibration, log) == "ready"
    duration = float(_line(calibration, log).split()[1])
    assert _reap(calibration)[0] == 0, log.read_text()
    with Store(store_url) as store:  # an error after every write: all rolled back
        assert row_counts(store) == counts
        assert _full_state(store) == state

    fractions = [0.1 + 0.75 * i / (KILLS - 1) for i in range(KILLS)]
    random.Random(20261126).shuffle(fractions)
    interrupted = 0
    for attempt, fraction in enumerate(fractions, start=1):
        child = _spawn(store_url, "ingest", attempt, attempt, log)
        assert _line(child, log) == "ready"
        time.sleep(duration * fraction)
        os.kill(child.pid, signal.SIGKILL)
        code, said = _reap(child)
        assert code in (-signal.SIGKILL, 0), log.read_text()
        if code == 0:  # it was faster than calibrated: aim earlier from now on
            duration = min(duration, float(said.split()[-1]))

        with Store(store_url) as store:
            assert store.check() == [], f"attempt {attempt}, killed at {fraction:.0%}"
            now = row_counts(store)
            if now == counts:  # killed before the commit: nothing of it is visible
                assert code != 0
                interrupted += 1
                assert _full_state(store) == state
                assert store.changes(ChangeFilter(since=at(attempt))) == []
            else:  # killed after the commit: all of it is there
                assert now["snapshots"] == counts["snapshots"] + 1
                current = {str(v.key): v.content_hash for v in store.scope_state(SCOPE)}
                assert current == _expected_hashes(attempt, fp)
                counts, state = now, _full_state(store)
    assert interrupted >= KILLS // 2, (
        f"only {interrupted} of {KILLS} kills landed before the commit (ingest: {duration}s)")

    with Store(store_url) as store:
        result = store.ingest(_snapshot(99, 100), fp)
        assert result.resources == len(estate(99))
        assert store.check() == []
        current = {str(v.key): v.content_hash for v in store.scope_state(SCOPE)}
        assert current == _expected_hashes(99, fp)
