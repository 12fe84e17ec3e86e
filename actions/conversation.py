"""Rasa's restart, said out loud."""
from __future__ import annotations

from typing import List, Text

from rasa_sdk import Action
from rasa_sdk.events import EventType, Restarted

from bot.safety.rules import safety_rules


class ActionRestart(Action):
    """ "start again", "start over" or "/restart": Rasa's own restart (a new
    conversation), with a reply saying so; feedback drafts are in the
    database and can be resumed."""

    def name(self) -> Text:
        return "action_restart"

    async def run(self, dispatcher, tracker, domain) -> List[EventType]:
        dispatcher.utter_message(text=safety_rules().restart)
        return [Restarted()]
