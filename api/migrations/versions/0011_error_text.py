"""A failed job's error kept as its message and values too, so pages can translate it.

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-06
"""

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("recordings") as batch:
        batch.add_column(sa.Column("error_text_json", sa.Text))


def downgrade() -> None:
    with op.batch_alter_table("recordings") as batch:
        batch.drop_column("error_text_json")
