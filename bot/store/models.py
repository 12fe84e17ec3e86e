"""Tables for what the assistant keeps. No names, addresses, dates of birth or
NHS numbers: a session is known by the organisation's case reference only."""
from __future__ import annotations

from sqlalchemy import (
    Boolean,
    Column,
    DateTime,
    ForeignKey,
    Integer,
    String,
    Text,
    UniqueConstraint,
    false,
)
from sqlalchemy.orm import declarative_base, relationship

Base = declarative_base()

QUESTION_KEYS = (
    "goals_achieved",
    "had_chance_to_say",
    "listened_to",
    "acted_on_wishes",
    "feels_safe",
    "feels_happier",
)
ANSWER_VALUES = ("yes", "partly", "no", "not_answered")
RESPONDENTS = ("adult", "representative", "advocate")
SESSION_STATUSES = ("draft", "completed")
OUTCOMES_ASKED = ("asked_expressed", "asked_none_expressed", "not_asked", "dont_know")
ACHIEVED = ("fully", "partially", "not")
RISK_RESULTS = ("removed", "reduced", "remains", "none_identified")


class FeedbackSession(Base):
    """One closing-enquiry feedback conversation about one case."""

    __tablename__ = "feedback_session"

    id = Column(String(36), primary_key=True)
    # Rasa's sender id, so a dropped chat finds its draft again.
    conversation_id = Column(String(255), nullable=False, index=True)
    case_ref = Column(String(64), nullable=False, index=True)
    respondent = Column(String(20))
    status = Column(String(20), nullable=False, default="draft")
    started_at = Column(DateTime(timezone=True), nullable=False)
    updated_at = Column(DateTime(timezone=True), nullable=False)
    completed_at = Column(DateTime(timezone=True))
    outcomes_asked = Column(String(30))
    risk_result = Column(String(20))
    other_comments = Column(Text)
    disclosure_flag = Column(Boolean, nullable=False, default=False)

    answers = relationship(
        "FeedbackAnswer", back_populates="session", cascade="all, delete-orphan", lazy="selectin"
    )
    safety_events = relationship(
        "SafetyEvent", back_populates="session", cascade="all, delete-orphan", lazy="selectin",
        order_by="SafetyEvent.id",
    )
    outcomes = relationship(
        "DesiredOutcome",
        back_populates="session",
        cascade="all, delete-orphan",
        lazy="selectin",
        order_by="DesiredOutcome.position",
    )


class FeedbackAnswer(Base):
    """The answer to one of the six closing questions; one row per question."""

    __tablename__ = "feedback_answer"
    __table_args__ = (UniqueConstraint("session_id", "question_key"),)

    id = Column(Integer, primary_key=True, autoincrement=True)
    session_id = Column(String(36), ForeignKey("feedback_session.id", ondelete="CASCADE"), nullable=False)
    question_key = Column(String(40), nullable=False)
    value = Column(String(20), nullable=False)
    comment = Column(Text)
    answered_at = Column(DateTime(timezone=True), nullable=False)

    session = relationship("FeedbackSession", back_populates="answers")


class DesiredOutcome(Base):
    """An outcome the adult wanted: one of the nine of seed 000 §5 or their own words."""

    __tablename__ = "desired_outcome"
    __table_args__ = (UniqueConstraint("session_id", "position"),)

    id = Column(Integer, primary_key=True, autoincrement=True)
    session_id = Column(String(36), ForeignKey("feedback_session.id", ondelete="CASCADE"), nullable=False)
    position = Column(Integer, nullable=False)
    outcome = Column(String(40), nullable=False)
    own_words = Column(Text)
    achieved = Column(String(20))

    session = relationship("FeedbackSession", back_populates="outcomes")


SAFETY_EVENT_KINDS = ("disclosure", "safety_plan_prompted", "safety_plan_reviewed")


class SafetyEvent(Base):
    """What the safety net raised in a feedback session, with the step it was
    said at and the person's own words (a disclosure), or that the
    practitioner was asked to review, and reviewed, the safety plan."""

    __tablename__ = "feedback_safety_event"

    id = Column(Integer, primary_key=True, autoincrement=True)
    session_id = Column(String(36), ForeignKey("feedback_session.id", ondelete="CASCADE"), nullable=False, index=True)
    kind = Column(String(30), nullable=False)
    step = Column(String(40))
    category = Column(String(30))
    words = Column(Text)
    at = Column(DateTime(timezone=True), nullable=False)

    session = relationship("FeedbackSession", back_populates="safety_events")


class AuditEntry(Base):
    """Who exported, reported or purged what, and when."""

    __tablename__ = "audit_log"

    id = Column(Integer, primary_key=True, autoincrement=True)
    at = Column(DateTime(timezone=True), nullable=False)
    actor = Column(String(100), nullable=False)
    action = Column(String(40), nullable=False)
    detail = Column(Text)
    rows = Column(Integer, nullable=False, default=0)


class QuizAttempt(Base):
    """One answer in a training round. The learner is an anonymous id taken
    from the conversation, never a name."""

    __tablename__ = "quiz_attempt"
    __table_args__ = (UniqueConstraint("round_id", "item_id"),)

    id = Column(Integer, primary_key=True, autoincrement=True)
    learner_id = Column(String(64), nullable=False, index=True)
    round_id = Column(String(64), nullable=False)
    quiz_topic = Column(String(40), nullable=False)
    item_id = Column(String(40), nullable=False)
    correct = Column(Boolean, nullable=False)
    skipped = Column(Boolean, nullable=False, default=False, server_default=false())
    at = Column(DateTime(timezone=True), nullable=False)
