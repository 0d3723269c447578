"""Incidents: what broke and when, for "which changes preceded incident X?".

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-26
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "incidents",
        sa.Column("id", sa.String(512), primary_key=True),
        sa.Column("onset", sa.BigInteger, nullable=False),
        sa.Column("received_at", sa.BigInteger, nullable=False),
        sa.Column("services", sa.Text, nullable=False, server_default="[]"),
        sa.Column("severity", sa.String(64), nullable=False, server_default=""),
        sa.Column("title", sa.Text, nullable=False, server_default=""),
        sa.Column("source", sa.String(64), nullable=False, server_default=""),
        sa.Column("labels", sa.Text, nullable=False, server_default="{}"),
        sa.Column("annotations", sa.Text, nullable=False, server_default="{}"),
    )
    op.create_index("ix_incidents_onset", "incidents", ["onset"])


def downgrade() -> None:
    op.drop_table("incidents")
