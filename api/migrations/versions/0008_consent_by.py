"""Who confirmed a recording's consent (an API key's name, or the web form and its address).

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-27
"""

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("recordings") as batch:
        batch.add_column(sa.Column("consent_by", sa.String(200)))


def downgrade() -> None:
    with op.batch_alter_table("recordings") as batch:
        batch.drop_column("consent_by")
