"""The harness scores a directory of labelled cases in the documented formats."""

from __future__ import annotations

import importlib
from pathlib import Path

import pytest

CASES = Path(__file__).resolve().parents[2] / "data" / "correlation" / "cases"


def test_labelled_cases_are_scored_like_the_synthetic_set(
        capsys: pytest.CaptureFixture[str]) -> None:
    harness = importlib.import_module("bench.correlation_eval")
    cases = harness.load_cases(CASES)
    assert [c.name for c in cases] == ["checkout-payments-deploy", "search-no-change"]
    assert cases[0].cause == "ci:pay-714" and cases[1].cause is None
    assert harness.main(["--incidents", "6", "--speed", "0", "--cases", str(CASES)]) == 0
    out = capsys.readouterr().out
    assert "item 6 (broken): error: started_at is missing" in out
    ranker_row = next(line for line in out.splitlines()[::-1] if line.startswith("ranker"))
    assert ranker_row.split()[1:3] == ["1.000", "1.000"]  # top-1, top-3 on the two cases
    assert "most-recent" in out and "path-recent" in out
