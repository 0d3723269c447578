"""An auditor's path through the CLI: export a signed change report, verify it, detect
tampering in the report and in the store."""

from __future__ import annotations

import csv
import io
import json
import sqlite3
from pathlib import Path

import pytest

from auditd.export import to_csv
from auditd.service import demo_snapshot_paths
from tests.cli_support import run


@pytest.fixture
def history(cli_state: Path, capsys: pytest.CaptureFixture[str]) -> Path:
    code, _, err = run(capsys, "snapshot", "import", *map(str, demo_snapshot_paths()))
    assert code == 0, err
    return cli_state


def test_export_verify_and_detect_an_altered_report(history: Path, tmp_path: Path,
                                                    capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "q4-report"
    code, stdout, err = run(capsys, "export", "changes", "--out", str(out))
    assert code == 0, err
    assert "audit checkpoint 1" in stdout
    assert sorted(p.name for p in out.iterdir()) == [
        "changes.csv", "changes.json", "manifest.json", "manifest.sig", "report.html"]
    report = json.loads((out / "changes.json").read_text())
    manifest = json.loads((out / "manifest.json").read_text())
    assert report["rows"] == len(report["changes"]) == manifest["rows"] > 0
    assert {"status", "approvers", "evidence"} <= set(report["changes"][0]["review"])
    assert manifest["not_checkpointed"] == 0 and manifest["checkpoint"]["seq"] == 1

    key = tmp_path / "auditor.pem"
    code, pem, _ = run(capsys, "audit", "public-key")
    key.write_text(pem)
    code, stdout, err = run(capsys, "export", "verify", str(out), "--public-key", str(key))
    assert code == 0 and "OK: signature and 3 file(s) verified" in stdout, err

    rows = (out / "changes.csv").read_text().splitlines()
    (out / "changes.csv").write_text("\n".join(rows[:-1]) + "\n")  # drop a change
    code, stdout, err = run(capsys, "export", "verify", str(out), "--public-key", str(key))
    assert code == 1 and "changes.csv: its SHA-256 does not match" in err


def test_a_forged_manifest_fails_against_the_trusted_key(history: Path, tmp_path: Path,
                                                         capsys: pytest.CaptureFixture[str]
                                                         ) -> None:
    out = tmp_path / "report"
    assert run(capsys, "export", "changes", "--out", str(out), "--format", "json")[0] == 0
    key = tmp_path / "auditor.pem"
    key.write_text(run(capsys, "audit", "public-key")[1])
    manifest = json.loads((out / "manifest.json").read_text())
    manifest["rows"] = 0  # rewrite the manifest without the key
    (out / "manifest.json").write_text(json.dumps(manifest))
    code, _, err = run(capsys, "export", "verify", str(out), "--public-key", str(key))
    assert code == 1 and "signature does not match" in err


def test_an_export_never_overwrites_and_an_edited_store_fails_audit_verify(
        history: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "report"
    out.mkdir()
    (out / "notes.txt").write_text("mine")
    code, _, err = run(capsys, "export", "changes", "--out", str(out))
    assert code == 2 and "not an empty folder" in err
    assert (out / "notes.txt").read_text() == "mine"

    assert run(capsys, "audit", "checkpoint")[0] == 0
    code, stdout, _ = run(capsys, "audit", "verify", "--json")
    assert code == 0 and json.loads(stdout)["ok"] is True
    with sqlite3.connect(history / "driftaudit.db") as db:
        db.execute("UPDATE changes SET actor = 'someone-else' WHERE id = 1")
    code, stdout, err = run(capsys, "audit", "verify")
    assert code == 1 and "TAMPERING OR DAMAGE FOUND" in stdout
    assert "changes: rows with ids in (0," in err


def test_csv_cells_that_a_spreadsheet_would_run_are_defused() -> None:
    rows = [{"id": 1, "actor": "=HYPERLINK(\"http://x\")", "address": "+1", "review": {},
             "fields": [{"path": "@SUM(A1)"}]}]
    parsed = list(csv.DictReader(io.StringIO(to_csv(rows).decode())))
    assert parsed[0]["actor"].startswith("'=") and parsed[0]["address"] == "'+1"
    assert parsed[0]["fields"] == "'@SUM(A1)"


def test_verifying_with_another_installations_key_says_which_key_is_in_use(
        history: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str],
        monkeypatch: pytest.MonkeyPatch) -> None:
    db = f"sqlite:///{history / 'driftaudit.db'}"
    assert run(capsys, "--db", db, "audit", "checkpoint")[0] == 0
    monkeypatch.setenv("DRIFTAUDIT_STATE_DIR", str(tmp_path / "elsewhere"))
    code, _, err = run(capsys, "--db", db, "audit", "verify")
    assert code == 1 and "signed by unknown key" in err
    assert "this installation signs with key" in err and "elsewhere" in err
    pem = tmp_path / "signer.pem"
    monkeypatch.setenv("DRIFTAUDIT_STATE_DIR", str(history))
    pem.write_text(run(capsys, "audit", "public-key")[1])
    monkeypatch.setenv("DRIFTAUDIT_STATE_DIR", str(tmp_path / "elsewhere"))
    code, out, _ = run(capsys, "--db", db, "audit", "verify", "--public-key", str(pem))
    assert code == 0 and "OK: no tampering found" in out


@pytest.mark.parametrize("damage", ["no manifest", "truncated manifest", "bad signature text"])
def test_a_damaged_export_folder_is_a_clear_failure(history: Path, tmp_path: Path,
                                                     capsys: pytest.CaptureFixture[str],
                                                     damage: str) -> None:
    out = tmp_path / "report"
    assert run(capsys, "export", "changes", "--out", str(out), "--format", "csv")[0] == 0
    if damage == "no manifest":
        (out / "manifest.json").unlink()
    elif damage == "truncated manifest":
        raw = (out / "manifest.json").read_bytes()
        (out / "manifest.json").write_bytes(raw[: len(raw) // 2])
    else:
        (out / "manifest.sig").write_text("%%% not base64 %%%\n")
    code, _, err = run(capsys, "export", "verify", str(out))
    assert code == 1 and "PROBLEM:" in err
    expected = "signature does not match" if damage == "bad signature text" else "cannot read"
    assert expected in err
