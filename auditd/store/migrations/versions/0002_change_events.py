"""Change events: deploys, Terraform applies and other tools' change records.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-26
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "change_events",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("source", sa.String(128), nullable=False),
        sa.Column("external_id", sa.String(512), nullable=False),
        sa.Column("kind", sa.String(64), nullable=False),
        sa.Column("summary", sa.Text, nullable=False),
        sa.Column("started_at", sa.BigInteger, nullable=False),
        sa.Column("finished_at", sa.BigInteger, nullable=True),
        sa.Column("received_at", sa.BigInteger, nullable=False),
        sa.Column("actor", sa.Text, nullable=True),
        sa.Column("services", sa.Text, nullable=False, server_default="[]"),
        sa.Column("links", sa.Text, nullable=False, server_default="[]"),
        sa.Column("resources", sa.Text, nullable=False, server_default="[]"),
        sa.Column("reviewed", sa.Boolean, nullable=True),
        sa.Column("emergency", sa.Boolean, nullable=False, server_default=sa.false()),
        sa.Column("details", sa.Text, nullable=False, server_default="{}"),
        sa.UniqueConstraint("source", "external_id", name="uq_change_events_source_id"),
    )
    op.create_index("ix_change_events_started", "change_events", ["started_at"])


def downgrade() -> None:
    op.drop_table("change_events")
