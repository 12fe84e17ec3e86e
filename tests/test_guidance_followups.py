"""Follow-ups refer to the last topic answered, and still name their source."""
from __future__ import annotations

import asyncio

import pytest
from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions.guidance_followup import ActionGuidanceFollowup
from bot.content import guidance
from bot.content.replies import NO_TOPIC_TEXT, follow_up


def _bot_answer(topic):
    return {"event": "bot", "text": "...", "metadata": {"utter_action": f"utter_guidance/{topic}"}}


def _run(intent, events):
    tracker = Tracker("s", {}, {"text": "x", "intent": {"name": intent}}, events, False, None, {}, "action_listen")
    dispatcher = CollectingDispatcher()
    result = asyncio.run(ActionGuidanceFollowup().run(dispatcher, tracker, {}))
    return dispatcher.messages[0], result


def test_tell_me_more_gives_the_deeper_text_of_the_last_answer_with_its_source():
    message, events = _run("tell_me_more", [_bot_answer("what_is_msp"), {"event": "user", "text": "more"}])
    topic = guidance().topic("what_is_msp")
    assert message["text"].startswith(" ".join(topic.more.split()))
    assert message["text"].endswith(guidance().source_line("what_is_msp"))
    assert events == [{"event": "slot", "timestamp": None, "name": "guidance_topic", "value": "what_is_msp"}]


def test_the_most_recent_topic_wins_whether_answered_by_response_or_follow_up():
    older = [_bot_answer("sab"), {"event": "slot", "name": "guidance_topic", "value": "principle_prevention"}]
    message, _ = _run("say_simpler", older)
    assert message["text"].startswith(guidance().topic("principle_prevention").simpler.strip())
    message, _ = _run("say_simpler", older + [_bot_answer("sar")])
    assert message["text"].startswith(guidance().topic("sar").simpler.strip())


def test_next_principle_walks_the_six_in_order_and_stops_after_the_last():
    order = []
    topic = "principle_empowerment"
    for _ in range(5):
        reply = follow_up("next", topic)
        order.append(reply.topic)
        topic = reply.topic
    assert order == ["principle_prevention", "principle_proportionality", "principle_protection",
                     "principle_partnership", "principle_accountability"]
    last = follow_up("next", "principle_accountability")
    assert "last" in last.text and last.topic == "principle_accountability"


def test_a_follow_up_with_no_earlier_answer_asks_which_topic():
    message, events = _run("tell_me_more", [])
    assert message["text"] == NO_TOPIC_TEXT and events == []


@pytest.mark.parametrize("kind", ["more", "example"])
def test_a_missing_depth_says_so_plainly_and_offers_related_topics(kind):
    topic = next(t for t in guidance().topics.values() if getattr(t, kind) is None)
    reply = follow_up(kind, topic.id)
    assert reply.text.startswith("I don't have") and reply.buttons
