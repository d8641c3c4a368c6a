"""Speaker voice embeddings per recording, for enrolling a salesperson from a corrected one.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-24
"""

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("recordings") as batch:
        batch.add_column(sa.Column("voices_json", sa.Text()))


def downgrade() -> None:
    with op.batch_alter_table("recordings") as batch:
        batch.drop_column("voices_json")
