"""Per-recording glossary words (decoder hints for product and brand names).

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-23
"""

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("recordings") as batch:
        batch.add_column(sa.Column("glossary", sa.Text()))


def downgrade() -> None:
    with op.batch_alter_table("recordings") as batch:
        batch.drop_column("glossary")
