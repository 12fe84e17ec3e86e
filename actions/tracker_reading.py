"""Reading what NLU found in the latest message, in one place."""
from __future__ import annotations

from typing import List, Optional

from rasa_sdk import Tracker

from bot.outage import OUTAGE_TEXT, PENDING_SLOT, RESUME_WORDS

RETRIEVAL_INTENT = "guidance"


def topic_ranking(tracker: Tracker) -> List[dict]:
    """The ResponseSelector's guidance topics as [{"topic", "confidence"}], best first."""
    selector = (tracker.latest_message.get("response_selector") or {}).get(RETRIEVAL_INTENT) or {}
    return [
        {"topic": item.get("intent_response_key", "").split("/", 1)[-1], "confidence": item.get("confidence", 0.0)}
        for item in selector.get("ranking") or []
    ]


def intent_ranking(tracker: Tracker) -> List[dict]:
    return list(tracker.latest_message.get("intent_ranking") or [])


def last_guidance_topic(tracker: Tracker) -> Optional[str]:
    """The topic of the most recent guidance answer: a retrieval response
    (utter_guidance/<topic>) or a follow-up that set the guidance_topic slot."""
    prefix = f"utter_{RETRIEVAL_INTENT}/"
    for event in reversed(tracker.events):
        if event.get("event") == "bot":
            utter_action = (event.get("metadata") or {}).get("utter_action") or ""
            if utter_action.startswith(prefix):
                return utter_action[len(prefix):]
        elif event.get("event") == "slot" and event.get("name") == "guidance_topic" and event.get("value"):
            return event["value"]
    return None


def pending_answers(tracker: Tracker) -> dict:
    """Answers typed while the action server was down (bot/outage.py), by slot,
    oldest first: they are checked and saved before anything newer."""
    pending = tracker.get_slot(PENDING_SLOT)
    return dict(pending) if isinstance(pending, dict) else {}


def resuming_after_outage(tracker: Tracker) -> bool:
    """ "continue" right after the assistant said part of it wasn't answering:
    a request to carry on, not an answer."""
    text = " ".join((tracker.latest_message.get("text") or "").lower().split()).rstrip(".!")
    if text not in RESUME_WORDS:
        return False
    last_bot = next((e for e in reversed(tracker.events) if e.get("event") == "bot"), None)
    return bool(last_bot) and last_bot.get("text") == OUTAGE_TEXT
