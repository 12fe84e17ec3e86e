"""Training rounds for new staff: thin actions over bot.training."""
from __future__ import annotations

from typing import List, Text

from rasa_sdk import Action, FormValidationAction
from rasa_sdk.events import EventType, SlotSet

from actions.off_loop import stored
from actions.tracker_reading import pending_answers, resuming_after_outage, topic_ranking
from bot import questions
from bot.outage import PENDING_SLOT
from bot.training import coach as rounds
from bot.training import quiz_coach


def _say(dispatcher, replies) -> None:
    for reply in replies:
        dispatcher.utter_message(text=reply.text, buttons=reply.buttons)


def _guidance_topic(tracker) -> tuple:
    """The guidance topic a question in the middle of a round is about, and
    how sure the selector is (a topic button is certain)."""
    for entity in tracker.latest_message.get("entities") or []:
        if entity.get("entity") == "topic" and entity.get("value"):
            return entity["value"], 1.0
    ranking = topic_ranking(tracker)
    return (ranking[0]["topic"], ranking[0]["confidence"]) if ranking else (None, 0.0)


class ActionQuizStart(Action):
    """ "quiz me", "test me on capacity with 10 questions", "give me a scenario"."""

    def name(self) -> Text:
        return "action_quiz_start"

    async def run(self, dispatcher, tracker, domain) -> List[EventType]:
        turn = quiz_coach().start(tracker.latest_message.get("text") or "",
                                  tracker.latest_message.get("entities") or [],
                                  seen=tracker.get_slot(rounds.SEEN_SLOT))
        _say(dispatcher, turn.replies)
        return [SlotSet(rounds.ROUND_SLOT, turn.round), SlotSet(rounds.SEEN_SLOT, turn.seen),
                SlotSet(rounds.ANSWER_SLOT, None), SlotSet("requested_slot", None)]


class ActionAskQuizAnswer(Action):
    """The question (bot/questions.py; the Rasa server usually says it
    itself, without calling this)."""

    def name(self) -> Text:
        return f"{questions.ASK_PREFIX}{rounds.ANSWER_SLOT}"

    async def run(self, dispatcher, tracker, domain) -> List[EventType]:
        _say(dispatcher, [questions.question(self.name(), tracker.get_slot)])
        return []


class ValidateQuizForm(FormValidationAction):
    def name(self) -> Text:
        return "validate_quiz_form"

    async def validate_quiz_answer(self, value, dispatcher, tracker, domain) -> dict:
        """Marks an answer, gives a hint, skips, stops or answers a guidance
        question; the question stays open until the round moves on."""
        state = tracker.get_slot(rounds.ROUND_SLOT)
        if not state:
            return {rounds.ANSWER_SLOT: rounds.ROUND_OVER}
        kept = pending_answers(tracker).get(rounds.ANSWER_SLOT)
        if kept is None and resuming_after_outage(tracker):
            return {rounds.ANSWER_SLOT: None, PENDING_SLOT: None}  # "continue": the question again
        if kept is None and value is None:
            # nothing typed: Rasa validates the form again as it opens, with
            # the slot the start has just emptied; "quiz me" is not an answer
            return {rounds.ANSWER_SLOT: None}
        intent = None if kept is not None else (tracker.latest_message.get("intent") or {}).get("name")
        topic, confidence = _guidance_topic(tracker)
        turn = await stored(quiz_coach().take, state, str(kept if kept is not None else value or ""), intent,
                            tracker.sender_id, guidance_topic=topic, selector_confidence=confidence)
        _say(dispatcher, turn.replies)
        return {rounds.ROUND_SLOT: turn.round, rounds.ANSWER_SLOT: rounds.ROUND_OVER if turn.over else None,
                PENDING_SLOT: None}


class ActionQuizEnd(Action):
    """The score and what to revisit, when a round ends or is stopped."""

    def name(self) -> Text:
        return "action_quiz_end"

    async def run(self, dispatcher, tracker, domain) -> List[EventType]:
        turn = await stored(quiz_coach().finish, tracker.get_slot(rounds.ROUND_SLOT), tracker.sender_id)
        _say(dispatcher, turn.replies)
        return [SlotSet(rounds.ROUND_SLOT, None), SlotSet(rounds.ANSWER_SLOT, None)]
