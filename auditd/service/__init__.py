"""Orchestration: what the CLI, the API and the daemon ask for, in one place.

Each function takes a :class:`Runtime` (settings plus lazily opened store and
fingerprint key) and returns plain results; presentation is the caller's job.
Heavy imports (SQLAlchemy, pydantic) happen here, never on the CLI's start-up path.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import cached_property
from pathlib import Path

from auditd.config import Settings
from auditd.keys import load_fingerprinter
from auditd.model import Change, Origin, ResourceKey, ResourceVersion
from auditd.normalize import HmacFingerprinter
from auditd.store import ChangeFilter, IngestResult, ScopeInfo, Store

__all__ = ["ImportOutcome", "Runtime", "import_snapshots", "now_utc"]


def now_utc() -> datetime:
    return datetime.now(UTC)


@dataclass
class Runtime:
    """Settings plus the resources built from them, opened on first use."""

    settings: Settings
    db_url: str | None = None
    create_schema: bool = True
    _store: Store | None = field(default=None, init=False, repr=False)

    @property
    def database_url(self) -> str:
        return self.settings.database_url(self.db_url)

    @property
    def store(self) -> Store:
        if self._store is None:
            self._store = Store(self.database_url, busy_timeout_s=self.settings.store.busy_timeout,
                                create=self.create_schema)
        return self._store

    def unchecked_store(self) -> Store:
        """A store handle that does not insist on the current schema (for ``db upgrade``)."""
        return Store(self.database_url, busy_timeout_s=self.settings.store.busy_timeout,
                     check_schema=False)

    @cached_property
    def fingerprinter(self) -> HmacFingerprinter:
        return load_fingerprinter(self.settings.key_file)

    def close(self) -> None:
        if self._store is not None:
            self._store.close()
            self._store = None


@dataclass(frozen=True, slots=True)
class ImportOutcome:
    source: str
    result: IngestResult


def import_snapshots(rt: Runtime, paths: Sequence[str],
                     on_done: Callable[[ImportOutcome], None] | None = None) -> list[ImportOutcome]:
    """Import files in order; each is its own transaction, stopping at the first error."""
    from auditd.collectors.snapshot_file import read_snapshot_file  # slow import, used here only

    outcomes = []
    for path in paths:
        snapshot, name = read_snapshot_file(path, max_bytes=rt.settings.snapshot.max_bytes)
        result = rt.store.ingest(snapshot, rt.fingerprinter, source=name)
        outcome = ImportOutcome(source=name, result=result)
        outcomes.append(outcome)
        if on_done is not None:
            on_done(outcome)
    return outcomes


def list_changes(rt: Runtime, flt: ChangeFilter) -> list[Change]:
    return rt.store.changes(flt)


def history(rt: Runtime, key: str, at: datetime | None) -> list[ResourceVersion]:
    target: ResourceKey | str = key
    if key.count("/") >= 4:
        target = ResourceKey.parse(key)
    return rt.store.history(target, at)


def declared(rt: Runtime, address: str, at: datetime | None) -> list[ResourceVersion]:
    """Declared versions of a Terraform address (current, or valid at ``at``)."""
    found = rt.store.history(address, at)
    current = [v for v in found if v.origin is Origin.DECLARED]
    return current if at is not None else [v for v in current if v.current]


def declared_log(rt: Runtime, address: str) -> list[Change]:
    """Changes of an address's declaration, oldest first (each carries its commit).

    Dependency pins have no Terraform address: ``registry.terraform.io/hashicorp/aws``
    (a provider lock) is found by its id, the last part of the key.
    """
    found = rt.store.changes(ChangeFilter(key_pattern=address, origin=Origin.DECLARED))
    if found:
        return found
    return rt.store.changes(ChangeFilter(key_pattern=f"*/{address}", origin=Origin.DECLARED))


def scope_state(rt: Runtime, scope: str, at: datetime | None) -> list[ResourceVersion]:
    return rt.store.scope_state(scope, at)


def scopes(rt: Runtime) -> list[ScopeInfo]:
    return rt.store.scopes()


def demo_snapshot_paths() -> list[Path]:
    folder = Path(__file__).resolve().parents[1] / "demo"
    return sorted(folder.glob("estate-*.json"))
