"""Per-recording term statistics, running totals, utterances, questions and tags.

The report over all recordings becomes a query instead of re-reading every recording's
terms document. Existing recordings are stored on the next start (api/termstore.py,
`store_missing`), from their transcripts.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-27
"""

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def _recording_id() -> sa.Column:
    return sa.Column(
        "recording_id",
        sa.String(32),
        sa.ForeignKey("recordings.id", ondelete="CASCADE"),
        primary_key=True,
    )


def upgrade() -> None:
    with op.batch_alter_table("recordings") as batch:
        batch.add_column(sa.Column("stats_version", sa.Integer()))
    op.create_table(
        "recording_tags",
        _recording_id(),
        sa.Column("tag", sa.String(50), primary_key=True),
    )
    op.create_index("ix_recording_tags_tag", "recording_tags", ["tag"])
    op.create_table(
        "term_keys",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("key", sa.String(400), nullable=False, unique=True),
        sa.Column("language", sa.String(8), nullable=False),
        sa.Column("general", sa.Float(), nullable=False),
    )
    op.create_table(
        "term_counts",
        _recording_id(),
        sa.Column("term_id", sa.Integer(), sa.ForeignKey("term_keys.id"), primary_key=True),
        sa.Column("role", sa.String(12), primary_key=True),
        sa.Column("count", sa.Integer(), nullable=False),
        sa.Column("quotes", sa.String(60), nullable=False),
    )
    op.create_index("ix_term_counts_term_role_count", "term_counts", ["term_id", "role", "count"])
    op.create_table(
        "term_totals",
        sa.Column("term_id", sa.Integer(), sa.ForeignKey("term_keys.id"), primary_key=True),
        sa.Column("role", sa.String(12), primary_key=True),
        sa.Column("count", sa.Integer(), nullable=False),
        sa.Column("recordings", sa.Integer(), nullable=False),
    )
    op.create_index("ix_term_totals_role_count", "term_totals", ["role", "count"])
    op.create_table(
        "term_forms",
        sa.Column("term_id", sa.Integer(), sa.ForeignKey("term_keys.id"), primary_key=True),
        sa.Column("surface", sa.String(400), primary_key=True),
        sa.Column("count", sa.Integer(), nullable=False),
    )
    op.create_table(
        "word_totals",
        sa.Column("role", sa.String(12), primary_key=True),
        sa.Column("words", sa.Integer(), nullable=False),
    )
    op.create_table(
        "recording_words",
        _recording_id(),
        sa.Column("role", sa.String(12), primary_key=True),
        sa.Column("words", sa.Integer(), nullable=False),
    )
    op.create_table(
        "utterances",
        _recording_id(),
        sa.Column("idx", sa.Integer(), primary_key=True),
        sa.Column("start", sa.Float()),
        sa.Column("end", sa.Float()),
        sa.Column("role", sa.String(12), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
    )
    op.create_table(
        "questions",
        _recording_id(),
        sa.Column("idx", sa.Integer(), primary_key=True),
        sa.Column("role", sa.String(12), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("start", sa.Float()),
        sa.Column("end", sa.Float()),
        sa.Column("language", sa.String(8), nullable=False),
    )
    op.create_index("ix_questions_role", "questions", ["role"])


def downgrade() -> None:
    for table in (
        "questions",
        "utterances",
        "recording_words",
        "word_totals",
        "term_forms",
        "term_totals",
        "term_counts",
        "term_keys",
        "recording_tags",
    ):
        op.drop_table(table)
    with op.batch_alter_table("recordings") as batch:
        batch.drop_column("stats_version")
