"""Voice profiles in the database instead of a folder per machine.

The JSON files of <data dir>/voices are moved in by `api.voices.import_voice_files` when
the server, a worker or the CLI next opens the database (a migration does not know the
data dir).

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-07
"""

import sqlalchemy as sa
from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "voice_profiles",
        sa.Column("name", sa.String(200), primary_key=True),
        sa.Column("role", sa.String(12), nullable=False),
        sa.Column("backend", sa.String(40), nullable=False),
        sa.Column("embedding_json", sa.Text, nullable=False),
        sa.Column("consent_by", sa.Text),
        sa.Column("enrolled_at", sa.String(40)),
    )


def downgrade() -> None:
    op.drop_table("voice_profiles")
