"""Telemetry statistics: a step at a change, new vs old versions, where degradation began."""

from __future__ import annotations

import math

from auditd.correlate.evidence import ServiceTelemetry, metric_sign
from auditd.correlate.timeseries import IndexedSeries, MemorySeries, Series, welch_z
from tests.unit.correlate.builders import ONSET, before, series


def test_step_version_gap_and_degradation_start() -> None:
    table = ServiceTelemetry("pay", series("pay", versions={0: (30, "v2")},
                                           steps=((30, 10.0, "v2"), (6, 3.0, None))))
    at = before(30).timestamp()
    step = table.step(at)
    assert step is not None and step.z > 3 and step.after > step.before
    gap = table.versions(at, ONSET.timestamp(), "v2")
    assert gap is not None and gap.z > 4 and gap.new > 5 * gap.old
    assert table.versions(at, ONSET.timestamp(), "v9") is None
    since_v2 = table.degradation(before(120).timestamp(), ONSET.timestamp())
    assert since_v2 is not None and round((ONSET.timestamp() - since_v2.started) / 60) == 30
    later = ServiceTelemetry("pay", series("pay", steps=((6, 3.0, None),)))
    found = later.degradation(before(120).timestamp(), ONSET.timestamp())
    assert found is not None and abs((ONSET.timestamp() - found.started) / 60 - 6) <= 1.5


def test_flat_telemetry_shows_no_degradation_and_sign_of_good_metrics() -> None:
    table = ServiceTelemetry("calm", series("calm"))
    assert table.degradation(before(120).timestamp(), ONSET.timestamp()) is None
    assert metric_sign("success_rate") == -1.0 and metric_sign("latency_ms") == 1.0


def test_nan_and_unsorted_points() -> None:
    index = IndexedSeries([(3.0, 1.0), (1.0, math.nan), (2.0, 3.0), (math.inf, 1.0)])
    assert index.dropped == 2 and index.stats(0, 10).mean == 2.0
    assert math.isnan(welch_z(index.stats(0, 2.5), index.stats(2.5, 9), 0.0))
    shuffled = Series("s", "m", "i", "", (3.0, 1.0, 2.0), (30.0, 10.0, 20.0))
    got = MemorySeries([shuffled]).series("s", before(10**8), before(-(10**8)))
    assert got[0].times == (1.0, 2.0, 3.0) and got[0].values == (10.0, 20.0, 30.0)


def _with_spike(points: list[Series], instance: str, minutes_before: float,
                factor: float) -> list[Series]:
    """``points`` with one instance's value ``minutes_before`` onset multiplied by ``factor``."""
    at = before(minutes_before).timestamp()
    return [Series(s.service, s.metric, s.instance, s.version, s.times,
                   tuple(v * factor if s.instance == instance and t == at else v
                         for t, v in zip(s.times, s.values, strict=True)))
            for s in points]


def test_one_spiking_minute_at_the_onset_is_a_blip_two_abnormal_minutes_a_degradation() -> None:
    blip = ServiceTelemetry("calm", _with_spike(series("calm"), "i-0", 0, 4.0))
    assert blip.degradation(before(120).timestamp(), ONSET.timestamp()) is None
    two = _with_spike(_with_spike(series("calm"), "i-0", 0, 4.0), "i-1", 1, 4.0)
    found = ServiceTelemetry("calm", two).degradation(before(120).timestamp(),
                                                        ONSET.timestamp())
    assert found is not None and round((ONSET.timestamp() - found.started) / 60) == 1
