"""The suggestion action, run as the action server runs it."""
from __future__ import annotations

import asyncio

from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions.guidance import ActionSuggestTopics
from bot.content.replies import REPHRASE_TEXT


def _tracker(intent_ranking, topic_ranking):
    latest = {
        "text": "the thing about the adult",
        "intent": intent_ranking[0],
        "intent_ranking": intent_ranking,
        "response_selector": {
            "guidance": {
                "ranking": [{"intent_response_key": f"guidance/{t}", "confidence": c} for t, c in topic_ranking]
            }
        },
    }
    return Tracker("s1", {}, latest, [], False, None, {}, "action_listen")


def _run(tracker):
    dispatcher = CollectingDispatcher()
    events = asyncio.run(ActionSuggestTopics().run(dispatcher, tracker, {}))
    return dispatcher.messages, events


def test_unsure_guidance_offers_the_closest_topics_as_buttons_and_a_way_to_rephrase():
    tracker = _tracker(
        [{"name": "nlu_fallback", "confidence": 0.5}, {"name": "guidance", "confidence": 0.9},
         {"name": "greet", "confidence": 0.05}],
        [("independent_advocacy", 0.4), ("substantial_difficulty", 0.35), ("mca_principles", 0.1), ("sab", 0.05)],
    )
    (message,), events = _run(tracker)
    assert events == []
    assert REPHRASE_TEXT in message["text"]
    assert [b["title"] for b in message["buttons"]] == ["Independent advocacy", "Substantial difficulty", "The five MCA principles"]
    assert message["buttons"][0]["payload"] == "topic:independent_advocacy"


def test_a_likely_non_guidance_intent_is_offered_by_its_plain_name():
    tracker = _tracker(
        [{"name": "nlu_fallback", "confidence": 0.5}, {"name": "start_quiz", "confidence": 0.45},
         {"name": "guidance", "confidence": 0.2}],
        [("what_is_msp", 0.5)],
    )
    (message,), _ = _run(tracker)
    assert message["buttons"][0] == {"title": "Practise with a quiz", "payload": "/start_quiz"}
    assert len(message["buttons"]) <= 3


def test_with_nothing_close_the_menu_is_offered():
    tracker = _tracker([{"name": "nlu_fallback", "confidence": 0.5}, {"name": "greet", "confidence": 0.3}], [])
    (message,), _ = _run(tracker)
    assert message["buttons"] == [{"title": "See what I can do", "payload": "/ask_capabilities"}]
