"""The synthetic generator: versions follow time, and a later deploy keeps an earlier fault."""

from __future__ import annotations

import math
import statistics
from dataclasses import replace

from auditd.correlate.synth import SynthConfig, generate
from auditd.correlate.synth_telemetry import Effect, SynthTelemetry
from tests.unit.correlate.builders import ONSET, before, change


def _deploy_service(resources: tuple[str, ...]) -> str:
    return resources[0].split(".")[1]


def test_each_services_versions_rise_with_time_and_chain_to_the_previous_one() -> None:
    for case in generate(SynthConfig(incidents=30), 7):
        last: dict[str, int] = {}
        deploys = sorted((c for c in case.candidates if c.version), key=lambda c: c.started_at)
        for deploy in deploys:
            service, number = _deploy_service(deploy.resources), int(deploy.version[1:])
            assert deploy.previous_version == f"v{number - 1}"
            if service in last:
                assert number == last[service] + 1
            last[service] = number


def _error_after(carry_forward: bool) -> float:
    """Mean error rate of every instance once a later deploy (v6) replaced the faulty v5."""
    faulty = change("v5", 120, "pay", version="v5", previous_version="v4",
                    finished_at=before(110))
    later = replace(change("v6", 60, "pay", version="v6", previous_version="v5"),
                    ref="ci:v6", finished_at=before(50))
    source = SynthTelemetry("t", 4, [faulty, later], [Effect("pay", before(100).timestamp(),
                                                             20.0, "v5")], frozenset(),
                            carry_forward=carry_forward)
    points = [v for s in source.series("pay", before(40), ONSET) if s.metric == "error_rate"
              for v in s.values if math.isfinite(v)]
    assert {s.version for s in source.series("pay", before(40), ONSET)} == {"v6"}
    return statistics.median(points)


def test_a_later_deploy_keeps_the_fault_of_the_one_it_builds_on() -> None:
    assert _error_after(carry_forward=True) > 5 * _error_after(carry_forward=False)
