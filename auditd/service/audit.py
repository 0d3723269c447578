"""Audit evidence: checkpoints of the store's hash chains, their verification, and change
reports for auditors (``driftaudit audit ...`` and ``driftaudit export ...``).

An export first checkpoints the store, so every exported change is covered by a signed
checkpoint; the manifest names that checkpoint, so an auditor can later tie the report
to the store's chain (``driftaudit audit verify``) as well as to its signature
(``driftaudit export verify``).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from auditd import __version__
from auditd.auditlog import AuditSigner, VerifyReport, checkpoint, load_public_key, verify
from auditd.errors import InputError
from auditd.export import to_csv, to_html, to_json, write_manifest
from auditd.model import Change
from auditd.render import change_dict
from auditd.render.review import review_dict
from auditd.rules.review_status import ReviewStatus
from auditd.service import Runtime, now_utc
from auditd.service.review import review_statuses
from auditd.store.auditchain import AuditChainStore, StoredCheckpoint
from auditd.timeutil import iso_utc

__all__ = ["FORMATS", "ExportQuery", "ExportReport", "audit_signer", "export_changes",
           "make_checkpoint", "verify_audit"]

FORMATS = ("json", "csv", "html")
Progress = Callable[[str], None]


def audit_signer(rt: Runtime) -> AuditSigner:
    return AuditSigner(rt.settings.audit_key_path)


def make_checkpoint(rt: Runtime, now: datetime | None = None) -> StoredCheckpoint | None:
    """A signed checkpoint of every audit record so far; None when nothing is new."""
    return checkpoint(rt.store, audit_signer(rt), now or now_utc())


def verify_audit(rt: Runtime, public_keys_pem: Sequence[str] = ()) -> VerifyReport:
    """Verify the store's chains and checkpoints against this installation's key and any
    other trusted public keys (e.g. a key used before a rotation)."""
    own = audit_signer(rt)
    keys = {own.key_id: own.public_key}
    for pem in public_keys_pem:
        try:
            loaded = load_public_key(pem)
        except ValueError as exc:
            raise InputError(f"not an Ed25519 public key in PEM form: {exc}") from None
        keys[AuditSigner.key_id_of(loaded)] = loaded
    return verify(rt.store, keys)


@dataclass(frozen=True, slots=True)
class ExportQuery:
    since: datetime | None = None
    until: datetime | None = None
    accounts: tuple[str, ...] = ()
    types: tuple[str, ...] = ()

    def keeps(self, change: Change) -> bool:
        return ((self.until is None or change.observed_at <= self.until)
                and (not self.accounts or change.key.account in self.accounts)
                and (not self.types or change.key.tf_type in self.types))

    def as_dict(self) -> dict[str, Any]:
        return {"since": iso_utc(self.since), "until": iso_utc(self.until),
                "accounts": list(self.accounts), "types": list(self.types)}


@dataclass(frozen=True, slots=True)
class ExportReport:
    folder: Path
    rows: int
    files: tuple[str, ...]
    checkpoint_seq: int | None
    not_checkpointed: int


def export_changes(rt: Runtime, folder: Path, query: ExportQuery, *,
                   formats: Sequence[str] = FORMATS, now: datetime | None = None,
                   progress: Progress | None = None) -> ExportReport:
    """Write the change report and its signed manifest into ``folder`` (new or empty)."""
    say = progress or (lambda _msg: None)
    _check_folder(folder)
    moment = now or now_utc()
    say("export: checkpointing the audit chain")
    make_checkpoint(rt, moment)
    latest = _latest_checkpoint(rt)
    say("export: reading changes and their review status")
    found = [(c, s) for c, s in review_statuses(rt, query.since, now=moment) if query.keeps(c)]
    rows = [_row(c, s) for c, s in found]
    covered = int(latest.heads["changes"]["upto"]) if latest else 0
    uncovered = sum(1 for c, _ in found if (c.id or 0) > covered)
    header = {"generated_at": iso_utc(moment), "driftaudit_version": __version__,
              "query": query.as_dict(), "rows": len(rows),
              "checkpoint": _checkpoint_dict(latest), "not_checkpointed": uncovered}
    files = _files(rows, header, formats)
    say(f"export: writing {len(rows)} change(s) to {folder}")
    write_manifest(folder, files, header, audit_signer(rt))
    return ExportReport(folder, len(rows), tuple(sorted(files)),
                        latest.seq if latest else None, uncovered)


def _row(change: Change, status: ReviewStatus) -> dict[str, Any]:
    return {**change_dict(change), "review": review_dict(change, status)}


def _files(rows: list[dict[str, Any]], header: dict[str, Any],
           formats: Sequence[str]) -> dict[str, bytes]:
    unknown = set(formats) - set(FORMATS)
    if unknown or not formats:
        raise InputError(f"unknown export format {', '.join(sorted(unknown)) or '(none)'}",
                         hint=f"choose among {', '.join(FORMATS)}")
    files: dict[str, bytes] = {}
    if "json" in formats:
        files["changes.json"] = to_json(rows, header)
    if "csv" in formats:
        files["changes.csv"] = to_csv(rows)
    if "html" in formats:
        files["report.html"] = to_html(rows, header)
    return files


def _check_folder(folder: Path) -> None:
    if folder.exists() and (not folder.is_dir() or any(folder.iterdir())):
        raise InputError(f"{folder} exists and is not an empty folder",
                         hint="export into a new folder: an export never overwrites files")


def _latest_checkpoint(rt: Runtime) -> StoredCheckpoint | None:
    found = AuditChainStore(rt.store).checkpoints()
    return found[-1] if found else None


def _checkpoint_dict(cp: StoredCheckpoint | None) -> dict[str, Any] | None:
    if cp is None:
        return None
    return {"seq": cp.seq, "chain_hash": cp.chain_hash, "key_id": cp.key_id,
            "covers": {name: head["upto"] for name, head in sorted(cp.heads.items())}}


