"""The only door to stored feedback. It owns transactions: each public method
is one unit of work that commits or rolls back whole; callers never see a
SQLAlchemy session."""
from __future__ import annotations

import uuid
from contextlib import contextmanager
from datetime import datetime, timezone
from typing import Dict, Iterable, Iterator, List, Optional, Sequence, Tuple

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from bot.store.models import (
    ACHIEVED,
    ANSWER_VALUES,
    OUTCOMES_ASKED,
    QUESTION_KEYS,
    RESPONDENTS,
    RISK_RESULTS,
    SAFETY_EVENT_KINDS,
    AuditEntry,
    DesiredOutcome,
    FeedbackAnswer,
    FeedbackSession,
    QuizAttempt,
    SafetyEvent,
)


class UnknownSession(LookupError):
    """No feedback session with that id."""


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


def _as_utc(value: Optional[datetime]) -> Optional[datetime]:
    # SQLite hands back naive datetimes; everything stored is UTC.
    if value is None:
        return None
    return value if value.tzinfo else value.replace(tzinfo=timezone.utc)


def _check(value: Optional[str], allowed: Sequence[str], what: str) -> None:
    if value is not None and value not in allowed:
        raise ValueError(f"{what} must be one of {', '.join(allowed)}, not {value!r}")


# Session fields a caller may set, with their allowed values (None: free text).
SESSION_FIELDS = {
    "respondent": RESPONDENTS,
    "outcomes_asked": OUTCOMES_ASKED,
    "risk_result": RISK_RESULTS,
    "other_comments": None,
}


def _check_fields(fields: dict) -> None:
    for name, value in fields.items():
        if name not in SESSION_FIELDS:
            raise ValueError(f"{name} is not a session field")
        if SESSION_FIELDS[name] is not None:
            _check(value, SESSION_FIELDS[name], name)


def _in_period(query, column, since: Optional[datetime], until: Optional[datetime]):
    """[since, until): either end may be open."""
    if since is not None:
        query = query.where(column >= since)
    if until is not None:
        query = query.where(column < until)
    return query


def _newest_draft(session: Session, case_ref: str) -> Optional[FeedbackSession]:
    return session.execute(
        select(FeedbackSession)
        .where(FeedbackSession.case_ref == case_ref, FeedbackSession.status == "draft")
        .order_by(FeedbackSession.started_at.desc())
    ).scalars().first()


class _Repository:
    def __init__(self, sessions: sessionmaker):
        self._sessions = sessions

    @contextmanager
    def _unit_of_work(self) -> Iterator[Session]:
        session = self._sessions()
        try:
            yield session
            session.commit()
        except BaseException:
            session.rollback()
            raise
        finally:
            session.close()


class TrainingRepository(_Repository):
    """Training attempts, for the training figures of the report."""

    def record_attempt(self, learner_id: str, round_id: str, quiz_topic: str, item_id: str, correct: bool,
                       skipped: bool = False, at: Optional[datetime] = None) -> None:
        """Store one answer of a round; the same item in the same round is
        stored once, so a retried action never counts twice."""
        with self._unit_of_work() as session:
            exists = session.execute(
                select(QuizAttempt.id).where(QuizAttempt.round_id == round_id, QuizAttempt.item_id == item_id)
            ).first()
            if exists is None:
                session.add(QuizAttempt(learner_id=learner_id, round_id=round_id, quiz_topic=quiz_topic,
                                        item_id=item_id, correct=bool(correct) and not skipped,
                                        skipped=bool(skipped), at=at or utcnow()))

    def attempts(self, since: Optional[datetime] = None, until: Optional[datetime] = None) -> List[dict]:
        query = _in_period(select(QuizAttempt).order_by(QuizAttempt.at, QuizAttempt.id), QuizAttempt.at, since, until)
        with self._unit_of_work() as session:
            return [
                {"learner_id": a.learner_id, "round_id": a.round_id, "quiz_topic": a.quiz_topic,
                 "item_id": a.item_id, "correct": bool(a.correct), "skipped": bool(a.skipped),
                 "at": _as_utc(a.at)}
                for a in session.execute(query).scalars()
            ]


class FeedbackRepository(_Repository):
    @staticmethod
    def _get(session: Session, session_id: str) -> FeedbackSession:
        found = session.get(FeedbackSession, session_id)
        if found is None:
            raise UnknownSession(session_id)
        return found

    # -- sessions -----------------------------------------------------------
    def open_session(self, conversation_id: str, case_ref: str, at: Optional[datetime] = None) -> str:
        """The draft for this case (a resumed conversation), or a new one.
        `at` backdates a new session (demo data only)."""
        with self._unit_of_work() as session:
            draft = _newest_draft(session, case_ref)
            if draft is not None:
                draft.conversation_id = conversation_id
                draft.updated_at = utcnow()
                return draft.id
            now = at or utcnow()
            new = FeedbackSession(
                id=str(uuid.uuid4()),
                conversation_id=conversation_id,
                case_ref=case_ref,
                status="draft",
                started_at=now,
                updated_at=now,
                disclosure_flag=False,
            )
            session.add(new)
            return new.id

    def update_session(self, session_id: str, **fields) -> None:
        """Set respondent, outcomes_asked, risk_result or other_comments."""
        _check_fields(fields)
        with self._unit_of_work() as session:
            found = self._get(session, session_id)
            for name, value in fields.items():
                setattr(found, name, value)
            found.updated_at = utcnow()

    def record_answer(self, session_id: str, question_key: str, value: str, comment: Optional[str] = None) -> None:
        """Store one closing answer; a repeat replaces it, never duplicates it."""
        _check(question_key, QUESTION_KEYS, "question_key")
        _check(value, ANSWER_VALUES, "value")
        for attempt in range(2):
            try:
                with self._unit_of_work() as session:
                    found = self._get(session, session_id)
                    now = utcnow()
                    row = session.execute(
                        select(FeedbackAnswer).where(
                            FeedbackAnswer.session_id == session_id,
                            FeedbackAnswer.question_key == question_key,
                        )
                    ).scalars().first()
                    if row is None:
                        session.add(
                            FeedbackAnswer(
                                session_id=session_id,
                                question_key=question_key,
                                value=value,
                                comment=comment,
                                answered_at=now,
                            )
                        )
                    else:
                        row.value, row.comment, row.answered_at = value, comment, now
                    found.updated_at = now
                return
            except IntegrityError:
                # A concurrent retry inserted the same answer first: update it.
                if attempt:
                    raise

    def set_outcomes(self, session_id: str, outcomes: Iterable[dict]) -> None:
        """Replace the desired outcomes: dicts of outcome, own_words, achieved."""
        outcomes = list(outcomes)
        for item in outcomes:
            _check(item.get("achieved"), ACHIEVED, "achieved")
        with self._unit_of_work() as session:
            found = self._get(session, session_id)
            found.outcomes.clear()
            session.flush()
            for position, item in enumerate(outcomes):
                found.outcomes.append(
                    DesiredOutcome(
                        position=position,
                        outcome=item["outcome"],
                        own_words=item.get("own_words"),
                        achieved=item.get("achieved"),
                    )
                )
            found.updated_at = utcnow()

    def save_snapshot(
        self,
        session_id: str,
        fields: dict,
        answers: Dict[str, Tuple[str, Optional[str]]],
        outcomes: Optional[List[dict]] = None,
    ) -> None:
        """Write everything known about a session in one transaction: the
        fields, every answer given so far (upserted) and, when given, the
        outcomes. Repeating it changes nothing, so a retried or delayed save
        can never duplicate a row."""
        _check_fields(fields)
        for key, (value, _comment) in answers.items():
            _check(key, QUESTION_KEYS, "question_key")
            _check(value, ANSWER_VALUES, "value")
        for item in outcomes or []:
            _check(item.get("achieved"), ACHIEVED, "achieved")
        with self._unit_of_work() as session:
            found = self._get(session, session_id)
            now = utcnow()
            for name, value in fields.items():
                setattr(found, name, value)
            existing = {a.question_key: a for a in found.answers}
            for key, (value, comment) in answers.items():
                row = existing.get(key)
                if row is None:
                    found.answers.append(
                        FeedbackAnswer(question_key=key, value=value, comment=comment, answered_at=now)
                    )
                elif (row.value, row.comment) != (value, comment):
                    row.value, row.comment, row.answered_at = value, comment, now
            if outcomes is not None:
                current = [(o.outcome, o.own_words, o.achieved) for o in found.outcomes]
                wanted = [(o["outcome"], o.get("own_words"), o.get("achieved")) for o in outcomes]
                if current != wanted:
                    found.outcomes.clear()
                    session.flush()
                    for position, (outcome, own_words, achieved) in enumerate(wanted):
                        found.outcomes.append(
                            DesiredOutcome(position=position, outcome=outcome, own_words=own_words, achieved=achieved)
                        )
            found.updated_at = now

    def find_draft(self, case_ref: str) -> Optional[dict]:
        """The newest draft for a case reference, with its id, or None."""
        with self._unit_of_work() as session:
            draft = _newest_draft(session, case_ref)
            return None if draft is None else {"id": draft.id, **_export_row(draft)}

    def flag_disclosure(self, session_id: str, step: Optional[str] = None, category: Optional[str] = None,
                        words: Optional[str] = None, at: Optional[datetime] = None) -> None:
        """Flag the session and keep what was said, with its step. The flag
        is never cleared: carrying on or completing keeps it."""
        with self._unit_of_work() as session:
            found = self._get(session, session_id)
            now = at or utcnow()
            found.disclosure_flag = True
            found.updated_at = now
            if words is not None or step is not None:
                found.safety_events.append(SafetyEvent(kind="disclosure", step=step, category=category,
                                                       words=words, at=now))

    def record_safety_plan(self, session_id: str, kind: str, at: Optional[datetime] = None) -> None:
        """The practitioner was asked to review the safety plan
        (safety_plan_prompted), or confirmed they had (safety_plan_reviewed)."""
        _check(kind, SAFETY_EVENT_KINDS[1:], "safety plan event")
        with self._unit_of_work() as session:
            found = self._get(session, session_id)
            now = at or utcnow()
            found.safety_events.append(SafetyEvent(kind=kind, at=now))
            found.updated_at = now

    def complete(self, session_id: str, at: Optional[datetime] = None) -> None:
        """Mark completed; completing twice keeps the first completion time."""
        with self._unit_of_work() as session:
            found = self._get(session, session_id)
            if found.status != "completed":
                found.status = "completed"
                found.completed_at = at or utcnow()
                found.updated_at = found.completed_at

    # -- reading ------------------------------------------------------------
    def get(self, session_id: str) -> dict:
        with self._unit_of_work() as session:
            return _export_row(self._get(session, session_id))

    def export(self, since: Optional[datetime] = None, until: Optional[datetime] = None) -> List[dict]:
        """One dict per session started in [since, until), oldest first."""
        query = select(FeedbackSession).order_by(FeedbackSession.started_at, FeedbackSession.id)
        query = _in_period(query, FeedbackSession.started_at, since, until)
        with self._unit_of_work() as session:
            return [_export_row(found) for found in session.execute(query).scalars()]

    def purge_before(self, cutoff: datetime, dry_run: bool = False) -> int:
        """Delete sessions last changed before the cutoff, with their answers
        and outcomes; returns how many sessions."""
        with self._unit_of_work() as session:
            old = session.execute(select(FeedbackSession).where(FeedbackSession.updated_at < cutoff)).scalars().all()
            if not dry_run:
                for found in old:
                    session.delete(found)
            return len(old)

    def audit(self, actor: str, action: str, detail: str, rows: int) -> None:
        with self._unit_of_work() as session:
            session.add(AuditEntry(at=utcnow(), actor=actor, action=action, detail=detail, rows=rows))

    def audit_log(self) -> List[dict]:
        with self._unit_of_work() as session:
            entries = session.execute(select(AuditEntry).order_by(AuditEntry.id)).scalars()
            return [
                {"at": _as_utc(e.at), "actor": e.actor, "action": e.action, "detail": e.detail, "rows": e.rows}
                for e in entries
            ]


EXPORT_FIELDS = (
    ["case_ref", "respondent", "status", "started_at", "completed_at", "outcomes_asked", "outcomes"]
    + list(QUESTION_KEYS)
    + [f"{key}_comment" for key in QUESTION_KEYS]
    + ["risk_result", "other_comments", "disclosure_flag", "disclosures", "safety_plan"]
)


def _export_row(found: FeedbackSession) -> dict:
    answers = {a.question_key: a for a in found.answers}
    row = {
        "case_ref": found.case_ref,
        "respondent": found.respondent,
        "status": found.status,
        "started_at": _as_utc(found.started_at),
        "completed_at": _as_utc(found.completed_at),
        "outcomes_asked": found.outcomes_asked,
        "outcomes": [
            {"outcome": o.outcome, "own_words": o.own_words, "achieved": o.achieved} for o in found.outcomes
        ],
    }
    for key in QUESTION_KEYS:
        row[key] = answers[key].value if key in answers else None
    for key in QUESTION_KEYS:
        row[f"{key}_comment"] = answers[key].comment if key in answers else None
    row.update(
        risk_result=found.risk_result,
        other_comments=found.other_comments,
        disclosure_flag=bool(found.disclosure_flag),
        disclosures=[
            {"step": e.step, "category": e.category, "words": e.words, "at": _as_utc(e.at)}
            for e in found.safety_events if e.kind == "disclosure"
        ],
        safety_plan=_safety_plan_state(found.safety_events),
    )
    return row


def _safety_plan_state(events) -> Optional[str]:
    """'reviewed', 'prompted' (asked, not yet confirmed) or None (never asked)."""
    kinds = {e.kind for e in events}
    if "safety_plan_reviewed" in kinds:
        return "reviewed"
    return "prompted" if "safety_plan_prompted" in kinds else None
