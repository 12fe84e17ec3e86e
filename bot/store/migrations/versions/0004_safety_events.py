"""Safety events of a feedback session: disclosures with their step and words,
and the safety-plan review asked for and confirmed.

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-01
"""
import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "feedback_safety_event",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("session_id", sa.String(36), sa.ForeignKey("feedback_session.id", ondelete="CASCADE"), nullable=False),
        sa.Column("kind", sa.String(30), nullable=False),
        sa.Column("step", sa.String(40)),
        sa.Column("category", sa.String(30)),
        sa.Column("words", sa.Text),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_feedback_safety_event_session_id", "feedback_safety_event", ["session_id"])


def downgrade() -> None:
    op.drop_index("ix_feedback_safety_event_session_id", table_name="feedback_safety_event")
    op.drop_table("feedback_safety_event")
