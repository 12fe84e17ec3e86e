"""Reading what NLU found in the latest message, in one place."""
from __future__ import annotations

from typing import List

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
