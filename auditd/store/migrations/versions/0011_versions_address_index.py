"""Versions gain an index on ``address``: a resource's history is two index probes.

``Store.history(key)`` matches a key or a Terraform address.  Without an index on
``versions.address`` (and with the OR spanning ``resources`` and ``versions``) every
lookup scanned all versions: ~2 ms per key on 5,000 changes in SQLite, paid once per key
by the review listing and the state-address lookup.  The query is now a UNION of the
versions of the key's resources and the versions with that address, each an index probe
on SQLite and PostgreSQL.

Revision ID: 0011
Revises: 0010
Create Date: 2026-11-28
"""

from __future__ import annotations

from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_versions_address", "versions", ["address"])


def downgrade() -> None:
    op.drop_index("ix_versions_address", table_name="versions")
