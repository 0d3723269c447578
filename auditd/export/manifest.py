"""The evidence of an export: a manifest of every file's SHA-256, signed with Ed25519.

``manifest.json`` lists each file (name, bytes, SHA-256), the query, the number of
rows, the audit checkpoint that covers them (its sequence number and chain hash, to be
checked against the store's chain with ``driftaudit audit verify``) and the public key;
``manifest.sig`` is the base64 Ed25519 signature of ``manifest.json``'s exact bytes.
:func:`verify_export` checks the signature (against a trusted copy of the public key
when given, else the one in the manifest: self-attested only), every file's hash, and
that no file was added or removed.

Signing and key handling live in :mod:`auditd.auditlog`; this module writes and reads
the folder.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import orjson

from auditd.auditlog import AuditSigner, key_id, load_public_key, verify_signature

__all__ = ["MANIFEST", "MANIFEST_SCHEMA", "SIGNATURE", "ExportCheck", "verify_export",
           "write_manifest"]

MANIFEST, SIGNATURE = "manifest.json", "manifest.sig"
MANIFEST_SCHEMA = "driftaudit.export.manifest/1"


def write_manifest(folder: Path, files: Mapping[str, bytes], header: Mapping[str, Any],
                   signer: AuditSigner) -> bytes:
    """Write ``files`` and the signed manifest into ``folder``; the manifest's bytes."""
    folder.mkdir(parents=True, exist_ok=True)
    listed = []
    for name, content in sorted(files.items()):
        (folder / name).write_bytes(content)
        listed.append({"name": name, "bytes": len(content),
                       "sha256": hashlib.sha256(content).hexdigest()})
    manifest = {"schema": MANIFEST_SCHEMA, **header, "files": listed,
                "key_id": signer.key_id, "public_key": signer.public_pem()}
    raw = orjson.dumps(manifest, option=orjson.OPT_INDENT_2 | orjson.OPT_SORT_KEYS) + b"\n"
    (folder / MANIFEST).write_bytes(raw)
    (folder / SIGNATURE).write_text(signer.sign(raw) + "\n")
    return raw


@dataclass
class ExportCheck:
    """What :func:`verify_export` found."""

    files: int = 0
    trusted_key: bool = False
    manifest: dict[str, Any] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems


def verify_export(folder: Path, public_key_pem: str | None = None) -> ExportCheck:
    check = ExportCheck(trusted_key=public_key_pem is not None)
    try:
        raw = (folder / MANIFEST).read_bytes()
        signature = (folder / SIGNATURE).read_text().strip()
        check.manifest = dict(orjson.loads(raw))
    except (OSError, orjson.JSONDecodeError, TypeError, ValueError) as exc:
        check.problems.append(f"cannot read {folder / MANIFEST} and {SIGNATURE}: {exc}")
        return check
    _check_signature(check, raw, signature, public_key_pem)
    _check_files(check, folder)
    return check


def _check_signature(check: ExportCheck, raw: bytes, signature: str, pem: str | None) -> None:
    try:
        key = load_public_key(pem if pem is not None else str(check.manifest["public_key"]))
    except (KeyError, ValueError) as exc:
        check.problems.append(f"no usable public key: {exc}")
        return
    if pem is not None and key_id(key) != check.manifest.get("key_id"):
        check.problems.append("the manifest names another signing key than the one given")
    if not verify_signature(key, raw, signature):
        check.problems.append(f"{MANIFEST}: the signature does not match (altered or forged)")


def _check_files(check: ExportCheck, folder: Path) -> None:
    listed = {str(f["name"]): f for f in check.manifest.get("files") or ()}
    present = {p.name for p in folder.iterdir() if p.is_file()} - {MANIFEST, SIGNATURE}
    for name in sorted(present - set(listed)):
        check.problems.append(f"{name}: not in the manifest (added)")
    for name, entry in sorted(listed.items()):
        path = folder / Path(name).name
        if not path.is_file():
            check.problems.append(f"{name}: missing")
            continue
        if hashlib.sha256(path.read_bytes()).hexdigest() != entry.get("sha256"):
            check.problems.append(f"{name}: its SHA-256 does not match the manifest (altered)")
        check.files += 1
