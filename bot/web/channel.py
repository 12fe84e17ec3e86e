"""The web chat page as a Rasa input channel: a subclass of the REST input
that serves the page and its assets and takes the page's messages on the same
origin (`/webhooks/web/`).

The conversation is keyed by a random token the server puts in an HttpOnly,
SameSite=Strict session cookie; the sender id is a hash of it, so a browser
can only read and continue its own conversation, and the sender id in the
tracker store can't be turned back into the cookie. A sender named in the
request body is ignored.
"""
from __future__ import annotations

import hashlib
import logging
import secrets
from pathlib import Path
from typing import Any, Awaitable, Callable, Dict, List, Optional, Text

from rasa.core.channels.channel import UserMessage
from rasa.core.channels.rest import RestInput
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse

from bot.web.rest import check_message, error, handle, json_body

logger = logging.getLogger(__name__)

STATIC_DIR = Path(__file__).resolve().parent / "static"
ASSETS = {"app.css": "text/css; charset=utf-8", "app.js": "text/javascript; charset=utf-8"}
COOKIE = "msp_chat"
HISTORY_TURNS = 200

CONTENT_SECURITY_POLICY = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self'; "
    "form-action 'self'; base-uri 'none'; frame-ancestors 'none'"
)
SECURITY_HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "X-Frame-Options": "DENY",
    "Cache-Control": "no-store",
    "Cross-Origin-Opener-Policy": "same-origin",
    "Cross-Origin-Resource-Policy": "same-origin",
}


def sender_for(token: str) -> str:
    return "web-" + hashlib.sha256(f"msp-web:{token}".encode("utf-8")).hexdigest()[:40]


def _valid_token(token: Optional[str]) -> bool:
    return bool(token) and 20 <= len(token) <= 100 and token.replace("-", "").replace("_", "").isalnum()


def _secure(request: Request) -> bool:
    return request.scheme == "https" or request.headers.get("x-forwarded-proto", "").lower() == "https"


def _error(status: int, message: str) -> HTTPResponse:
    return error(status, message, SECURITY_HEADERS)


def history_of(events: List[Dict[str, Any]], limit: int = HISTORY_TURNS) -> List[dict]:
    """The user's and the assistant's messages, as the page shows them; a
    button's payload is shown as the button's title."""
    turns: List[dict] = []
    titles: Dict[str, str] = {}
    for event in events:
        kind = event.get("event")
        if kind == "user":
            text = event.get("text") or ""
            turns.append({"who": "user", "text": titles.get(text, text)})
        elif kind == "bot":
            data = event.get("data") or {}
            buttons = [{"title": b.get("title"), "payload": b.get("payload")} for b in data.get("buttons") or []]
            titles = {b["payload"]: b["title"] for b in buttons if b.get("payload")}
            if event.get("text") or buttons:
                turns.append({"who": "bot", "text": event.get("text") or "", "buttons": buttons})
    return turns[-limit:]


class WebChatInput(RestInput):
    @classmethod
    def name(cls) -> Text:
        return "web"

    def __init__(self, secure_cookie: Optional[bool] = None) -> None:
        self.secure_cookie = secure_cookie
        self.page = (STATIC_DIR / "index.html").read_bytes()
        self.assets = {name: (STATIC_DIR / name).read_bytes() for name in ASSETS}

    @classmethod
    def from_credentials(cls, credentials: Optional[Dict[Text, Any]]) -> "WebChatInput":
        credentials = credentials or {}
        return cls(secure_cookie=credentials.get("secure_cookie"))

    async def _extract_sender(self, req: Request) -> Optional[Text]:
        token = req.cookies.get(COOKIE)
        return sender_for(token) if _valid_token(token) else None

    def _extract_input_channel(self, req: Request) -> Text:
        return self.name()

    def get_metadata(self, request: Request) -> Optional[Dict[Text, Any]]:
        return None

    def _same_origin(self, request: Request) -> bool:
        """A message must come from the page itself (the cookie is SameSite
        too): a cross-site form can't set this header or this Origin."""
        origin = request.headers.get("origin")
        hosts = {request.headers.get("host", ""), request.headers.get("x-forwarded-host", "")}
        if origin and origin.split("://", 1)[-1] not in hosts:
            return False
        return request.headers.get("x-requested-with") == "msp-web-chat"

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        web = Blueprint("msp_web_chat", __name__)

        @web.route("/", methods=["GET"])
        async def page(request: Request) -> HTTPResponse:
            if not request.path.endswith("/"):  # the page's relative links need the slash
                return response.redirect(request.path + "/", headers=SECURITY_HEADERS)
            reply = response.raw(self.page, content_type="text/html; charset=utf-8", headers=SECURITY_HEADERS)
            if not _valid_token(request.cookies.get(COOKIE)):
                reply.cookies[COOKIE] = secrets.token_urlsafe(32)
                cookie = reply.cookies[COOKIE]
                cookie["httponly"] = True
                cookie["samesite"] = "Strict"
                cookie["path"] = "/webhooks/web/"
                cookie["secure"] = self.secure_cookie if self.secure_cookie is not None else _secure(request)
            return reply

        @web.route("/static/<name>", methods=["GET"])
        async def asset(request: Request, name: str) -> HTTPResponse:
            if name not in self.assets:
                return _error(404, "Not found.")
            headers = {**SECURITY_HEADERS, "Cache-Control": "no-cache"}
            return response.raw(self.assets[name], content_type=ASSETS[name], headers=headers)

        @web.route("/history", methods=["GET"])
        async def history(request: Request) -> HTTPResponse:
            sender = await self._extract_sender(request)
            if sender is None or not self._same_origin(request):
                return _error(401, "Your chat session has ended: reload the page to start a new one.")
            agent = getattr(request.app.ctx, "agent", None)
            if agent is None or agent.tracker_store is None:
                return response.json([], headers=SECURITY_HEADERS)
            try:
                tracker = await agent.tracker_store.retrieve(sender) if await agent.tracker_store.exists(sender) else None
            except Exception as failure:  # the tracker database down
                logger.error("web chat: reading the conversation failed (%s)", type(failure).__name__)
                return _error(503, "The conversation can't be read just now.")
            events = [e.as_dict() for e in tracker.events] if tracker else []
            return response.json(history_of(events), headers=SECURITY_HEADERS)

        @web.route("/webhook", methods=["POST"])
        async def receive(request: Request) -> HTTPResponse:
            sender = await self._extract_sender(request)
            if sender is None:
                return _error(401, "Your chat session has ended: reload the page to start a new one.")
            if not self._same_origin(request):
                return _error(403, "Messages must come from the chat page.")
            body = json_body(request)
            problem = check_message(body)
            if problem is not None:
                problem.headers.update(SECURITY_HEADERS)
                return problem
            return await handle(on_new_message, body["message"], sender, self.name(), SECURITY_HEADERS)

        return web
