"""The ``driftaudit`` command as a user runs it: output, exit codes, and the store left intact.

Most tests call :func:`auditd.cli.main` in-process (fast); the start-up test runs a
real subprocess because it checks what ``--help`` imports.
"""

from __future__ import annotations

import json
import re
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from auditd.service import demo_snapshot_paths
from auditd.store import Store
from tests.cli_support import run

DEMO_1, DEMO_2 = (str(p) for p in demo_snapshot_paths())
SG_WEB = "aws/aws_security_group/111122223333/eu-west-1/sg-0web"


@pytest.fixture(autouse=True)
def isolated_state(cli_state: Path) -> Path:
    """Keep every test's default store, key and config inside tmp_path."""
    return cli_state


def table_counts(db: Path) -> dict[str, int]:
    with sqlite3.connect(db) as conn:
        return {t: conn.execute(f"SELECT count(*) FROM {t}").fetchone()[0]
                for t in ("snapshots", "versions", "changes", "blobs", "resources")}


def test_demo_shows_real_changes_and_hides_noise(capsys: pytest.CaptureFixture[str],
                                                 tmp_path: Path) -> None:
    code, out, _ = run(capsys, "demo", "--dir", str(tmp_path / "demo"))
    assert code == 0
    assert "1 added, 3 modified, 1 removed, 7 unchanged" in out
    assert "ingress[1].cidr_blocks[0]: 10.20.0.0/16 → 0.0.0.0/0" in out
    assert "password: secret changed" in out
    assert "max_session_duration: 3600 → 43200" in out
    assert "removed   aws_s3_bucket acme-prod-tmp-exports" in out
    assert "jane.doe via console" in out
    # Noise the normaliser must hide: re-indented policies, key order, volatile fields.
    for quiet in ("aws_vpc", "aws_s3_bucket_policy", "public_ip", "status"):
        assert quiet not in out.split("Noise the normaliser removed")[0]
    # Part 2: the Terraform repository replayed as git history, attributed and reviewed.
    terraform_part = out.split("Part 2")[1]
    assert "PR #12" in terraform_part and "reviewed by carol@acme.io" in terraform_part
    assert "ingress[1].cidr_blocks[0]: 0.0.0.0/0 → 10.0.0.0/8" in terraform_part
    assert "EMERGENCY (payment queue backlog, INC-4711)" in terraform_part
    assert "self-approved" in terraform_part and "version: 5.30.0 → 5.31.0" in terraform_part
    assert "serial 7 → 8, 1 resource(s) changed" in terraform_part
    # Part 3: the live account (moto in process) drifted from the applied state.
    live_part = out.split("Part 3")[1]
    assert "missing   aws_security_group.web" in live_part
    assert "unmanaged aws/aws_s3_bucket/123456789012/eu-west-1/acme-prod-scratch" in live_part
    drift_output = live_part.split("driftaudit drift")[1].split("jane@acme.io adds a tag")[0]
    assert "acme-prod-assets" not in drift_output
    # A console edit attributed through CloudTrail (EventBridge → SQS): actor and via.
    trail = live_part.split("jane@acme.io adds a tag")[1]
    assert "1 writes, 1 attributed" in trail
    assert re.search(r"out-of-band +#\d+ .* aws/aws_s3_bucket/123456789012/eu-west-1/"
                     r"acme-prod-assets +arn:aws:sts::123456789012:assumed-role/AdminSSO/"
                     r"jane@acme.io", trail)
    # Part 4: a signed report for auditors, verified, and the store's chain verified.
    audit_part = out.split("Part 4")[1]
    assert "driftaudit export verify: OK, 3 file(s)" in audit_part
    assert "driftaudit audit verify: OK, 1 signed checkpoint(s)" in audit_part
    assert (tmp_path / "demo" / "audit-export" / "manifest.sig").is_file()
    # The clear passwords never reach the screen or the store.
    db = (tmp_path / "demo" / "driftaudit.db").read_bytes()
    for secret in ("correct-horse-battery-staple", "Tr0ub4dor&3"):
        assert secret not in out
        assert secret.encode() not in db


def test_import_then_query_as_json(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    db = tmp_path / "x.db"
    code, out, _ = run(capsys, "--db", str(db), "snapshot", "import", DEMO_1, DEMO_2, "--json")
    assert code == 0
    results = json.loads(out)
    assert [r["added"] for r in results] == [11, 1]
    assert results[1]["modified"] == 3 and results[1]["removed"] == 1

    code, out, _ = run(capsys, "--db", str(db), "changes", "--since", "2026-11-25T12:00:00Z",
                       "--type", "aws_security_group", "--json")
    assert code == 0
    [change] = json.loads(out)
    assert change["kind"] == "modified" and change["key"] == SG_WEB
    assert change["via"] == "console"
    assert change["fields"] == [{"path": "ingress[1].cidr_blocks[0]", "op": "changed",
                                 "before": "10.20.0.0/16", "after": "0.0.0.0/0"}]

    code, out, _ = run(capsys, "--db", str(db), "changes", "--key", "*acme-prod-*", "--json")
    kinds = sorted((c["type"], c["kind"]) for c in json.loads(out))
    assert kinds == [("aws_s3_bucket", "added"), ("aws_s3_bucket", "added"),
                     ("aws_s3_bucket", "removed"), ("aws_s3_bucket_policy", "added")]

    code, out, _ = run(capsys, "--db", str(db), "changes", "--limit", "1", "--json")
    assert len(json.loads(out)) == 1


def test_history_and_state_as_of(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    db = tmp_path / "x.db"
    run(capsys, "--db", str(db), "snapshot", "import", DEMO_1, DEMO_2)
    code, out, _ = run(capsys, "--db", str(db), "history", SG_WEB, "--json")
    assert code == 0
    versions = json.loads(out)
    assert [v["current"] for v in versions] == [False, True]
    assert versions[0]["valid_to"] == versions[1]["valid_from"] == "2026-11-25T15:00:00Z"

    code, out, _ = run(capsys, "--db", str(db), "history", SG_WEB, "--at", "2026-11-25T10:00:00Z",
                       "--json")
    [old] = json.loads(out)
    assert "10.20.0.0/16" in json.dumps(old["attributes"])

    code, out, _ = run(capsys, "--db", str(db), "state", "aws/111122223333", "--at",
                       "2026-11-25T12:00:00Z", "--json")
    ids_then = {v["key"].rsplit("/", 1)[1] for v in json.loads(out)}
    code, out, _ = run(capsys, "--db", str(db), "state", "aws/111122223333", "--json")
    ids_now = {v["key"].rsplit("/", 1)[1] for v in json.loads(out)}
    assert ids_then - ids_now == {"acme-prod-tmp-exports"}
    assert ids_now - ids_then == {"i-0fedcba9876543210"}

    code, out, _ = run(capsys, "--db", str(db), "state", "aws/111122223333", "--at",
                       "2026-11-24T00:00:00Z")
    assert "no resources at that time" in out

    code, out, _ = run(capsys, "--db", str(db), "scopes", "--json")
    assert json.loads(out) == [{"scope": "aws/111122223333",
                                "last_snapshot_at": "2026-11-25T15:00:00Z", "snapshots": 2,
                                "current_resources": 11, "last_complete": True}]


def test_default_store_lives_in_the_state_dir(capsys: pytest.CaptureFixture[str],
                                              isolated_state: Path) -> None:
    code, _, _ = run(capsys, "snapshot", "import", DEMO_1)
    assert code == 0
    assert (isolated_state / "driftaudit.db").exists()
    key_file = isolated_state / "fingerprint.key"
    assert key_file.stat().st_mode & 0o077 == 0


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        (b'{"format": "driftaudit-snapshot", "version": 1, "scope": "s", "taken_at": "2026-1',
         "looks truncated"),
        (b"\x00\x01\x02garbage", "not valid JSON"),
        (b'{"format": "driftaudit-snapshot", "version": 9, "scope": "s", '
         b'"taken_at": "2026-11-26T00:00:00Z", "resources": []}',
         "unknown snapshot format version 9"),
        (b'{"format": "driftaudit-snapshot", "version": 1, "scope": "s", '
         b'"taken_at": "2026-11-26T00:00:00Z", "resources": [{"type": "aws_vpc"}]}',
         "resources[0].id"),
        (b'{"format": "driftaudit-snapshot", "version": 1, "scope": "aws/123456789012", '
         b'"taken_at": "2026-11-26T00:00:00Z", "resources": ['
         b'{"type": "aws_vpc", "id": "v"}, {"type": "aws_vpc", "id": "v"}]}',
         "resources[1]: duplicates resources[0]"),
    ],
    ids=["truncated", "binary", "unknown-version", "no-id", "duplicate-keys"],
)
def test_bad_snapshot_exits_2_and_leaves_store_as_it_was(
        capsys: pytest.CaptureFixture[str], tmp_path: Path, content: bytes, expected: str) -> None:
    db = tmp_path / "x.db"
    run(capsys, "--db", str(db), "snapshot", "import", DEMO_1)
    before = table_counts(db)
    bad = tmp_path / "bad.json"
    bad.write_bytes(content)
    code, _, err = run(capsys, "--db", str(db), "snapshot", "import", str(bad))
    assert code == 2
    assert err.startswith(f"error: {bad}")
    assert expected in err
    assert table_counts(db) == before


def test_out_of_order_snapshot_is_refused(capsys: pytest.CaptureFixture[str],
                                          tmp_path: Path) -> None:
    db = tmp_path / "x.db"
    run(capsys, "--db", str(db), "snapshot", "import", DEMO_2)
    before = table_counts(db)
    code, _, err = run(capsys, "--db", str(db), "snapshot", "import", DEMO_1)
    assert code == 2
    assert "is not newer than the latest stored one" in err and "hint:" in err
    assert table_counts(db) == before


def test_snapshot_from_stdin(capsys: pytest.CaptureFixture[str], tmp_path: Path,
                             monkeypatch: pytest.MonkeyPatch) -> None:
    import io

    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(Path(DEMO_1).read_bytes())))
    code, out, _ = run(capsys, "--db", str(tmp_path / "x.db"), "snapshot", "import", "-")
    assert code == 0 and "<stdin>" in out and "11 added" in out


def test_bad_time_and_unreachable_database(capsys: pytest.CaptureFixture[str],
                                           tmp_path: Path) -> None:
    db = str(tmp_path / "x.db")
    code, _, err = run(capsys, "--db", db, "changes", "--since", "yesterday-ish")
    assert code == 2 and "--since" in err and "not a time" in err
    code, _, err = run(capsys, "--db", "postgresql://postgres@127.0.0.1:1/test", "changes")
    assert code == 2 and "cannot reach the database" in err


def test_db_upgrade_and_check(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    db = tmp_path / "x.db"
    code, out, _ = run(capsys, "--db", str(db), "db", "upgrade")
    head = Store.head_revision()
    assert code == 0 and f"upgraded from empty to {head}" in out
    code, out, _ = run(capsys, "--db", str(db), "db", "upgrade")
    assert f"already at revision {head}" in out
    run(capsys, "--db", str(db), "snapshot", "import", DEMO_1)
    code, out, _ = run(capsys, "--db", str(db), "db", "check")
    assert code == 0 and out.strip().endswith(": ok")
    with sqlite3.connect(db) as conn:
        conn.execute("UPDATE blobs SET attrs = replace(attrs, '10.20.0.0/16', '0.0.0.0/0')")
    code, _, err = run(capsys, "--db", str(db), "db", "check")
    assert code == 2 and "does not hash to its address" in err


def test_config_file_and_environment_precedence(capsys: pytest.CaptureFixture[str],
                                                tmp_path: Path,
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    from_file = tmp_path / "from-file.db"
    from_env = tmp_path / "from-env.db"
    config = tmp_path / "driftaudit.toml"
    config.write_text(f'[store]\nurl = "sqlite:///{from_file}"\n')
    run(capsys, "--config", str(config), "snapshot", "import", DEMO_1)
    assert from_file.exists()
    monkeypatch.setenv("DRIFTAUDIT_STORE__URL", f"sqlite:///{from_env}")
    run(capsys, "--config", str(config), "snapshot", "import", DEMO_1)
    assert from_env.exists()

    config.write_text("[store\nurl = 1")
    code, _, err = run(capsys, "--config", str(config), "scopes")
    assert code == 2 and str(config) in err and "not valid TOML" in err
    config.write_text("[store]\nbusy_timeout = -1\n")
    code, _, err = run(capsys, "--config", str(config), "scopes")
    assert code == 2 and "store.busy_timeout" in err


def test_help_is_fast_and_imports_nothing_heavy() -> None:
    probe = (
        "import sys\n"
        "sys.argv = ['driftaudit', '--help']\n"
        "from auditd.cli import main\n"
        "try:\n    main()\nexcept SystemExit:\n    pass\n"
        "heavy = sorted({m.split('.')[0] for m in sys.modules} & "
        "{'sqlalchemy', 'boto3', 'botocore', 'deepdiff', 'pydantic', 'alembic', 'hcl2'})\n"
        "print('HEAVY', heavy)\n"
    )
    result = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True,
                            check=True, timeout=60)
    assert "snapshot" in result.stdout and "changes" in result.stdout
    assert "HEAVY []" in result.stdout
