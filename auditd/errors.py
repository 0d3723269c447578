"""Exceptions driftaudit raises on purpose, each saying what failed, on what, and what to do.

::

    DriftauditError                 exit code 2 at the CLI
    ├── ConfigError                 bad config file or environment value
    ├── InputError                  a file or payload we were given is unusable
    │   ├── SnapshotFormatError     snapshot JSON: corrupt, truncated, wrong schema, bad field
    │   ├── QueryError              a bad CLI/API query (time, key, pattern)
    │   ├── StateFormatError        tfstate: not a state, unsupported version, truncated
    │   │                           (auditd.collectors.terraform.state_types)
    │   └── GitError                not a repository, unknown revision, git missing
    │                               (auditd.collectors.terraform.git_process)
    ├── SourceUnavailable           a source could not be read right now (network, access)
    │   └── S3Error                 S3 not found / access denied / unavailable / too large
    │                               (auditd.collectors.aws.s3)
    ├── StoreError                  the database could not do what we asked
    │   ├── StoreUnavailable        cannot connect / file not writable
    │   ├── StoreLocked             another writer holds the lock past the timeout
    │   ├── SchemaOutdated          the database needs ``driftaudit db upgrade``
    │   └── StaleSnapshot           a snapshot older than the newest stored for its scope
    └── KeyMismatch                 the fingerprint key is not the one the store was built with

Every error is raised before the store's transaction commits, so the store is
left exactly as it was.
"""

from __future__ import annotations

__all__ = [
    "ConfigError",
    "DriftauditError",
    "InputError",
    "KeyMismatch",
    "QueryError",
    "SchemaOutdated",
    "SnapshotFormatError",
    "SourceUnavailable",
    "StaleSnapshot",
    "StoreError",
    "StoreLocked",
    "StoreUnavailable",
]


class DriftauditError(Exception):
    """Base of all deliberate errors; ``hint`` tells the user what to do next."""

    exit_code = 2

    def __init__(self, message: str, *, hint: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint

    def __str__(self) -> str:
        return f"{self.message}\n  hint: {self.hint}" if self.hint else self.message


class ConfigError(DriftauditError):
    pass


class InputError(DriftauditError):
    pass


class SnapshotFormatError(InputError):
    """``source`` is the file (or ``<stdin>``); ``where`` a JSON location (``resources[3].id``)."""

    def __init__(self, source: str, where: str, problem: str, *, hint: str = "") -> None:
        location = f"{source}: {where}: " if where else f"{source}: "
        super().__init__(location + problem, hint=hint)
        self.source = source
        self.where = where
        self.problem = problem


class QueryError(InputError):
    pass


class SourceUnavailable(DriftauditError):
    """A source (S3, an AWS API, a registry) could not be read; its scope is incomplete."""


class StoreError(DriftauditError):
    pass


class StoreUnavailable(StoreError):
    pass


class StoreLocked(StoreError):
    pass


class SchemaOutdated(StoreError):
    pass


class StaleSnapshot(StoreError):
    pass


class KeyMismatch(DriftauditError):
    pass
