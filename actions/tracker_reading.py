"""Reading what NLU found in the latest message, in one place."""
from __future__ import annotations

from typing import List, Optional

from rasa_sdk import Tracker

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
