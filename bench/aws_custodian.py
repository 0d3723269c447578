"""cloud-custodian (c7n) as the baseline of bench/aws_collect.py: its venv, policies, runs.

c7n pins its own boto3/botocore range, so it lives in a separate venv that
:func:`ensure_venv` creates on first use (``python -m venv`` plus
``pip install c7n==C7N_VERSION``), by default under
``$XDG_CACHE_HOME/driftaudit-bench/c7n-venv`` (``~/.cache/...``); driftaudit's own
venv is never touched.

:func:`run_custodian` writes one policy per c7n resource type, no filters, and runs
``custodian run`` (through ``bench/c7n_run.py``, see there for the one SQS endpoint
patch) in the given regions with ``--cache-period 0`` (no cache) and botocore's
``AWS_ENDPOINT_URL`` pointing at the moto server.  Policies of resources c7n
lists account-wide (S3's ``ListBuckets`` returns every region's buckets) carry a
``region`` condition so they run once, in the home region, as c7n runs its global
resources (IAM, Route53) once.  From c7n's output directory it reads, per policy
and region: the number of resources (``resources.json``), the execution time and
the API calls c7n counted (``metadata.json``).
"""

from __future__ import annotations

import json
import os
import resource
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

__all__ = ["C7N_VERSION", "CustodianRun", "children_cpu", "default_venv", "ensure_venv",
           "run_custodian"]

C7N_VERSION = "0.9.53"
HERE = Path(__file__).resolve().parent
# c7n resources listed account-wide from any region: run once, in the home region.
ACCOUNT_WIDE = frozenset({"s3"})


@dataclass
class PolicyRun:
    """One c7n resource type over every region: resources, seconds, API calls."""

    resource: str
    count: int = 0
    seconds: float = 0.0
    api_calls: dict[str, int] = field(default_factory=dict)
    errors: list[str] = field(default_factory=list)


@dataclass
class CustodianRun:
    wall: float  # the custodian process, start to exit (interpreter, imports, policies)
    cpu: float  # CPU seconds of that process (user + system)
    policies: dict[str, PolicyRun]
    returncode: int
    log_tail: str = ""

    @property
    def seconds(self) -> float:
        """Time inside the policies (c7n's own execution durations), summed."""
        return sum(p.seconds for p in self.policies.values())

    @property
    def count(self) -> int:
        return sum(p.count for p in self.policies.values())

    @property
    def calls(self) -> int:
        return sum(sum(p.api_calls.values()) for p in self.policies.values())


def children_cpu() -> float:
    """CPU seconds (user + system) of every finished child process so far."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def default_venv() -> Path:
    cache = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(cache) / "driftaudit-bench" / "c7n-venv"


def ensure_venv(venv: Path) -> Path:
    """The venv's Python, after creating the venv and installing c7n if needed."""
    python = venv / "bin" / "python"
    if (venv / "bin" / "custodian").exists():
        return python
    print(f"installing c7n=={C7N_VERSION} into {venv} (first use only)", file=sys.stderr)
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    subprocess.run([str(python), "-m", "pip", "install", "--quiet", f"c7n=={C7N_VERSION}"],
                   check=True)
    return python


def c7n_version(python: Path) -> str:
    answer = subprocess.run([str(python), "-c", "import c7n.version as v, botocore; "
                             "print(v.version, botocore.__version__)"],
                            capture_output=True, text=True, check=False)
    return answer.stdout.strip() or "unknown"


def _policies(resources: list[str], home: str, query: dict[str, list[Any]]) -> dict[str, Any]:
    out = []
    for name in resources:
        policy: dict[str, Any] = {"name": f"bench-{name}", "resource": f"aws.{name}"}
        if name in ACCOUNT_WIDE:
            policy["conditions"] = [{"type": "value", "key": "region", "value": home}]
        if name in query:
            policy["query"] = query[name]
        out.append(policy)
    return {"policies": out}


def run_custodian(python: Path, endpoint: str, regions: tuple[str, ...], resources: list[str],
                  workdir: Path, *, query: dict[str, list[Any]] | None = None) -> CustodianRun:
    """One ``custodian run`` of one no-filter policy per resource, in every region."""
    workdir.mkdir(parents=True, exist_ok=True)
    policy_file = workdir / "policies.json"
    policy_file.write_text(json.dumps(_policies(resources, regions[0], query or {})))
    out = workdir / "out"
    region_args = [arg for region in regions for arg in ("-r", region)]
    env = {**os.environ, "AWS_ENDPOINT_URL": endpoint, "AWS_DEFAULT_REGION": regions[0]}
    command = [str(python), str(HERE / "c7n_run.py"), "run", "-s", str(out),
               "--cache-period", "0", *region_args, str(policy_file)]
    started, cpu = time.perf_counter(), children_cpu()
    proc = subprocess.run(command, env=env, capture_output=True, text=True, check=False)
    wall, cpu = time.perf_counter() - started, children_cpu() - cpu
    runs = {name: _read_policy(out, regions, name) for name in resources}
    return CustodianRun(wall, cpu, runs, proc.returncode, (proc.stdout + proc.stderr)[-2000:])


def _read_policy(out: Path, regions: tuple[str, ...], resource: str) -> PolicyRun:
    run = PolicyRun(resource)
    for region in regions:
        folder = out / region / f"bench-{resource}"
        meta_file = folder / "metadata.json"
        if not meta_file.exists():
            continue  # global or account-wide: c7n ran it in one region only
        meta = json.loads(meta_file.read_text())
        found = folder / "resources.json"
        if found.exists():
            run.count += len(json.loads(found.read_text()))
            run.seconds += float(meta.get("execution", {}).get("duration", 0.0))
        elif "skipping" not in (folder / "custodian-run.log").read_text().lower():
            run.errors.append(f"{region}: no resources.json")
        for call, n in (meta.get("api-stats") or {}).items():
            run.api_calls[call] = run.api_calls.get(call, 0) + int(n)
    return run
