"""Benchmark: the live AWS collector against cloud-custodian, on one moto server.

Run from the repository root::

    /tmp/venv/bin/python bench/aws_collect.py              # ~5,000 resources, 3 runs each
    /tmp/venv/bin/python bench/aws_collect.py --quick      # ~500 resources, 1 run each
    /tmp/venv/bin/python bench/aws_collect.py --profile    # + a pyinstrument profile of ours

In one run:

1. a ``ThreadedMotoServer`` on 127.0.0.1 (port 0) is filled with a synthetic estate
   (``bench/aws_estate.py``: ~5,000 resources of 27 Terraform types in 3 regions,
   IAM and Route53 once);
2. driftaudit collects it the way ``driftaudit collect aws`` does: ``collect_aws``
   with ``[aws] endpoint_url`` at the server, the three regions, the types below,
   the default worker count, a fresh SQLite store.  The child process reports the
   AWS reading (the runner's thread pool) apart from the store ingest, for a first
   collection (empty store) and a second one (nothing changed);
3. cloud-custodian lists the same resource types against the same server
   (``bench/aws_custodian.py``: its own venv, created on first use under
   ``~/.cache/driftaudit-bench/c7n-venv``, or ``--c7n-venv``): one no-filter policy
   per resource type, ``custodian run`` in the same regions.  Its s3 policy is also
   run with ``augment-keys: none`` (c7n then reads no bucket configuration, only
   each bucket's location and tags), compared with our run without the S3
   configuration types (aws_s3_bucket alone): the "no S3 configuration" figure;
4. both tools' counts per type are checked against each other, and the figures
   printed: resources/s, the ratio, per-type seconds and API requests (counted at
   the server for both tools, so like is compared with like).

Both tools run as child processes of this one (the moto server's threads hold
this process's GIL), alternately, ``--runs`` times; the figures are medians.  The
exit status is 0 when driftaudit reads at least as fast as custodian.  See
docs/performance.md, "AWS collection".
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent))

import aws_custodian  # noqa: E402
import aws_estate  # noqa: E402

REGIONS = ("us-east-1", "eu-west-1", "ap-southeast-2")
S3_CONFIG = ("aws_s3_bucket_versioning", "aws_s3_bucket_policy",
             "aws_s3_bucket_public_access_block")
# c7n resource type -> the Terraform type counted against it (and others read for it).
PAIRS: dict[str, tuple[str, ...]] = {
    "vpc": ("aws_vpc",), "subnet": ("aws_subnet",), "security-group": ("aws_security_group",),
    "route-table": ("aws_route_table",), "internet-gateway": ("aws_internet_gateway",),
    "network-acl": ("aws_network_acl",), "nat-gateway": ("aws_nat_gateway",),
    "network-addr": ("aws_eip",), "ec2": ("aws_instance",), "ebs": ("aws_ebs_volume",),
    "launch-template-version": ("aws_launch_template",),
    "s3": ("aws_s3_bucket", *S3_CONFIG),
    "iam-role": ("aws_iam_role",), "iam-policy": ("aws_iam_policy",),
    "iam-user": ("aws_iam_user",), "sqs": ("aws_sqs_queue",), "sns": ("aws_sns_topic",),
    "dynamodb-table": ("aws_dynamodb_table",), "lambda": ("aws_lambda_function",),
    "log-group": ("aws_cloudwatch_log_group",), "kms-key": ("aws_kms_key",),
    "ecr": ("aws_ecr_repository",), "rds": ("aws_db_instance",), "ecs": ("aws_ecs_cluster",),
    "app-elb": ("aws_lb",), "app-elb-target-group": ("aws_lb_target_group",),
    "hostedzone": ("aws_route53_zone",), "rrset": ("aws_route53_record",),
    "ecs-service": ("aws_ecs_service",), "ecs-task-definition": ("aws_ecs_task_definition",),
}
# Our types custodian has no resource type for (or folds into another one's augment).
NO_C7N = {
    "aws_s3_bucket_versioning": "in c7n's s3 augment (get_bucket_versioning)",
    "aws_s3_bucket_policy": "in c7n's s3 augment (get_bucket_policy)",
    "aws_s3_bucket_public_access_block": "not read by c7n's s3 resource",
    "aws_s3_bucket_server_side_encryption_configuration":
        "not read by c7n's s3 resource (its bucket-encryption filter reads it)",
    "aws_iam_role_policy_attachment": "no c7n resource type",
    "aws_lb_listener": "no c7n resource type (an app-elb filter)",
}
FAKE_ENV = {
    "AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_DEFAULT_REGION": REGIONS[0], "AWS_CONFIG_FILE": "/nonexistent/driftaudit-bench",
    "AWS_SHARED_CREDENTIALS_FILE": "/nonexistent/driftaudit-bench",
    "AWS_EC2_METADATA_DISABLED": "true", "NO_PROXY": "127.0.0.1,localhost",
    "no_proxy": "127.0.0.1,localhost",
}


# ---------------------------------------------------------------------------------------------
# the moto server, counting requests per service


class RequestCounter:
    """WSGI middleware: counts requests by service (from the SigV4 credential scope), and
    optionally holds each one for ``latency`` seconds (a sleep: other requests go on)."""

    def __init__(self, app: Callable[..., Any], latency: float = 0.0) -> None:
        self.app = app
        self.latency = latency
        self.counts: Counter[str] = Counter()
        self._lock = threading.Lock()

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Any:
        auth = str(environ.get("HTTP_AUTHORIZATION", ""))
        scope = auth.split("Credential=", 1)[-1].split(",", 1)[0].split("/")
        service = scope[3] if len(scope) > 3 else "?"
        with self._lock:
            self.counts[service] += 1
        if self.latency:
            time.sleep(self.latency)
        return self.app(environ, start_response)

    def take(self) -> dict[str, int]:
        with self._lock:
            out, self.counts = dict(self.counts), Counter()
        return out


def start_server() -> tuple[Any, str, RequestCounter]:
    from moto.server import ThreadedMotoServer

    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    os.environ.update(FAKE_ENV)
    for name in ("AWS_PROFILE", "AWS_SESSION_TOKEN", "AWS_SECURITY_TOKEN", "AWS_ENDPOINT_URL"):
        os.environ.pop(name, None)
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    wsgi = server._server  # werkzeug's server: it calls its .app for every request
    assert wsgi is not None
    counter = RequestCounter(wsgi.app)
    wsgi.app = counter
    return server, f"http://{host}:{port}", counter


# ---------------------------------------------------------------------------------------------
# driftaudit, in a child process


def child_driftaudit(endpoint: str, types: list[str], workdir: Path, profile: bool,
                     workers: int | None) -> None:
    """Two collections into a fresh store (cold, then unchanged); JSON figures on stdout."""
    import auditd.service.aws as service_aws
    from auditd.config import AwsSettings, Settings
    from auditd.service import Runtime

    marks: dict[str, float] = {}
    outcomes: list[Any] = []
    real_run_tasks = service_aws.run_tasks  # type: ignore[attr-defined]

    def timed_run_tasks(*args: Any, **kwargs: Any) -> Any:  # the real runner, timed
        marks["read_start"] = time.perf_counter()
        got = real_run_tasks(*args, **kwargs)
        marks["read_end"] = time.perf_counter()
        outcomes[:] = got
        return got

    service_aws.run_tasks = timed_run_tasks  # type: ignore[attr-defined]
    settings = Settings(state_dir=workdir, aws=AwsSettings(
        region=REGIONS[0], regions=list(REGIONS), types=types, endpoint_url=endpoint,
        **({"max_workers": workers} if workers else {})))
    rt = Runtime(settings)
    rounds = []
    for label in ("cold", "unchanged"):
        started, cpu = time.perf_counter(), time.process_time()
        report = service_aws.collect_aws(rt)
        total, cpu = time.perf_counter() - started, time.process_time() - cpu
        rounds.append({"label": label, "total": total, "cpu": cpu,
                       "open": marks["read_start"] - started,
                       "read": marks["read_end"] - marks["read_start"],
                       "ingest": started + total - marks["read_end"],
                       "warnings": list(report.warnings), "types": _per_type(outcomes)})
    if profile:
        _profiled_collection(rt)
    rt.close()
    print(json.dumps({"workers": settings.aws.max_workers, "rounds": rounds}))


def _profiled_collection(rt: Any) -> None:
    """One more collection, its tasks one after another on this thread (pyinstrument
    samples only the thread that starts it), profiled; the profile goes to stderr."""
    from pyinstrument import Profiler

    import auditd.service.aws as service_aws
    from auditd.collectors.aws.collector import run_task

    def in_turn(tasks: Any, *, strict: bool = False, **_: Any) -> list[Any]:
        return [run_task(task, strict=strict) for task in tasks]

    service_aws.run_tasks = in_turn  # type: ignore[attr-defined]
    profiler = Profiler(interval=0.001, async_mode="disabled")
    profiler.start()
    service_aws.collect_aws(rt)
    profiler.stop()
    print("profile of one collection, tasks in turn on one thread (not timed above):",
          file=sys.stderr)
    print(profiler.output_text(unicode=True, color=False, show_all=False), file=sys.stderr)


def _per_type(outcomes: Iterable[Any]) -> dict[str, dict[str, Any]]:
    out: dict[str, dict[str, Any]] = {}
    for o in outcomes:
        row = out.setdefault(o.tf_type, {"resources": 0, "skipped": 0, "seconds": 0.0,
                                         "errors": 0})
        row["resources"] += len(o.resources)
        row["skipped"] += o.skipped_managed
        row["seconds"] += o.seconds
        row["errors"] += o.error is not None
    return out


def run_driftaudit(endpoint: str, types: list[str], profile: bool,
                   workers: int | None) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="driftaudit-bench-aws-") as tmp:
        command = [sys.executable, __file__, "--child", "--endpoint", endpoint,
                   "--workdir", tmp, "--types", ",".join(types)]
        command += ["--workers", str(workers)] if workers else []
        started, cpu = time.perf_counter(), aws_custodian.children_cpu()
        proc = subprocess.run(command + (["--profile"] if profile else []),
                              capture_output=True, text=True, check=False)
        wall, cpu = time.perf_counter() - started, aws_custodian.children_cpu() - cpu
    if proc.returncode != 0:
        sys.stderr.write(proc.stdout + proc.stderr)
        raise SystemExit(f"the driftaudit child failed with exit code {proc.returncode}")
    if profile:
        sys.stderr.write(proc.stderr)
    answer = dict(json.loads(proc.stdout.strip().splitlines()[-1]))
    answer["wall"], answer["cpu"] = wall, cpu
    return answer


# ---------------------------------------------------------------------------------------------
# one round: both tools, alternately


@dataclass
class Round:
    ours: dict[str, Any]  # the driftaudit child's answer (two collections)
    ours_requests: dict[str, int]  # per service, one collection
    ours_list: dict[str, Any]  # without the S3 configuration types
    c7n: aws_custodian.CustodianRun
    c7n_requests: dict[str, int]
    c7n_s3_list: aws_custodian.CustodianRun  # s3 with augment-keys: none


def halve(counts: dict[str, int]) -> dict[str, int]:
    return {service: n // 2 for service, n in counts.items()}


@dataclass(frozen=True)
class Setup:
    endpoint: str
    counter: RequestCounter
    python: Path  # c7n's venv
    types: list[str]  # ours
    resources: list[str]  # c7n's
    workdir: Path
    profile: bool
    workers: int | None  # None: the [aws] max_workers default


def one_round(n: int, setup: Setup) -> Round:
    endpoint, counter, python, types = setup.endpoint, setup.counter, setup.python, setup.types
    resources, workdir, profile = setup.resources, setup.workdir, setup.profile
    workers = setup.workers
    list_types = [t for t in types if t not in S3_CONFIG]

    def ours() -> tuple[dict[str, Any], dict[str, int]]:
        counter.take()
        answer = run_driftaudit(endpoint, types, profile and n == 0, workers)
        return answer, halve(counter.take())

    def theirs() -> tuple[aws_custodian.CustodianRun, dict[str, int]]:
        counter.take()
        run = aws_custodian.run_custodian(python, endpoint, REGIONS, resources,
                                          workdir / f"c7n-{n}")
        return run, counter.take()

    if n % 2 == 0:  # alternate which tool goes first
        (answer, requests), (run, c7n_requests) = ours(), theirs()
    else:
        (run, c7n_requests), (answer, requests) = theirs(), ours()
    s3_list = aws_custodian.run_custodian(python, endpoint, REGIONS, ["s3"],
                                          workdir / f"c7n-s3-{n}",
                                          query={"s3": [{"augment-keys": "none"}]})
    ours_list = run_driftaudit(endpoint, list_types, False, workers)
    counter.take()
    return Round(answer, requests, ours_list, run, c7n_requests, s3_list)


# ---------------------------------------------------------------------------------------------
# figures


def med(values: Iterable[float]) -> float:
    return statistics.median(list(values))


def reads(answer: dict[str, Any]) -> list[float]:
    return [float(r["read"]) for r in answer["rounds"]]


@dataclass
class Headline:
    resources: int
    ours_read: float
    ours_list_read: float
    c7n_full: float
    c7n_list: float
    c7n_wall: float
    ours_wall: float
    ingest_cold: float
    ingest_unchanged: float
    ours_cpu: float  # client CPU seconds, one collection (process start to exit)
    c7n_cpu: float

    @property
    def ratio_full(self) -> float:
        return self.c7n_full / self.ours_read

    @property
    def ratio_list(self) -> float:
        return self.c7n_list / self.ours_list_read


def headline(rounds: list[Round]) -> Headline:
    def c7n_list(r: Round) -> float:
        s3_full = r.c7n.policies["s3"].seconds if "s3" in r.c7n.policies else 0.0
        return r.c7n.seconds - s3_full + r.c7n_s3_list.seconds

    def ours_wall(r: Round) -> float:  # process start to exit, one (cold) collection
        return float(r.ours["wall"]) - float(r.ours["rounds"][1]["total"])

    def ours_cpu(r: Round) -> float:  # the child's CPU, less the second collection's
        return float(r.ours["cpu"]) - float(r.ours["rounds"][1]["cpu"])

    return Headline(
        resources=rounds[0].c7n.count,
        ours_read=med(x for r in rounds for x in reads(r.ours)),
        ours_list_read=med(x for r in rounds for x in reads(r.ours_list)),
        c7n_full=med(r.c7n.seconds for r in rounds), c7n_list=med(map(c7n_list, rounds)),
        c7n_wall=med(r.c7n.wall for r in rounds), ours_wall=med(map(ours_wall, rounds)),
        ingest_cold=med(r.ours["rounds"][0]["ingest"] for r in rounds),
        ingest_unchanged=med(r.ours["rounds"][1]["ingest"] for r in rounds),
        ours_cpu=med(map(ours_cpu, rounds)), c7n_cpu=med(r.c7n.cpu for r in rounds))


def count_rows(rounds: list[Round], pairs: dict[str, tuple[str, ...]]) -> list[list[str]]:
    """Per type: counts of both tools (ours: resources + AWS-managed skipped), seconds."""
    first = rounds[0].ours["rounds"][0]["types"]
    rows = []
    for resource, tf_types in pairs.items():
        mine = first.get(tf_types[0], {})
        ours_n = int(mine.get("resources", 0)) + int(mine.get("skipped", 0))
        theirs = rounds[0].c7n.policies[resource]
        ours_s = med(sum(float(r.ours["rounds"][k]["types"].get(t, {}).get("seconds", 0.0))
                         for t in tf_types) for r in rounds for k in (0, 1))
        c7n_s = med(r.c7n.policies[resource].seconds for r in rounds)
        same = "yes" if ours_n == theirs.count and not theirs.errors else "NO"
        rows.append([resource, "+".join(tf_types), f"{ours_n}", f"{mine.get('skipped', 0)}",
                     f"{theirs.count}", same, f"{ours_s:.2f}", f"{c7n_s:.2f}",
                     f"{sum(theirs.api_calls.values())}"])
    return rows


def table(header: list[str], rows: list[list[str]]) -> str:
    widths = [max(len(str(x)) for x in column) for column in zip(header, *rows, strict=True)]
    lines = ["  ".join(str(x).ljust(w) for x, w in zip(row, widths, strict=True))
             for row in [header, *rows]]
    return "\n".join([lines[0], "-" * len(lines[0]), *lines[1:]])


def request_rows(rounds: list[Round]) -> list[list[str]]:
    ours, theirs = rounds[0].ours_requests, rounds[0].c7n_requests
    rows = [[service, str(ours.get(service, 0)), str(theirs.get(service, 0))]
            for service in sorted(set(ours) | set(theirs))]
    rows.append(["total", str(sum(ours.values())), str(sum(theirs.values()))])
    return rows


def load() -> str:
    one, five, _ = os.getloadavg()
    return f"load average {one:.2f} (1 min), {five:.2f} (5 min)"


def report(rounds: list[Round], pairs: dict[str, tuple[str, ...]], unpaired: list[str],
           meta: dict[str, str]) -> bool:
    h = headline(rounds)
    print(f"\ndriftaudit bench/aws_collect.py: {meta['estate']}; {len(rounds)} run(s) per tool; "
          f"{os.cpu_count()} CPUs, Python {platform.python_version()}; c7n {meta['c7n']}; "
          f"ours: botocore {meta['botocore']}, {meta['workers']} workers")
    print(f"machine: {meta['load_before']} before, {load()} after\n")
    print(table(["c7n resource", "terraform type(s)", "ours", "(managed)", "c7n", "same",
                 "ours s", "c7n s", "c7n calls"], count_rows(rounds, pairs)))
    print("\nours s: the type's (region) tasks summed, on the thread pool (they overlap); "
          "c7n s: its policy durations summed (one after another)\n")
    print(table(["requests per service (one collection)", "ours", "c7n"], request_rows(rounds)))
    for line in unpaired:
        print(f"not compared: {line}")
    _faults(rounds)
    rate = h.resources
    print(f"\n{'figure':<58}{'ours':>10}{'c7n':>10}{'ratio':>8}")
    rows = [
        ("full: AWS reading (s)", h.ours_read, h.c7n_full, h.ratio_full),
        ("full: resources/s", rate / h.ours_read, rate / h.c7n_full, h.ratio_full),
        ("no S3 configuration reads: AWS reading (s)", h.ours_list_read, h.c7n_list,
         h.ratio_list),
        ("process start to exit, one collection (s)", h.ours_wall, h.c7n_wall,
         h.c7n_wall / h.ours_wall),
        ("client CPU of that process (s)", h.ours_cpu, h.c7n_cpu,
         h.c7n_cpu / h.ours_cpu),
    ]
    for name, ours, theirs, ratio in rows:
        print(f"{name:<58}{ours:>10.2f}{theirs:>10.2f}{ratio:>7.2f}x")
    print(f"{'store ingest, first collection (s), not in the reading':<58}{h.ingest_cold:>10.2f}")
    print(f"{'store ingest, unchanged collection (s)':<58}{h.ingest_unchanged:>10.2f}")
    per_run = ", ".join(f"{r.c7n.seconds / med(reads(r.ours)):.2f}x" for r in rounds)
    print(f"\n{rate} resources (c7n's count over the compared types); ratio = c7n time / ours "
          f"(full, per run: {per_run}); goal: >= 1 (at least as fast as custodian)")
    _hot_spots(rounds, pairs, h)
    return h.ratio_full >= 1.0


def _faults(rounds: list[Round]) -> None:
    """Anything either tool could not read: the counts above would not mean much."""
    for n, r in enumerate(rounds):
        for warning in r.ours["rounds"][0]["warnings"][:5]:
            print(f"run {n + 1}: driftaudit WARNING: {warning}")
        for run in (r.c7n, r.c7n_s3_list):
            if run.returncode != 0:
                print(f"run {n + 1}: custodian exited with {run.returncode}: {run.log_tail}")


def _hot_spots(rounds: list[Round], pairs: dict[str, tuple[str, ...]], h: Headline) -> None:
    types = rounds[0].ours["rounds"][0]["types"]
    slowest = sorted(types.items(), key=lambda item: -float(item[1]["seconds"]))[:6]
    spots = ", ".join(f"{name} {float(row['seconds']):.2f} s" for name, row in slowest)
    print(f"our slowest types (task seconds, summed over regions): {spots}")
    if h.ratio_full < 1.0:
        print("driftaudit is SLOWER than custodian: run with --profile for a pyinstrument "
              "profile of the collection")


# ---------------------------------------------------------------------------------------------
# main


def compared(registered: Iterable[str]) -> tuple[dict[str, tuple[str, ...]], list[str]]:
    """The pairs whose counted type we support, and why the other types are not compared."""
    known = set(registered)
    pairs = {resource: tuple(t for t in tf_types if t in known)
             for resource, tf_types in PAIRS.items() if tf_types[0] in known}
    paired = {t for tf_types in pairs.values() for t in tf_types}
    unpaired = [f"{t}: {NO_C7N.get(t, 'not in this estate')}" for t in sorted(known - paired)]
    for t in S3_CONFIG:
        if t in paired:
            unpaired.append(f"{t}: read by us for the s3 row ({NO_C7N[t]})")
    return pairs, unpaired


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="~500 resources, 1 run")
    parser.add_argument("--scale", type=float, help="estate size (1.0: ~5,000 resources)")
    parser.add_argument("--runs", type=int, help="runs per tool (default 3; --quick 1)")
    parser.add_argument("--latency-ms", type=float, default=0.0,
                        help="hold every request this long at the server, as a real AWS "
                             "endpoint's round trip would (default 0: moto's own speed)")
    parser.add_argument("--profile", action="store_true",
                        help="print a pyinstrument profile of one more collection of ours, "
                             "its tasks in turn on one thread (not in the figures)")
    parser.add_argument("--c7n-venv", type=Path, default=aws_custodian.default_venv(),
                        help="where c7n's own venv is (created on first use; default "
                             "%(default)s; never the venv driftaudit runs in)")
    parser.add_argument("--workers", type=int,
                        help="our thread pool's size (default: [aws] max_workers' default)")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--endpoint", help=argparse.SUPPRESS)
    parser.add_argument("--workdir", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--types", help=argparse.SUPPRESS)
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    if args.child:
        child_driftaudit(args.endpoint, args.types.split(","), args.workdir, args.profile,
                         args.workers)
        return 0
    import botocore

    from auditd.collectors.aws._base import registered_types
    from auditd.config import AwsSettings

    scale = args.scale or (0.1 if args.quick else 1.0)
    runs = args.runs or (1 if args.quick else 3)
    python = aws_custodian.ensure_venv(args.c7n_venv)
    pairs, unpaired = compared(registered_types())
    types = [t for tf_types in pairs.values() for t in tf_types]
    workers = args.workers or AwsSettings().max_workers
    meta = {"load_before": load(), "c7n": aws_custodian.c7n_version(python),
            "botocore": botocore.__version__, "workers": str(workers)}
    server, endpoint, counter = start_server()
    try:
        started = time.perf_counter()
        aws_estate.populate(endpoint, REGIONS, scale)
        made = sum(counter.take().values())
        counter.latency = args.latency_ms / 1000
        meta["estate"] = (f"estate scale {scale:g} in {len(REGIONS)} regions "
                          f"({made} API calls, {time.perf_counter() - started:.1f} s to create)"
                          + (f"; {args.latency_ms:g} ms added to every request"
                             if args.latency_ms else ""))
        print(meta["estate"], file=sys.stderr)
        with tempfile.TemporaryDirectory(prefix="driftaudit-bench-c7n-") as tmp:
            setup = Setup(endpoint, counter, python, types, list(pairs), Path(tmp),
                          args.profile, args.workers)
            rounds = [one_round(n, setup) for n in range(runs)]
    finally:
        server.stop()
    return 0 if report(rounds, pairs, unpaired, meta) else 1


if __name__ == "__main__":
    sys.exit(main())
