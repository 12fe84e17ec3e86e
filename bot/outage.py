"""When the action server can't be reached, say so instead of going quiet,
and keep the answer that was being given.

Stock Rasa 3.6 logs the failure, drops the action's events and answers the
chat with nothing; a form's answer is left in its slot unchecked. Installed
in the Rasa server process (bot.rasa_entry), this makes a custom action that
can't be reached say, once per message, what happened and what to do; when it
was a form's validation, the words just typed are moved to the
`pending_answers` slot, so the form's validation checks and saves them first
when the action server is back (actions/form_pending.py).

The conversation store (Rasa's tracker database) going down is worse: stock
Rasa's FailSafeTrackerStore then hands out a brand-new conversation, so the
next answer lands out of context and the form seems forgotten. Here the
message is refused with STORE_OUTAGE_TEXT instead; nothing already stored is
touched, and once the database is back the conversation carries on at the
same question.
"""
from __future__ import annotations

import logging
from collections import OrderedDict
from typing import Any, Dict, List

PENDING_SLOT = "pending_answers"
RESUME_WORDS = {"continue", "carry on", "go on", "try again", "retry", "resume", "are you there", "are you there?"}
OUTAGE_TEXT = (
    "Part of the assistant isn't answering just now, so I can't do that yet. Nothing you've told me is "
    "lost: it is kept in this conversation and saved when that part is back. Please send \"continue\" "
    "in a minute or two."
)
STORE_OUTAGE_TEXT = (
    "I can't reach the conversation store just now, so I couldn't take that message. Everything you "
    "gave before it is kept. Please send it again in a few minutes; if this goes on, tell your "
    "system administrator."
)
logger = logging.getLogger(__name__)
_told: "OrderedDict[tuple, bool]" = OrderedDict()  # (sender, message time) already told, newest last


class ConversationStoreUnavailable(Exception):
    """The tracker database could not be read or written."""


def _since_user_message(tracker: Any) -> List[Any]:
    found = []
    for event in reversed(tracker.events):
        if getattr(event, "type_name", "") == "user":
            return found
        found.append(event)
    return found


def _first_time(tracker: Any) -> bool:
    user = next((e for e in reversed(tracker.events) if getattr(e, "type_name", "") == "user"), None)
    key = (tracker.sender_id, getattr(user, "timestamp", None))
    if key in _told:
        return False
    _told[key] = True
    while len(_told) > 10_000:
        _told.popitem(last=False)
    return True


def said_unreachable_this_turn(tracker: Any) -> bool:
    """Whether the assistant has said, since the latest message, that the
    action server isn't answering."""
    return any(getattr(e, "type_name", "") == "bot" and getattr(e, "text", None) == OUTAGE_TEXT
               for e in _since_user_message(tracker))


def extracted_this_turn(tracker: Any) -> Dict[str, Any]:
    """Slots Rasa filled from the message just typed (before any action ran)."""
    extracted: Dict[str, Any] = {}
    for event in reversed(_since_user_message(tracker)):
        if getattr(event, "type_name", "") == "slot" and event.key not in ("requested_slot", PENDING_SLOT):
            extracted[event.key] = event.value
    return {k: v for k, v in extracted.items() if v is not None}


def install() -> None:
    """Wrap RemoteAction.run and the tracker store (idempotent)."""
    _install_remote_action()
    _install_conversation_store()


def _install_conversation_store() -> None:
    from rasa.core.processor import MessageProcessor
    from rasa.core.tracker_store import FailSafeTrackerStore

    if getattr(FailSafeTrackerStore.retrieve, "_msp_outage", False):
        return
    handle_message = MessageProcessor.handle_message

    async def strict_retrieve(self, sender_id):
        try:
            return await self._tracker_store.retrieve(sender_id)
        except Exception as error:  # noqa: BLE001 - any driver error means the same here
            logger.error("conversation store unreachable on read (%s)", type(error).__name__)
            raise ConversationStoreUnavailable() from None

    async def strict_save(self, tracker):
        try:
            await self._tracker_store.save(tracker)
        except Exception as error:  # noqa: BLE001
            logger.error("conversation store unreachable on write (%s)", type(error).__name__)
            raise ConversationStoreUnavailable() from None

    async def handle_message_or_say_why_not(self, message):
        try:
            return await handle_message(self, message)
        except ConversationStoreUnavailable:
            channel = message.output_channel
            if channel is None:
                return None
            if isinstance(getattr(channel, "messages", None), list):
                channel.messages.clear()  # replies to a message that was not kept would mislead
            await channel.send_text_message(message.sender_id, STORE_OUTAGE_TEXT)
            return getattr(channel, "messages", None)

    for wrapped in (strict_retrieve, strict_save, handle_message_or_say_why_not):
        wrapped._msp_outage = True  # type: ignore[attr-defined]
    FailSafeTrackerStore.retrieve, FailSafeTrackerStore.save = strict_retrieve, strict_save
    MessageProcessor.handle_message = handle_message_or_say_why_not


def _install_remote_action() -> None:
    from rasa.core.actions.action import ActionExecutionRejection, RemoteAction, create_bot_utterance
    from rasa.shared.core.events import SlotSet
    from rasa.shared.exceptions import RasaException

    if getattr(RemoteAction.run, "_msp_outage", False):
        return
    original = RemoteAction.run

    async def run(self, output_channel, nlg, tracker, domain) -> List[Any]:
        try:
            return await original(self, output_channel, nlg, tracker, domain)
        except ActionExecutionRejection:
            raise  # a form's ordinary "that message wasn't for me"
        except RasaException:
            logger.error("custom action %s could not be run: the action server is not answering", self.name())
        events: List[Any] = []
        if self.name().startswith("validate_"):
            typed = extracted_this_turn(tracker)
            if typed:
                # the first answer kept for a question wins over anything typed later
                pending = {**typed, **(tracker.get_slot(PENDING_SLOT) or {})}
                events += [SlotSet(name, None) for name in typed] + [SlotSet(PENDING_SLOT, pending)]
        if _first_time(tracker):
            events.insert(0, create_bot_utterance({"text": OUTAGE_TEXT}))
        return events

    run._msp_outage = True  # type: ignore[attr-defined]
    RemoteAction.run = run
