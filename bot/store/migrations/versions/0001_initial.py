"""Feedback sessions, answers, desired outcomes and the audit log.

Revision ID: 0001
Revises:
Create Date: 2026-11-23
"""
import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "feedback_session",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("conversation_id", sa.String(255), nullable=False),
        sa.Column("case_ref", sa.String(64), nullable=False),
        sa.Column("respondent", sa.String(20)),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("completed_at", sa.DateTime(timezone=True)),
        sa.Column("outcomes_asked", sa.String(30)),
        sa.Column("risk_result", sa.String(20)),
        sa.Column("other_comments", sa.Text),
        sa.Column("disclosure_flag", sa.Boolean, nullable=False),
    )
    op.create_index("ix_feedback_session_conversation_id", "feedback_session", ["conversation_id"])
    op.create_index("ix_feedback_session_case_ref", "feedback_session", ["case_ref"])
    op.create_table(
        "feedback_answer",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("session_id", sa.String(36), sa.ForeignKey("feedback_session.id", ondelete="CASCADE"), nullable=False),
        sa.Column("question_key", sa.String(40), nullable=False),
        sa.Column("value", sa.String(20), nullable=False),
        sa.Column("comment", sa.Text),
        sa.Column("answered_at", sa.DateTime(timezone=True), nullable=False),
        sa.UniqueConstraint("session_id", "question_key"),
    )
    op.create_table(
        "desired_outcome",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("session_id", sa.String(36), sa.ForeignKey("feedback_session.id", ondelete="CASCADE"), nullable=False),
        sa.Column("position", sa.Integer, nullable=False),
        sa.Column("outcome", sa.String(40), nullable=False),
        sa.Column("own_words", sa.Text),
        sa.Column("achieved", sa.String(20)),
        sa.UniqueConstraint("session_id", "position"),
    )
    op.create_table(
        "audit_log",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("actor", sa.String(100), nullable=False),
        sa.Column("action", sa.String(40), nullable=False),
        sa.Column("detail", sa.Text),
        sa.Column("rows", sa.Integer, nullable=False),
    )


def downgrade() -> None:
    op.drop_table("audit_log")
    op.drop_table("desired_outcome")
    op.drop_table("feedback_answer")
    op.drop_index("ix_feedback_session_case_ref", "feedback_session")
    op.drop_index("ix_feedback_session_conversation_id", "feedback_session")
    op.drop_table("feedback_session")
