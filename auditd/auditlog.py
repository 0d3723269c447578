"""Tamper evidence for the store: hash chains over the audit records, signed checkpoints.

Modelled on CloudTrail's log-file integrity validation.  Each append-only audit table
(``changes``, ``approvals``, ``drift_transitions``) is a hash chain in id order::

    h_0 = 00..00      h_i = SHA-256(h_{i-1} || SHA-256(canonical JSON of row i))

A *checkpoint* records, per table, the last id it covers, the row count and the chain
head; it names the previous checkpoint's hash and is signed with the installation's
Ed25519 key (``<state_dir>/audit-signing.key``, 0600; the public key is what auditors
get: ``driftaudit audit public-key``).  :func:`verify` recomputes every chain from the
first row and checks every checkpoint, so an edited, removed, inserted or reordered row
in a checkpointed range, a removed or altered checkpoint, or a checkpoint signed by
another key is reported with the range it is in.  Rows after the last checkpoint are
counted, not judged.

What it cannot prove: that nobody rewrote the whole store *and* re-signed every
checkpoint with the stolen key; keep the key off the database host where that matters,
and keep exported manifests (they carry the checkpoint hashes) elsewhere.
"""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import orjson
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from auditd.keys import load_or_create_key
from auditd.store import Store
from auditd.store.auditchain import CHAINED_TABLES, AuditChainStore, RowReader, StoredCheckpoint
from auditd.timeutil import to_micros

__all__ = ["GENESIS", "AuditSigner", "ChainHead", "VerifyReport", "canonical_row_hash",
           "checkpoint", "load_public_key", "verify"]

GENESIS = "0" * 64
_BATCH = 5000


@dataclass(frozen=True, slots=True)
class ChainHead:
    """Where one table's chain stands: last id covered, rows covered, head hash."""

    upto: int = 0
    count: int = 0
    hash: str = GENESIS

    def extended(self, rows: Iterable[Mapping[str, Any]]) -> ChainHead:
        head = self
        for row in rows:
            head = ChainHead(int(row["id"]), head.count + 1, _link(head.hash, row))
        return head

    def as_dict(self) -> dict[str, Any]:
        return {"upto": self.upto, "count": self.count, "hash": self.hash}


class AuditSigner:
    """The installation's Ed25519 signing key (created on first use, 0600)."""

    def __init__(self, path: Path) -> None:
        seed = load_or_create_key(path, label="audit signing key")
        self._key = Ed25519PrivateKey.from_private_bytes(hashlib.sha256(seed).digest())
        self.public_key = self._key.public_key()
        self.key_id = key_id(self.public_key)

    def sign(self, message: bytes) -> str:
        return base64.b64encode(self._key.sign(message)).decode()

    def public_pem(self) -> str:
        return public_pem(self.public_key)

    @staticmethod
    def key_id_of(public_key: Ed25519PublicKey) -> str:
        return key_id(public_key)


def key_id(public_key: Ed25519PublicKey) -> str:
    raw = public_key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return hashlib.sha256(raw).hexdigest()[:16]


def public_pem(public_key: Ed25519PublicKey) -> str:
    return public_key.public_bytes(serialization.Encoding.PEM,
                                   serialization.PublicFormat.SubjectPublicKeyInfo).decode()


def load_public_key(pem: str | bytes) -> Ed25519PublicKey:
    """An auditor's copy of the public key (``driftaudit audit public-key``)."""
    loaded = serialization.load_pem_public_key(pem.encode() if isinstance(pem, str) else pem)
    if not isinstance(loaded, Ed25519PublicKey):
        raise ValueError("not an Ed25519 public key")
    return loaded


def verify_signature(public_key: Ed25519PublicKey, message: bytes, signature: str) -> bool:
    try:
        public_key.verify(base64.b64decode(signature, validate=True), message)
    except (InvalidSignature, ValueError):
        return False
    return True


def canonical_row_hash(row: Mapping[str, Any]) -> bytes:
    return hashlib.sha256(orjson.dumps(dict(row), option=orjson.OPT_SORT_KEYS)).digest()


def _link(previous: str, row: Mapping[str, Any]) -> str:
    return hashlib.sha256(bytes.fromhex(previous) + canonical_row_hash(row)).hexdigest()


def checkpoint_hash(seq: int, created_at: int, heads: Mapping[str, Mapping[str, Any]],
                    prev_hash: str) -> str:
    body = {"seq": seq, "created_at": created_at, "heads": heads, "prev_hash": prev_hash}
    return hashlib.sha256(orjson.dumps(body, option=orjson.OPT_SORT_KEYS)).hexdigest()


def checkpoint(store: Store, signer: AuditSigner, now: datetime) -> StoredCheckpoint | None:
    """Extend every chain from the last checkpoint to the newest row and store a signed
    checkpoint; None when no audit record was added since the last one."""
    def build(read: RowReader, last: StoredCheckpoint | None) -> StoredCheckpoint | None:
        heads = {name: _extend(read, name, _head(last, name)) for name in CHAINED_TABLES}
        if last is not None and all(heads[n] == _head(last, n) for n in heads):
            return None
        seq = 1 if last is None else last.seq + 1
        prev = GENESIS if last is None else last.chain_hash
        as_dicts = {n: h.as_dict() for n, h in heads.items()}
        created = to_micros(now)
        chain_hash = checkpoint_hash(seq, created, as_dicts, prev)
        return StoredCheckpoint(seq, created, as_dicts, prev, chain_hash, signer.key_id,
                                signer.sign(chain_hash.encode()))

    return AuditChainStore(store).append(build)


def _head(last: StoredCheckpoint | None, table: str) -> ChainHead:
    if last is None or table not in last.heads:
        return ChainHead()
    found = last.heads[table]
    return ChainHead(int(found["upto"]), int(found["count"]), str(found["hash"]))


def _extend(read: RowReader, table: str, head: ChainHead) -> ChainHead:
    while True:
        batch = read(table, head.upto, _BATCH)
        head = head.extended(batch)
        if len(batch) < _BATCH:
            return head


@dataclass
class VerifyReport:
    """What :func:`verify` found: ``ok`` when no problem at all."""

    checkpoints: int = 0
    verified_rows: dict[str, int] = field(default_factory=dict)
    unchecked_rows: dict[str, int] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems


def verify(store: Store, public_keys: Mapping[str, Ed25519PublicKey]) -> VerifyReport:
    """Check every checkpoint (order, links, hashes, signatures by a key of
    ``public_keys``, by key id) and recompute every chain against them."""
    chain = AuditChainStore(store)
    stored = chain.checkpoints()
    report = VerifyReport(checkpoints=len(stored))
    _check_checkpoints(stored, public_keys, report)
    for table in CHAINED_TABLES:
        _check_table(chain, table, stored, report)
    return report


def _check_checkpoints(stored: list[StoredCheckpoint],
                       public_keys: Mapping[str, Ed25519PublicKey], report: VerifyReport) -> None:
    previous = GENESIS
    for expected_seq, cp in enumerate(stored, 1):
        where = f"checkpoint {cp.seq}"
        if cp.seq != expected_seq:
            report.problems.append(f"{where}: expected checkpoint {expected_seq} here "
                                   "(a checkpoint was removed)")
        if cp.prev_hash != previous:
            report.problems.append(f"{where}: does not follow the previous checkpoint")
        if checkpoint_hash(cp.seq, cp.created_at, cp.heads, cp.prev_hash) != cp.chain_hash:
            report.problems.append(f"{where}: its content does not match its hash (altered)")
        key = public_keys.get(cp.key_id)
        if key is None:
            report.problems.append(f"{where}: signed by unknown key {cp.key_id}")
        elif not verify_signature(key, cp.chain_hash.encode(), cp.signature):
            report.problems.append(f"{where}: bad signature")
        previous = cp.chain_hash


def _check_table(chain: AuditChainStore, table: str, stored: list[StoredCheckpoint],
                 report: VerifyReport) -> None:
    head, lower = ChainHead(), 0
    for cp in stored:
        expected = _head(cp, table)
        head = head.extended(chain.rows(table, head.upto, expected.upto))
        if head != expected:
            report.problems.append(
                f"{table}: rows with ids in ({lower}, {expected.upto}] were altered, removed "
                f"or inserted after checkpoint {cp.seq} ({head.count} rows now, "
                f"{expected.count} then)")
            head = expected  # judge the next range on its own
        lower = expected.upto
    report.verified_rows[table] = head.count
    report.unchecked_rows[table] = sum(1 for _ in chain.rows(table, head.upto))
