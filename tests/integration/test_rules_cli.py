"""`driftaudit rules validate|test|schema` as an operator runs them before a reload."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.cli_support import run

SHIPPED = Path(__file__).resolve().parents[2] / "rules"


def test_shipped_packs_validate_and_their_cases_pass(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "rules", "validate", str(SHIPPED))
    assert code == 0 and "pack(s) valid" in out
    code, out, _ = run(capsys, "rules", "test", str(SHIPPED))
    assert code == 0
    assert out.strip().splitlines()[-1].endswith(" 0 failed")


def test_an_invalid_pack_names_file_line_and_field(capsys: pytest.CaptureFixture[str],
                                                   tmp_path: Path) -> None:
    bad = tmp_path / "local.yaml"
    bad.write_text("pack: local\nrules:\n  - id: x\n    kind: severity\n    severity: urgent\n")
    code, _, err = run(capsys, "rules", "validate", str(tmp_path))
    assert code == 2
    assert f"{bad}:" in err and "severity" in err


def test_schema_is_json_schema(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "rules", "schema")
    assert code == 0
    assert json.loads(out)["$schema"].startswith("https://json-schema.org/")
