"""Tables of the store (SQLAlchemy Core), the single source of the schema.

The Alembic migrations in ``migrations/versions`` create exactly these tables;
a test compares the two.  Times are stored as integer microseconds since the
Unix epoch (UTC): identical on SQLite and PostgreSQL, cheap to index and
compare, never ambiguous about time zones.

- ``blobs``: canonical attribute JSON, addressed by its SHA-256 (shared by
  every version with the same content).
- ``resources``: one row per (scope, origin, key): the thing whose history we keep.
- ``versions``: one row per distinct consecutive content of a resource, with its
  validity interval ``[valid_from, valid_to)`` and ``first_seen``/``last_seen``.
  ``valid_to IS NULL`` marks the current version.  An unchanged resource adds no row.
  ``address`` is indexed: a resource's history is looked up by key or by Terraform address.
- ``changes``: one row per added/removed/modified resource per snapshot, with
  the field-level diff; denormalised key columns make time-range filters fast, and
  ``(observed_at, id)`` — the API's page order — is one index, so a page is one range scan.
- ``change_events``: deploys, Terraform applies and other change events,
  unique per ``(source, external_id)``.
- ``incidents``: incidents by id (upserted: a webhook delivered twice is one).
- ``cursors``: small JSON values collectors must remember between runs (the
  last collected git commit, a state's lineage and serial, a log position),
  written in the same transaction as the snapshot they belong to.
- ``drift_findings``: the lifecycle of each drift finding (open, acknowledged, accepted,
  resolved), unique per ``finding_key`` (kind, stack, address and resource key as text).
- ``drift_transitions``: every status change of a finding, kept as history.
- ``api_tokens``: HTTP API tokens by role; only the SHA-256 of each token is kept
  (the token itself is shown once, when it is created).
- ``approvals``: approvals and retro-reviews recorded for stored changes
  (``driftaudit review approve``), in addition to the evidence the collectors find.
- ``job_leases``: one row per scheduled job of the daemon: who holds it until when, and
  when it last started and finished, so several ``driftaudit serve`` processes sharing
  one PostgreSQL run each job once per period and take over a dead holder's job.
- ``audit_checkpoints``: signed checkpoints of the hash chains over the append-only
  audit records (changes, approvals, drift transitions); each names the previous one,
  so removing, altering or reordering any covered row is detected by ``audit verify``.
"""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
    false,
    text,
)

__all__ = [
    "api_tokens",
    "approvals",
    "audit_checkpoints",
    "blobs",
    "change_events",
    "changes",
    "cursors",
    "drift_findings",
    "drift_transitions",
    "incidents",
    "job_leases",
    "meta",
    "metadata",
    "resources",
    "scopes",
    "snapshots",
    "versions",
]

metadata = MetaData()

meta = Table(
    "meta",
    metadata,
    Column("name", String(64), primary_key=True),
    Column("value", Text, nullable=False),
)

scopes = Table(
    "scopes",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("name", String(512), nullable=False, unique=True),
    Column("created_at", BigInteger, nullable=False),
    Column("last_snapshot_at", BigInteger, nullable=True),
)

snapshots = Table(
    "snapshots",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("scope_id", Integer, ForeignKey("scopes.id"), nullable=False),
    Column("taken_at", BigInteger, nullable=False),
    Column("ingested_at", BigInteger, nullable=False),
    Column("complete", Boolean, nullable=False),
    Column("errors", Text, nullable=False, server_default="[]"),
    Column("source", Text, nullable=False, server_default=""),
    Column("resource_count", Integer, nullable=False),
    Column("added", Integer, nullable=False),
    Column("modified", Integer, nullable=False),
    Column("removed", Integer, nullable=False),
    Column("protected", Integer, nullable=False),
    Index("ix_snapshots_scope_taken", "scope_id", "taken_at"),
)

blobs = Table(
    "blobs",
    metadata,
    Column("hash", String(64), primary_key=True),
    Column("attrs", Text, nullable=False),
)

resources = Table(
    "resources",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("scope_id", Integer, ForeignKey("scopes.id"), nullable=False),
    Column("origin", String(16), nullable=False),
    Column("provider", String(64), nullable=False),
    Column("tf_type", String(128), nullable=False),
    Column("account", String(64), nullable=False),
    Column("region", String(64), nullable=False),
    Column("rid", Text, nullable=False),
    Column("key_text", Text, nullable=False),
    UniqueConstraint("scope_id", "origin", "key_text", name="uq_resources_scope_origin_key"),
    Index("ix_resources_key_text", "key_text"),
    Index("ix_resources_tf_type", "tf_type"),
)

versions = Table(
    "versions",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("resource_id", Integer, ForeignKey("resources.id"), nullable=False),
    Column("scope_id", Integer, ForeignKey("scopes.id"), nullable=False),
    Column("content_hash", String(64), ForeignKey("blobs.hash"), nullable=False),
    Column("raw_digest", LargeBinary(16), nullable=True),
    Column("snapshot_id", Integer, ForeignKey("snapshots.id"), nullable=False),
    Column("valid_from", BigInteger, nullable=False),
    Column("valid_to", BigInteger, nullable=True),
    Column("first_seen", BigInteger, nullable=False),
    Column("last_seen", BigInteger, nullable=False),
    Column("address", Text, nullable=False, server_default=""),
    Column("provenance", Text, nullable=False, server_default="{}"),
    Index("ix_versions_resource_from", "resource_id", "valid_from"),
    Index(
        "ix_versions_current",
        "scope_id",
        sqlite_where=text("valid_to IS NULL"),
        postgresql_where=text("valid_to IS NULL"),
    ),
    Index("ix_versions_scope_from", "scope_id", "valid_from"),
    Index("ix_versions_address", "address"),  # history by Terraform address
)

changes = Table(
    "changes",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("snapshot_id", Integer, ForeignKey("snapshots.id"), nullable=False),
    Column("scope_id", Integer, ForeignKey("scopes.id"), nullable=False),
    Column("resource_id", Integer, ForeignKey("resources.id"), nullable=False),
    Column("kind", String(16), nullable=False),
    Column("observed_at", BigInteger, nullable=False),
    Column("origin", String(16), nullable=False),
    Column("tf_type", String(128), nullable=False),
    Column("account", String(64), nullable=False),
    Column("region", String(64), nullable=False),
    Column("key_text", Text, nullable=False),
    Column("address", Text, nullable=False, server_default=""),
    Column("before_version_id", Integer, ForeignKey("versions.id"), nullable=True),
    Column("after_version_id", Integer, ForeignKey("versions.id"), nullable=True),
    Column("before_hash", String(64), nullable=True),
    Column("after_hash", String(64), nullable=True),
    Column("fields", Text, nullable=False, server_default="[]"),
    Column("actor", Text, nullable=True),
    Column("via", String(64), nullable=True),
    Column("provenance", Text, nullable=True),  # removals only: who removed it
    Index("ix_changes_observed_id", "observed_at", "id"),  # time ranges and keyset pages
    Index("ix_changes_scope_observed", "scope_id", "observed_at"),
    Index("ix_changes_type_observed", "tf_type", "observed_at"),
    Index("ix_changes_resource_observed", "resource_id", "observed_at"),
)

change_events = Table(
    "change_events",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("source", String(128), nullable=False),
    Column("external_id", String(512), nullable=False),
    Column("kind", String(64), nullable=False),
    Column("summary", Text, nullable=False),
    Column("started_at", BigInteger, nullable=False),
    Column("finished_at", BigInteger, nullable=True),
    Column("received_at", BigInteger, nullable=False),
    Column("actor", Text, nullable=True),
    Column("services", Text, nullable=False, server_default="[]"),
    Column("links", Text, nullable=False, server_default="[]"),
    Column("resources", Text, nullable=False, server_default="[]"),
    Column("reviewed", Boolean, nullable=True),
    Column("emergency", Boolean, nullable=False, server_default=false()),
    Column("details", Text, nullable=False, server_default="{}"),
    UniqueConstraint("source", "external_id", name="uq_change_events_source_id"),
    Index("ix_change_events_started", "started_at"),
)

cursors = Table(
    "cursors",
    metadata,
    Column("name", String(512), primary_key=True),
    Column("value", Text, nullable=False),
    Column("updated_at", BigInteger, nullable=False),
)

incidents = Table(
    "incidents",
    metadata,
    Column("id", String(512), primary_key=True),
    Column("onset", BigInteger, nullable=False),
    Column("received_at", BigInteger, nullable=False),
    Column("services", Text, nullable=False, server_default="[]"),
    Column("severity", String(64), nullable=False, server_default=""),
    Column("title", Text, nullable=False, server_default=""),
    Column("source", String(64), nullable=False, server_default=""),
    Column("labels", Text, nullable=False, server_default="{}"),
    Column("annotations", Text, nullable=False, server_default="{}"),
    Index("ix_incidents_onset", "onset"),
)

drift_findings = Table(
    "drift_findings",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("finding_key", Text, nullable=False),
    Column("kind", String(16), nullable=False),
    Column("key_text", Text, nullable=False),
    Column("address", Text, nullable=False, server_default=""),
    Column("stack", Text, nullable=False, server_default=""),
    Column("account", String(64), nullable=False),
    Column("region", String(64), nullable=False),
    Column("tf_type", String(128), nullable=False),
    Column("status", String(16), nullable=False),
    Column("severity", String(16), nullable=False),
    Column("first_seen", BigInteger, nullable=False),
    Column("last_seen", BigInteger, nullable=False),
    Column("occurrences", Integer, nullable=False),
    Column("owner", Text, nullable=True),
    Column("reason", Text, nullable=True),
    Column("expires_at", BigInteger, nullable=True),
    Column("resolved_at", BigInteger, nullable=True),
    Column("change_time", BigInteger, nullable=True),
    UniqueConstraint("finding_key", name="uq_drift_findings_key"),
    Index("ix_drift_findings_status", "status"),
)

drift_transitions = Table(
    "drift_transitions",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("finding_id", Integer, ForeignKey("drift_findings.id"), nullable=False),
    Column("at", BigInteger, nullable=False),
    Column("from_status", String(16), nullable=True),
    Column("to_status", String(16), nullable=False),
    Column("by", Text, nullable=False),
    Column("reason", Text, nullable=False, server_default=""),
    Index("ix_drift_transitions_finding", "finding_id", "at"),
)

api_tokens = Table(
    "api_tokens",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("name", String(128), nullable=False),
    Column("role", String(32), nullable=False),
    Column("token_hash", String(64), nullable=False),
    Column("prefix", String(16), nullable=False),
    Column("created_at", BigInteger, nullable=False),
    Column("created_by", Text, nullable=False, server_default=""),
    Column("expires_at", BigInteger, nullable=True),
    Column("revoked_at", BigInteger, nullable=True),
    Column("last_used_at", BigInteger, nullable=True),
    UniqueConstraint("name", name="uq_api_tokens_name"),
    UniqueConstraint("token_hash", name="uq_api_tokens_hash"),
)

approvals = Table(
    "approvals",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("change_id", Integer, ForeignKey("changes.id"), nullable=False),
    Column("approver", Text, nullable=False),
    Column("reason", Text, nullable=False),
    Column("kind", String(16), nullable=False),
    Column("recorded_at", BigInteger, nullable=False),
    Column("recorded_by", Text, nullable=False, server_default=""),
    Index("ix_approvals_change", "change_id"),
)

job_leases = Table(
    "job_leases",
    metadata,
    Column("name", String(128), primary_key=True),
    Column("holder", String(256), nullable=False, server_default=""),
    Column("expires_at", BigInteger, nullable=False, server_default="0"),
    Column("last_started", BigInteger, nullable=True),
    Column("last_finished", BigInteger, nullable=True),
    Column("last_outcome", Text, nullable=False, server_default=""),
)

audit_checkpoints = Table(
    "audit_checkpoints",
    metadata,
    Column("seq", Integer, primary_key=True, autoincrement=False),
    Column("created_at", BigInteger, nullable=False),
    Column("heads", Text, nullable=False),
    Column("prev_hash", String(64), nullable=False),
    Column("chain_hash", String(64), nullable=False),
    Column("key_id", String(32), nullable=False),
    Column("signature", Text, nullable=False),
    UniqueConstraint("prev_hash", name="uq_audit_checkpoints_prev"),
)
