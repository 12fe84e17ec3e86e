"""The low-confidence "Did you mean ...?" with the closest topics as buttons."""
from __future__ import annotations

from typing import Any, Dict, List, Text

from rasa_sdk import Action, Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions.tracker_reading import intent_ranking, topic_ranking
from bot.content import replies


class ActionSuggestTopics(Action):
    def name(self) -> Text:
        return "action_suggest_topics"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]) -> List[Dict]:
        reply = replies.suggestions(intent_ranking(tracker), topic_ranking(tracker))
        dispatcher.utter_message(text=reply.text, buttons=reply.buttons)
        return []
