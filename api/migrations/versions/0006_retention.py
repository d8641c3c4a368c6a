"""When a recording was transcribed, and when its audio was deleted under the retention
setting (RIDEALONG_RETENTION_DAYS).

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-27
"""

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("recordings") as batch:
        batch.add_column(sa.Column("transcribed_at", sa.DateTime(timezone=True)))
        batch.add_column(sa.Column("audio_deleted_at", sa.DateTime(timezone=True)))
    # Recordings transcribed before: their last update is the best guess.
    op.execute("UPDATE recordings SET transcribed_at = updated_at WHERE status = 'done'")


def downgrade() -> None:
    with op.batch_alter_table("recordings") as batch:
        batch.drop_column("audio_deleted_at")
        batch.drop_column("transcribed_at")
