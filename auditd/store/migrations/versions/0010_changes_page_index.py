"""The changes' time index gains the id: the HTTP API's keyset pages are one range scan.

``GET /api/v1/changes`` pages by ``(observed_at, id)``.  With ``observed_at`` alone,
PostgreSQL had to sort every change sharing a timestamp (a first snapshot stores one
per resource, all at the same time) on each page; with both columns the row comparison
``(observed_at, id) > (:t, :id)`` starts the index scan at the cursor.  The new index
serves every query the old one did (its first column), so the old one is dropped.

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-27
"""

from __future__ import annotations

from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_changes_observed_id", "changes", ["observed_at", "id"])
    op.drop_index("ix_changes_observed", table_name="changes")


def downgrade() -> None:
    op.create_index("ix_changes_observed", "changes", ["observed_at"])
    op.drop_index("ix_changes_observed_id", table_name="changes")
