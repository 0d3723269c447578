"""The long-format telemetry CSV: good rows load, bad rows are reported, the rest kept."""

from __future__ import annotations

from pathlib import Path

import pytest

from auditd.errors import InputError
from auditd.telemetry import load_telemetry_csv, parse_telemetry_csv
from tests.unit.correlate.builders import ONSET, before

CSV = """timestamp,service,instance,version,metric,value
2026-11-26T09:58:00Z,checkout,pod-1,v2,error_rate,0.3
2026-11-26T09:57:00Z,checkout,pod-1,v2,error_rate,0.2
1795686960,checkout,pod-2,v1,error_rate,0.001
2026-11-26T09:59:00,checkout,pod-2,v1,error_rate,NaN
not-a-time,checkout,pod-2,v1,error_rate,1
2026-11-26T09:59:00Z,,pod-2,v1,error_rate,1
2026-11-26T09:59:00Z,checkout,pod-2,v1,error_rate,lots
"""


def test_rows_load_sorted_and_bad_rows_are_reported() -> None:
    loaded = parse_telemetry_csv(CSV, name="t.csv")
    assert loaded.points == 4
    got = {(s.instance, s.version): s for s in loaded.source.series("checkout", before(10),
                                                                    ONSET)}
    assert got[("pod-1", "v2")].values == (0.2, 0.3)
    problems = "\n".join(loaded.problems)
    assert "1 NaN or empty value(s)" in problems
    assert "t.csv:6: timestamp 'not-a-time'" in problems
    assert "t.csv:7: service and metric must not be empty" in problems
    assert "t.csv:8: could not convert" in problems


def test_missing_columns_and_unreadable_files(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="lacks column"):
        parse_telemetry_csv("time,service,value\n")
    with pytest.raises(InputError, match="cannot read telemetry file"):
        load_telemetry_csv(tmp_path / "none.csv")
