"""Leases of the daemon's scheduled jobs (one run per period across processes).

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-26
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "job_leases",
        sa.Column("name", sa.String(128), primary_key=True),
        sa.Column("holder", sa.String(256), nullable=False, server_default=""),
        sa.Column("expires_at", sa.BigInteger, nullable=False, server_default="0"),
        sa.Column("last_started", sa.BigInteger, nullable=True),
        sa.Column("last_finished", sa.BigInteger, nullable=True),
        sa.Column("last_outcome", sa.Text, nullable=False, server_default=""),
    )


def downgrade() -> None:
    op.drop_table("job_leases")
