"""Initial schema: scopes, snapshots, content-addressed blobs, resources, versions, changes.

Revision ID: 0001
Revises:
Create Date: 2026-11-26
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "meta",
        sa.Column("name", sa.String(64), primary_key=True),
        sa.Column("value", sa.Text, nullable=False),
    )
    op.create_table(
        "scopes",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("name", sa.String(512), nullable=False, unique=True),
        sa.Column("created_at", sa.BigInteger, nullable=False),
        sa.Column("last_snapshot_at", sa.BigInteger, nullable=True),
    )
    op.create_table(
        "snapshots",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("scope_id", sa.Integer, sa.ForeignKey("scopes.id"), nullable=False),
        sa.Column("taken_at", sa.BigInteger, nullable=False),
        sa.Column("ingested_at", sa.BigInteger, nullable=False),
        sa.Column("complete", sa.Boolean, nullable=False),
        sa.Column("errors", sa.Text, nullable=False, server_default="[]"),
        sa.Column("source", sa.Text, nullable=False, server_default=""),
        sa.Column("resource_count", sa.Integer, nullable=False),
        sa.Column("added", sa.Integer, nullable=False),
        sa.Column("modified", sa.Integer, nullable=False),
        sa.Column("removed", sa.Integer, nullable=False),
        sa.Column("protected", sa.Integer, nullable=False),
    )
    op.create_index("ix_snapshots_scope_taken", "snapshots", ["scope_id", "taken_at"])
    op.create_table(
        "blobs",
        sa.Column("hash", sa.String(64), primary_key=True),
        sa.Column("attrs", sa.Text, nullable=False),
    )
    op.create_table(
        "resources",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("scope_id", sa.Integer, sa.ForeignKey("scopes.id"), nullable=False),
        sa.Column("origin", sa.String(16), nullable=False),
        sa.Column("provider", sa.String(64), nullable=False),
        sa.Column("tf_type", sa.String(128), nullable=False),
        sa.Column("account", sa.String(64), nullable=False),
        sa.Column("region", sa.String(64), nullable=False),
        sa.Column("rid", sa.Text, nullable=False),
        sa.Column("key_text", sa.Text, nullable=False),
        sa.UniqueConstraint("scope_id", "origin", "key_text", name="uq_resources_scope_origin_key"),
    )
    op.create_index("ix_resources_key_text", "resources", ["key_text"])
    op.create_index("ix_resources_tf_type", "resources", ["tf_type"])
    op.create_table(
        "versions",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("resource_id", sa.Integer, sa.ForeignKey("resources.id"), nullable=False),
        sa.Column("scope_id", sa.Integer, sa.ForeignKey("scopes.id"), nullable=False),
        sa.Column("content_hash", sa.String(64), sa.ForeignKey("blobs.hash"), nullable=False),
        sa.Column("raw_digest", sa.LargeBinary(16), nullable=True),
        sa.Column("snapshot_id", sa.Integer, sa.ForeignKey("snapshots.id"), nullable=False),
        sa.Column("valid_from", sa.BigInteger, nullable=False),
        sa.Column("valid_to", sa.BigInteger, nullable=True),
        sa.Column("first_seen", sa.BigInteger, nullable=False),
        sa.Column("last_seen", sa.BigInteger, nullable=False),
        sa.Column("address", sa.Text, nullable=False, server_default=""),
        sa.Column("provenance", sa.Text, nullable=False, server_default="{}"),
    )
    op.create_index("ix_versions_resource_from", "versions", ["resource_id", "valid_from"])
    op.create_index("ix_versions_current", "versions", ["scope_id"],
                    sqlite_where=sa.text("valid_to IS NULL"),
                    postgresql_where=sa.text("valid_to IS NULL"))
    op.create_index("ix_versions_scope_from", "versions", ["scope_id", "valid_from"])
    op.create_table(
        "changes",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("snapshot_id", sa.Integer, sa.ForeignKey("snapshots.id"), nullable=False),
        sa.Column("scope_id", sa.Integer, sa.ForeignKey("scopes.id"), nullable=False),
        sa.Column("resource_id", sa.Integer, sa.ForeignKey("resources.id"), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("observed_at", sa.BigInteger, nullable=False),
        sa.Column("origin", sa.String(16), nullable=False),
        sa.Column("tf_type", sa.String(128), nullable=False),
        sa.Column("account", sa.String(64), nullable=False),
        sa.Column("region", sa.String(64), nullable=False),
        sa.Column("key_text", sa.Text, nullable=False),
        sa.Column("address", sa.Text, nullable=False, server_default=""),
        sa.Column("before_version_id", sa.Integer, sa.ForeignKey("versions.id"), nullable=True),
        sa.Column("after_version_id", sa.Integer, sa.ForeignKey("versions.id"), nullable=True),
        sa.Column("before_hash", sa.String(64), nullable=True),
        sa.Column("after_hash", sa.String(64), nullable=True),
        sa.Column("fields", sa.Text, nullable=False, server_default="[]"),
        sa.Column("actor", sa.Text, nullable=True),
        sa.Column("via", sa.String(64), nullable=True),
    )
    op.create_index("ix_changes_observed", "changes", ["observed_at"])
    op.create_index("ix_changes_scope_observed", "changes", ["scope_id", "observed_at"])
    op.create_index("ix_changes_type_observed", "changes", ["tf_type", "observed_at"])
    op.create_index("ix_changes_resource_observed", "changes", ["resource_id", "observed_at"])


def downgrade() -> None:
    for table in ("changes", "versions", "resources", "blobs", "snapshots", "scopes", "meta"):
        op.drop_table(table)
