"""The closing-enquiry feedback conversation: which step comes next, what each
answer means, what is said back, and saving what was given.

The conversation state lives in Rasa slots (so a dropped chat keeps it); this
module turns a step and a reply into new slot values and a message, and saves
a snapshot of everything known after every step. Saving is idempotent, so if
the database is down the answers stay in the conversation and reach the
database with the next successful save, without duplicates.
"""
from __future__ import annotations

import logging
import re
from dataclasses import dataclass, field
from typing import Any, Dict, List, Optional

from sqlalchemy.exc import SQLAlchemyError

from bot import privacy
from bot.feedback import answers
from bot.feedback.questionnaire import questionnaire
from bot.store import FeedbackRepository
from bot.store.models import ANSWER_VALUES, OUTCOMES_ASKED, QUESTION_KEYS, RESPONDENTS, RISK_RESULTS

logger = logging.getLogger(__name__)

# Slots the flow owns, besides the steps themselves.
SESSION_SLOT = "feedback_session_id"
RATINGS_SLOT = "outcome_ratings"
COMMENTS_SLOT = "answer_comments"
PENDING_SLOT = "pending_comment"
SIMPLER_SLOT = "feedback_simpler"
UNSAVED_SLOT = "feedback_unsaved"
SAFETY_PLAN_SLOT = "safety_plan_reviewed"
SAFETY_STOP_SLOT = "feedback_safety_stop"  # the questions stopped for a disclosure read in an answer
DISCLOSED_SLOT = "feedback_disclosed"  # a disclosure was made in this feedback (the session is flagged)

FIRST_STEPS = ["case_ref", "respondent", "outcomes_asked"]
OUTCOME_STEPS = ["outcomes_chosen", "outcome_rating"]
LAST_STEPS = [*QUESTION_KEYS, "risk_result", "other_comments"]
ALL_STEPS = FIRST_STEPS + OUTCOME_STEPS + LAST_STEPS
FLOW_SLOTS = ALL_STEPS + [SESSION_SLOT, RATINGS_SLOT, COMMENTS_SLOT, PENDING_SLOT, SIMPLER_SLOT, UNSAVED_SLOT,
                          SAFETY_PLAN_SLOT, SAFETY_STOP_SLOT, DISCLOSED_SLOT]
RATINGS_DONE = "done"
NOTHING_MORE = ""  # other_comments when the adult had nothing to add

SKIP_BUTTON = {"title": "Skip this question", "payload": "skip"}
ANSWER_BUTTONS = [
    {"title": "Yes", "payload": "yes"},
    {"title": "Partly", "payload": "partly"},
    {"title": "No", "payload": "no"},
    SKIP_BUTTON,
]


@dataclass
class Reply:
    text: str
    buttons: List[dict] = field(default_factory=list)


@dataclass
class StepResult:
    slots: Dict[str, Any]
    replies: List[Reply] = field(default_factory=list)


def required_steps(slots: Dict[str, Any]) -> List[str]:
    """The steps of this conversation: outcomes are only gone through when the
    adult was asked and said what they wanted."""
    steps = list(FIRST_STEPS)
    if slots.get("outcomes_asked") == "asked_expressed":
        steps += OUTCOME_STEPS
    return steps + LAST_STEPS


def missing_steps(slots: Dict[str, Any]) -> List[str]:
    """The steps still unanswered: none left means the summary is next."""
    return [step for step in required_steps(slots) if slots.get(step) is None]


def chosen_outcomes(slots: Dict[str, Any]) -> List[dict]:
    return list(slots.get("outcomes_chosen") or [])


def outcome_label(item: dict) -> str:
    if item["outcome"] == "own_words":
        return item.get("own_words") or ""
    return questionnaire().outcome_label(item["outcome"])


def _options_buttons(options) -> List[dict]:
    return [{"title": o.title, "payload": key} for key, o in options.items()]


def question(step: str, slots: Dict[str, Any]) -> Reply:
    """How the step is asked, in the words that fit who is answering."""
    q = questionnaire()
    who = slots.get("respondent")
    simpler = bool(slots.get(SIMPLER_SLOT))
    if step == "case_ref":
        return Reply(q.prompt("case_ref", simpler=simpler))
    if step == "respondent":
        return Reply(q.prompt("respondent", simpler=simpler), _options_buttons(q.respondents))
    if step == "outcomes_asked":
        return Reply(q.prompt("outcomes_asked", who, simpler), _options_buttons(q.outcomes_asked))
    if step == "outcomes_chosen":
        listing = "\n".join(f"{n}. {label}" for n, label in enumerate(q.outcome_items.values(), start=1))
        return Reply(f"{q.prompt('outcomes', who, simpler)}\n{listing}")
    if step == "outcome_rating":
        items = chosen_outcomes(slots)
        index = min(len(slots.get(RATINGS_SLOT) or []), max(len(items) - 1, 0))
        label = outcome_label(items[index]) if items else ""
        return Reply(q.prompt("achieved", who, simpler, outcome=label), _options_buttons(q.achieved))
    if step in QUESTION_KEYS:
        number = q.number_of(step)
        return Reply(f"Question {number} of 6: {q.question(step, who, simpler)}", ANSWER_BUTTONS)
    if step == "risk_result":
        return Reply(q.prompt("risk_result", simpler=simpler), _options_buttons(q.risk_results))
    if step == "other_comments":
        return Reply(q.prompt("other_comments", who, simpler), [{"title": "Nothing else", "payload": "nothing else"}])
    raise ValueError(f"unknown step {step}")


class FeedbackFlow:
    def __init__(self, repository: FeedbackRepository, case_ref_pattern: str):
        self.repository = repository
        self.case_ref = re.compile(rf"(?:{case_ref_pattern})")

    # -- case reference ------------------------------------------------------
    def find_case_ref(self, text: str) -> Optional[str]:
        """A case reference mentioned in a sentence ("resume case ABC-1234")."""
        for token in re.findall(r"[A-Za-z0-9-]+", text or ""):
            if self.case_ref.fullmatch(token):
                return token.upper()
        return None

    def check_case_ref(self, text: str) -> Optional[str]:
        """Why this is not an acceptable case reference, or None when it is."""
        text = (text or "").strip()
        kind = privacy.identifier_kind(text)
        if kind:
            return _said("case_ref_identifier", kind=kind)
        if self.case_ref.fullmatch(text):
            return None
        if privacy.looks_like_a_name(text) or (text and not any(ch.isdigit() for ch in text)):
            return _said("case_ref_name")
        return _said("case_ref_format")

    # -- steps ---------------------------------------------------------------
    def validate(self, step: str, text: Any, slots: Dict[str, Any], conversation_id: str) -> StepResult:
        """The slots to set after the reply to `step`, and what to say. An
        unclear reply leaves the step empty so it is asked again."""
        if _restored(step, text, slots):
            return StepResult({step: text})  # already stored as it is
        text = text if isinstance(text, str) else ("" if text is None else str(text))
        handler = getattr(self, f"_{step}" if step not in QUESTION_KEYS else "_closing_question")
        result = handler(step, text, slots, conversation_id)
        filled = result.slots.get(step) not in (None,) and step in result.slots
        if filled:
            result.slots.setdefault(SIMPLER_SLOT, False)
            merged = {**slots, **result.slots}
            saved = self.save(merged, conversation_id)
            result.slots.update(saved.slots)
            result.replies.extend(saved.replies)
        return result

    def _case_ref(self, step, text, slots, conversation_id) -> StepResult:
        stripped = text.strip()
        candidate = stripped.upper() if self.case_ref.fullmatch(stripped) else stripped
        problem = self.check_case_ref(candidate)
        if problem:
            return StepResult({"case_ref": None}, [Reply(problem)])
        if slots.get(SESSION_SLOT) and slots.get("case_ref") == candidate:
            return StepResult({"case_ref": candidate})  # already open: nothing to do
        try:
            session_id = self.repository.open_session(conversation_id, candidate)
            stored = self.repository.get(session_id)
        except SQLAlchemyError as error:
            _log_failure("opening a session", error)
            return StepResult({"case_ref": None}, [Reply(_said("cannot_open_session"))])
        restored = slots_from_stored(stored)
        # the reference said back, so a mistyped one is caught before any answer goes under it
        if any(restored.get(s) is not None for s in ALL_STEPS if s != "case_ref"):
            replies = [Reply(_said("draft_found", case_ref=candidate))]
        else:
            replies = [Reply(_said("case_opened", case_ref=candidate))]
        return StepResult({**restored, "case_ref": candidate, SESSION_SLOT: session_id}, replies)

    @staticmethod
    def _pick(step, value, slots, unclear="unclear_choice") -> StepResult:
        """A step answered by choosing an option: unclear -> asked again with its buttons."""
        if value is None:
            return StepResult({step: None}, [Reply(_said(unclear), question(step, slots).buttons)])
        return StepResult({step: value})

    def _respondent(self, step, text, slots, conversation_id) -> StepResult:
        return self._pick(step, answers.respondent(text), slots, "unclear_respondent")

    def _outcomes_asked(self, step, text, slots, conversation_id) -> StepResult:
        result = self._pick(step, answers.outcomes_asked(text), slots)
        if result.slots[step] not in (None, "asked_expressed"):
            result.slots.update(outcomes_chosen=None, outcome_rating=None, **{RATINGS_SLOT: []})
        return result

    def _outcomes_chosen(self, step, text, slots, conversation_id) -> StepResult:
        kind = privacy.identifier_kind(text)
        if kind:
            return StepResult({"outcomes_chosen": None}, [Reply(_identifier_warning(kind))])
        choice = answers.outcome_choice(text)
        items = [{"outcome": key, "own_words": None} for key in choice.outcomes]
        if choice.own_words:
            items.append({"outcome": "own_words", "own_words": choice.own_words})
        if not items:
            return StepResult({"outcomes_chosen": None}, [Reply(_said("no_outcome_given"))])
        return StepResult({"outcomes_chosen": items, RATINGS_SLOT: [], "outcome_rating": None})

    def _outcome_rating(self, step, text, slots, conversation_id) -> StepResult:
        items = chosen_outcomes(slots)
        ratings = list(slots.get(RATINGS_SLOT) or [])
        value = answers.achieved(text)
        if value is None:
            return StepResult({"outcome_rating": None}, [Reply(_said("unclear_rating"), question("outcome_rating", slots).buttons)])
        ratings.append(value)
        done = len(ratings) >= len(items)
        return StepResult({RATINGS_SLOT: ratings[: len(items)], "outcome_rating": RATINGS_DONE if done else None})

    def _closing_question(self, step, text, slots, conversation_id) -> StepResult:
        parsed = answers.closing_answer(text)
        kind = privacy.identifier_kind(text)
        if kind:
            return StepResult({step: None}, [Reply(_identifier_warning(kind))])
        if parsed.value is None:
            keep = {PENDING_SLOT: parsed.comment} if parsed.comment else {}
            said = _said("unclear_answer_noted" if parsed.comment else "unclear_answer")
            return StepResult({step: None, **keep}, [Reply(said, ANSWER_BUTTONS)])
        comment = parsed.comment or slots.get(PENDING_SLOT)
        comments = dict(slots.get(COMMENTS_SLOT) or {})
        if comment:
            comments[step] = comment
        else:
            comments.pop(step, None)
        return StepResult({step: parsed.value, COMMENTS_SLOT: comments, PENDING_SLOT: None})

    def _risk_result(self, step, text, slots, conversation_id) -> StepResult:
        return self._pick(step, answers.risk_result(text), slots, "unclear_risk")

    def _other_comments(self, step, text, slots, conversation_id) -> StepResult:
        if not text.strip():
            return StepResult({"other_comments": None}, [Reply('Please type what they\'d like to add, or say "nothing else".')])
        kind = privacy.identifier_kind(text)
        if kind:
            return StepResult({"other_comments": None}, [Reply(_identifier_warning(kind))])
        return StepResult({"other_comments": NOTHING_MORE if answers.nothing_to_add(text) else text.strip()})

    # -- saving ----------------------------------------------------------------
    def save(self, slots: Dict[str, Any], conversation_id: str) -> StepResult:
        """Write a snapshot of everything given so far."""
        session_id = slots.get(SESSION_SLOT)
        if not session_id:
            return StepResult({})
        try:
            self.repository.save_snapshot(session_id, **snapshot(slots))
        except SQLAlchemyError as error:
            _log_failure("saving", error)
            return StepResult({UNSAVED_SLOT: True}, [Reply(_said("save_failed"))] if not slots.get(UNSAVED_SLOT) else [])
        return StepResult({UNSAVED_SLOT: False})

    def flag_disclosure(self, slots: Dict[str, Any], conversation_id: str, step: Optional[str] = None,
                        category: Optional[str] = None, words: Optional[str] = None) -> bool:
        """Flag the session and keep the words with the step they were said
        at (identifiers in them replaced, never stored)."""
        session_id = slots.get(SESSION_SLOT)
        if not session_id:
            return False
        try:
            self.save(slots, conversation_id)
            kept = privacy.redact(words.strip()) if words and words.strip() else None
            self.repository.flag_disclosure(session_id, step=step, category=category, words=kept)
            return True
        except SQLAlchemyError as error:
            _log_failure("flagging a disclosure", error)
            return False

    def record_safety_plan(self, slots: Dict[str, Any], kind: str) -> bool:
        session_id = slots.get(SESSION_SLOT)
        if not session_id:
            return False
        try:
            self.repository.record_safety_plan(session_id, kind)
            return True
        except SQLAlchemyError as error:
            _log_failure("recording the safety plan review", error)
            return False

    def complete(self, slots: Dict[str, Any], conversation_id: str) -> bool:
        session_id = slots.get(SESSION_SLOT)
        if not session_id:
            return False
        try:
            self.repository.save_snapshot(session_id, **snapshot(slots))
            self.repository.complete(session_id)
            return True
        except SQLAlchemyError as error:
            _log_failure("completing", error)
            return False


CANONICAL = {
    "respondent": RESPONDENTS,
    "outcomes_asked": OUTCOMES_ASKED,
    "risk_result": RISK_RESULTS,
    **{key: ANSWER_VALUES for key in QUESTION_KEYS},
}


def _restored(step: str, value: Any, slots: Dict[str, Any]) -> bool:
    """A value put back from a stored draft, not typed now: Rasa validates the
    slots set before a form (re)starts, and those must pass unchanged, their
    comments included. Typed answers always come for the requested step."""
    if step == slots.get("requested_slot") or step == "case_ref":
        return False
    if step == "outcomes_chosen":
        return isinstance(value, list) and all(isinstance(i, dict) and "outcome" in i for i in value)
    if step == "outcome_rating":
        return value == RATINGS_DONE and len(slots.get(RATINGS_SLOT) or []) >= len(chosen_outcomes(slots))
    if step == "other_comments":
        return isinstance(value, str)
    return value in CANONICAL.get(step, ())


def safety_plan_reason(slots: Dict[str, Any]) -> Optional[str]:
    """Why the practitioner must review the safety plan before saving (the
    name of the safety.yml message), or None when nothing calls for it."""
    if slots.get(DISCLOSED_SLOT):
        return "safety_plan_reason_disclosure"
    unsafe = slots.get("feels_safe") == "no"
    remains = slots.get("risk_result") == "remains"
    if unsafe and remains:
        return "safety_plan_reason_both"
    if unsafe:
        return "safety_plan_reason_unsafe"
    return "safety_plan_reason_risk" if remains else None


def _log_failure(what: str, error: Exception) -> None:
    """Name the failure, never its message: a database error can quote the
    statement's parameters, which hold the adult's words."""
    logger.error("feedback: %s failed (%s)", what, type(error).__name__)


def _identifier_warning(kind: str) -> str:
    return _said("answer_identifier", kind=kind)


def _said(name: str, **values) -> str:
    """One of the questionnaire's messages (bot/feedback/questionnaire.yml)."""
    return questionnaire().message(name, **values)


def snapshot(slots: Dict[str, Any]) -> dict:
    """The repository's view of the conversation state."""
    fields = {name: slots[name] for name in ("respondent", "outcomes_asked", "risk_result") if slots.get(name)}
    if slots.get("other_comments") is not None:
        fields["other_comments"] = slots["other_comments"] or None
    comments = slots.get(COMMENTS_SLOT) or {}
    given = {key: (slots[key], comments.get(key)) for key in QUESTION_KEYS if slots.get(key)}
    outcomes = None
    if slots.get("outcomes_asked") is not None:
        ratings = list(slots.get(RATINGS_SLOT) or [])
        outcomes = [
            {**item, "achieved": ratings[i] if i < len(ratings) else None}
            for i, item in enumerate(chosen_outcomes(slots))
        ] if slots.get("outcomes_asked") == "asked_expressed" else []
    return {"fields": fields, "answers": given, "outcomes": outcomes}


def slots_from_stored(row: dict) -> Dict[str, Any]:
    """Slots that carry on a stored draft where it stopped."""
    slots: Dict[str, Any] = {
        "respondent": row.get("respondent"),
        "outcomes_asked": row.get("outcomes_asked"),
        "risk_result": row.get("risk_result"),
        "other_comments": None if row.get("other_comments") is None else row["other_comments"],
    }
    outcomes = row.get("outcomes") or []
    if row.get("outcomes_asked") == "asked_expressed" and outcomes:
        slots["outcomes_chosen"] = [{"outcome": o["outcome"], "own_words": o["own_words"]} for o in outcomes]
        ratings = [o["achieved"] for o in outcomes if o["achieved"]]
        slots[RATINGS_SLOT] = ratings
        slots["outcome_rating"] = RATINGS_DONE if len(ratings) == len(outcomes) else None
    slots[DISCLOSED_SLOT] = True if row.get("disclosure_flag") else None
    comments = {}
    for key in QUESTION_KEYS:
        slots[key] = row.get(key)
        if row.get(f"{key}_comment"):
            comments[key] = row[f"{key}_comment"]
    slots[COMMENTS_SLOT] = comments
    return slots


def summary(slots: Dict[str, Any]) -> Reply:
    """Everything recorded, read back before it is saved as completed."""
    q = questionnaire()
    lines = [f"Here is what I've recorded for {slots.get('case_ref')}:"]
    lines.append(f"Answering: {q.respondents[slots['respondent']].title if slots.get('respondent') else '-'}")
    asked = slots.get("outcomes_asked")
    lines.append(f"Desired outcomes: {q.outcomes_asked[asked].title if asked else '-'}")
    ratings = list(slots.get(RATINGS_SLOT) or [])
    for i, item in enumerate(chosen_outcomes(slots) if asked == "asked_expressed" else []):
        achieved = q.achieved[ratings[i]].title if i < len(ratings) else "-"
        lines.append(f"  - {outcome_label(item)}: {achieved}")
    comments = slots.get(COMMENTS_SLOT) or {}
    labels = {"yes": "Yes", "partly": "Partly", "no": "No", "not_answered": "Not answered"}
    for key in QUESTION_KEYS:
        line = f"{q.number_of(key)}. {q.question(key, slots.get('respondent'))} {labels.get(slots.get(key), '-')}"
        if comments.get(key):
            line += f' ("{comments[key]}")'
        lines.append(line)
    risk = slots.get("risk_result")
    lines.append(f"Risk: {q.risk_results[risk].title if risk else '-'}")
    other = slots.get("other_comments")
    lines.append(f"Anything else: {other if other else 'nothing'}")
    if slots.get(DISCLOSED_SLOT):
        from bot.safety.advice import feedback_message
        lines.append(feedback_message("summary_disclosure"))
    lines.append('Is this right? Confirm to save it, or change an answer (for example "change question 3 to no").')
    return Reply("\n".join(lines), [
        {"title": "Confirm and save", "payload": "/confirm_feedback"},
        {"title": "Change an answer", "payload": "/change_answer"},
    ])


def change_answer(slots: Dict[str, Any], text: str) -> StepResult:
    """ "change question 3 to no" at the summary: the new slot values."""
    q = questionnaire()
    match = re.search(r"(?:question|q|number|no\.?)\s*(\d)", text or "", re.I) or re.search(r"\b([1-6])\b", text or "")
    if not match or not q.key_for_number(int(match.group(1))):
        return StepResult({}, [Reply('Which answer should change? For example "change question 3 to no".')])
    key = q.key_for_number(int(match.group(1)))
    rest = (text or "")[match.end():]
    rest = re.sub(r"^\s*(?:to|into|as|=|:)\s*", "", rest, flags=re.I)
    parsed = answers.closing_answer(rest)
    if parsed.value is None:
        return StepResult({}, [Reply(f'What should question {q.number_of(key)} be: yes, partly, no, or skip?')])
    return StepResult({key: parsed.value})
