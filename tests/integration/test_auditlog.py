"""Tamper evidence on SQLite and PostgreSQL: signed checkpoints over the audit chains.

Tampering is done the way an attacker with database access would: plain SQL on the
tables, behind driftaudit's back.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import text

from auditd.auditlog import AuditSigner, checkpoint, load_public_key, verify
from auditd.normalize import HmacFingerprinter
from auditd.store import Store
from tests.helpers import at, res, snap


@pytest.fixture
def signer(tmp_path: Path) -> AuditSigner:
    return AuditSigner(tmp_path / "audit-signing.key")


def _history(store: Store, fingerprinter: HmacFingerprinter, hours: range) -> None:
    for hour in hours:
        store.ingest(snap([res("b1", {"name": "b1", "v": hour}), res(f"x{hour}")], hour),
                     fingerprinter)


def _execute(store: Store, sql: str) -> None:
    with store.engine.begin() as conn:
        conn.execute(text(sql))


def _keys(signer: AuditSigner) -> dict[str, object]:
    return {signer.key_id: load_public_key(signer.public_pem())}


def test_an_untouched_history_verifies_and_new_rows_are_counted_not_judged(
        store: Store, fingerprinter: HmacFingerprinter, signer: AuditSigner) -> None:
    _history(store, fingerprinter, range(3))
    first = checkpoint(store, signer, at(4))
    assert first is not None and first.seq == 1 and first.heads["changes"]["count"] == 8
    assert checkpoint(store, signer, at(5)) is None  # nothing new: no checkpoint
    _history(store, fingerprinter, range(6, 8))
    assert checkpoint(store, signer, at(9)) is not None
    _history(store, fingerprinter, range(10, 11))
    report = verify(store, _keys(signer))  # type: ignore[arg-type]
    assert report.ok, report.problems
    assert report.checkpoints == 2 and report.verified_rows["changes"] == 14
    assert report.unchecked_rows["changes"] == 3


@pytest.mark.parametrize(("tamper", "expected"), [
    ("UPDATE changes SET actor = 'mallory' WHERE id = 2", "changes: rows with ids in (0, 8]"),
    ("DELETE FROM changes WHERE id = (SELECT MAX(id) FROM changes)", "changes: rows with ids"),
    ("DELETE FROM audit_checkpoints WHERE seq = 1", "expected checkpoint 1"),
    ("UPDATE audit_checkpoints SET created_at = created_at + 1 WHERE seq = 1", "altered"),
])
def test_tampering_is_reported_with_where_it_happened(
        store: Store, fingerprinter: HmacFingerprinter, signer: AuditSigner, tamper: str,
        expected: str) -> None:
    _history(store, fingerprinter, range(3))
    checkpoint(store, signer, at(4))
    _history(store, fingerprinter, range(5, 6))
    checkpoint(store, signer, at(7))
    assert verify(store, _keys(signer)).ok  # type: ignore[arg-type]
    _execute(store, tamper)
    report = verify(store, _keys(signer))  # type: ignore[arg-type]
    assert not report.ok
    assert any(expected in problem for problem in report.problems), report.problems


def test_a_checkpoint_signed_by_another_key_is_refused(
        store: Store, fingerprinter: HmacFingerprinter, signer: AuditSigner,
        tmp_path: Path) -> None:
    _history(store, fingerprinter, range(2))
    forger = AuditSigner(tmp_path / "forger.key")
    checkpoint(store, forger, at(3))
    report = verify(store, _keys(signer))  # type: ignore[arg-type]
    assert report.problems == [f"checkpoint 1: signed by unknown key {forger.key_id}"]


def test_the_signing_key_is_private_and_stable(tmp_path: Path) -> None:
    path = tmp_path / "state" / "audit-signing.key"
    first = AuditSigner(path)
    assert path.stat().st_mode & 0o077 == 0
    assert AuditSigner(path).key_id == first.key_id
    assert "BEGIN PUBLIC KEY" in first.public_pem()


def test_a_readable_or_damaged_signing_key_is_refused_by_name(tmp_path: Path) -> None:
    from auditd.errors import ConfigError

    path = tmp_path / "audit-signing.key"
    AuditSigner(path)
    path.chmod(0o644)
    with pytest.raises(ConfigError, match=r"audit signing key .* is readable by others"):
        AuditSigner(path)
    path.chmod(0o600)
    path.write_text("not hex\n")
    with pytest.raises(ConfigError, match=r"audit signing key .* is not hex"):
        AuditSigner(path)
