"""What a long transcription has finished, so a killed job resumes instead of starting over.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-24
"""

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("recordings") as batch:
        batch.add_column(sa.Column("checkpoint_json", sa.Text()))


def downgrade() -> None:
    with op.batch_alter_table("recordings") as batch:
        batch.drop_column("checkpoint_json")
