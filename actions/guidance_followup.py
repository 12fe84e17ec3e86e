"""Follow-ups to the last guidance answer: more, an example, simpler, next."""
from __future__ import annotations

from typing import Any, Dict, List, Text

from rasa_sdk import Action, Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.tracker_reading import last_guidance_topic
from bot.content import replies

KIND_OF_INTENT = {"tell_me_more": "more", "give_example": "example", "say_simpler": "simpler", "next_topic": "next"}


class ActionGuidanceFollowup(Action):
    def name(self) -> Text:
        return "action_guidance_followup"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]) -> List[Dict]:
        kind = KIND_OF_INTENT.get((tracker.latest_message.get("intent") or {}).get("name"), "more")
        reply = replies.follow_up(kind, last_guidance_topic(tracker))
        dispatcher.utter_message(text=reply.text, buttons=reply.buttons)
        return [SlotSet("guidance_topic", reply.topic)] if reply.topic else []
