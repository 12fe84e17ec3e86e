"""Rasa's REST channel (`POST /webhooks/rest/webhook`) with its input checked.

The stock channel answers a JSON list, a missing message or invalid UTF-8
with a 500, and logs the whole message text when handling fails; this one
answers 400/413 with a reason and never logs what was typed.
"""
from __future__ import annotations

import logging
from typing import Any, Awaitable, Callable, Optional, Text

from rasa.core.channels.channel import CollectingOutputChannel, UserMessage
from rasa.core.channels.rest import RestInput
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse

logger = logging.getLogger(__name__)

MAX_MESSAGE_CHARS = 5000
MAX_SENDER_CHARS = 128


def error(status: int, message: str, headers: Optional[dict] = None) -> HTTPResponse:
    return response.json({"error": message}, status=status, headers=headers or {})


def json_body(request: Request) -> Optional[dict]:
    """The request's JSON object, or None for anything else (not JSON,
    invalid UTF-8, a list...)."""
    try:
        body = request.json
    except Exception:
        return None
    return body if isinstance(body, dict) else None


_CONTROL = dict.fromkeys(c for c in range(32) if chr(c) not in "\t\n\r")
_CONTROL[127] = None


def check_message(body: Optional[dict]) -> Optional[HTTPResponse]:
    """None when the body holds a usable message (control characters, which
    no one types and PostgreSQL can't store, are dropped from it in place)."""
    if body is None:
        return error(400, 'Send a JSON object like {"sender": "...", "message": "..."}.')
    message = body.get("message")
    if not isinstance(message, str):
        return error(400, '"message" must be a string.')
    if len(message) > MAX_MESSAGE_CHARS:
        return error(413, f"That message is too long: please keep it under {MAX_MESSAGE_CHARS} characters.")
    try:
        message.encode("utf-8")
    except UnicodeEncodeError:
        return error(400, "That message isn't valid text (it has a broken character). Please type it again.")
    body["message"] = message.translate(_CONTROL)
    return None


async def handle(on_new_message: Callable[[UserMessage], Awaitable[Any]], text: str, sender: str,
                 channel: str, headers: Optional[dict] = None) -> HTTPResponse:
    collector = CollectingOutputChannel()
    try:
        await on_new_message(UserMessage(text, collector, sender, input_channel=channel))
    except Exception as failure:  # never the text: it may hold what an adult said
        logger.error("%s channel: handling a message failed (%s)", channel, type(failure).__name__)
        return error(500, "The assistant had a problem with that message. Please try again.", headers)
    return response.json(collector.messages, headers=headers or {})


class CheckedRestInput(RestInput):
    @classmethod
    def name(cls) -> Text:
        return "rest"

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        rest = Blueprint("msp_rest", __name__)

        @rest.route("/", methods=["GET"])
        async def health(_: Request) -> HTTPResponse:
            return response.json({"status": "ok"})

        @rest.route("/webhook", methods=["POST"])
        async def receive(request: Request) -> HTTPResponse:
            body = json_body(request)
            problem = check_message(body)
            if problem is not None:
                return problem
            sender = body.get("sender")
            if not isinstance(sender, str) or not sender.strip() or len(sender) > MAX_SENDER_CHARS:
                return error(400, f'"sender" must be a non-empty string of at most {MAX_SENDER_CHARS} characters.')
            return await handle(on_new_message, body["message"], sender, self.name())

        return rest
