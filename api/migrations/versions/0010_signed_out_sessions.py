"""Signed-out web sessions: their cookies are refused until they would have expired.

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-28
"""

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "signed_out_sessions",
        sa.Column("ident", sa.String(64), primary_key=True),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_signed_out_sessions_expires_at", "signed_out_sessions", ["expires_at"])


def downgrade() -> None:
    op.drop_index("ix_signed_out_sessions_expires_at", "signed_out_sessions")
    op.drop_table("signed_out_sessions")
