"""The forms' questions, each a pure function of the conversation's slots
and the content: no database, no earlier events.

Kept in one place because two processes put them: the action server's
`action_ask_*` actions (actions/feedback.py, actions/training.py), and the
Rasa server itself, which says them without a round trip to the action
server (bot/speedups.py). Both read these functions, so they can't differ.
"""
from __future__ import annotations

from functools import lru_cache
from typing import Any, Callable, Optional

from bot.feedback import flow as feedback
from bot.feedback.flow import Reply
from bot.training import coach as rounds

ASK_PREFIX = "action_ask_"
SlotReader = Callable[[str], Any]


@lru_cache(maxsize=1)
def _quiz_questions() -> rounds.QuizCoach:
    # asking only reads the quiz book: this coach never touches a repository
    return rounds.QuizCoach(repository=None)  # type: ignore[arg-type]


def feedback_slots(get_slot: SlotReader) -> dict:
    """The slots the feedback flow reads, by name."""
    return {name: get_slot(name) for name in (*feedback.FLOW_SLOTS, "requested_slot")}


def asks_for(action_name: str) -> bool:
    """Whether `action_name` is one of the forms' question actions."""
    step = action_name[len(ASK_PREFIX):] if action_name.startswith(ASK_PREFIX) else None
    return step in feedback.ALL_STEPS or step == rounds.ANSWER_SLOT


def question(action_name: str, get_slot: SlotReader) -> Optional[Reply]:
    """What `action_ask_<slot>` says, or None for an action that isn't a question."""
    if not asks_for(action_name):
        return None
    step = action_name[len(ASK_PREFIX):]
    if step == rounds.ANSWER_SLOT:
        return _quiz_questions().question(get_slot(rounds.ROUND_SLOT))
    return feedback.question(step, feedback_slots(get_slot))
