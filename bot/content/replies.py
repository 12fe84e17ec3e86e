"""What the assistant says about guidance, composed from the content.

Actions call these and send what comes back; the wording lives in the
content files, the rules about choosing it live here.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Dict, Iterable, List, Optional

import yaml

from bot.content import CONTENT_DIR, Guidance, guidance

MAX_SUGGESTIONS = 3
UNSURE_TEXT = "Sorry, I'm not sure what you're asking. Did you mean one of these?"
REPHRASE_TEXT = 'If not, please rephrase, or say "what can you do".'


@dataclass
class Reply:
    text: str
    buttons: List[dict] = field(default_factory=list)
    topic: Optional[str] = None  # the guidance topic answered, for follow-ups


TOPIC_PAYLOAD_PREFIX = "topic:"
_TOPIC_PAYLOAD = re.compile(r"^\s*topic:([a-z0-9_]{1,60})\s*$")


def topic_payload(topic_id: str) -> str:
    """A topic button's payload. Not a "/intent{...}" payload: Rasa parses
    those without the NLU pipeline, so the ResponseSelector's output that
    utter_guidance needs would be missing; this one goes through NLU, where
    bot.nlp's resolver makes it a guidance question about exactly that topic."""
    return TOPIC_PAYLOAD_PREFIX + topic_id


def payload_topic(text: str) -> Optional[str]:
    """The topic id a topic button's payload names, if the text is one."""
    match = _TOPIC_PAYLOAD.match(text or "")
    return match.group(1) if match else None


@lru_cache(maxsize=1)
def intent_labels() -> Dict[str, dict]:
    return yaml.safe_load((CONTENT_DIR / "intents.yml").read_text(encoding="utf-8"))


def answer(topic_id: str, content: Guidance = None) -> Reply:
    """The answer, its source line, and up to three related topics as buttons."""
    content = content or guidance()
    topic = content.topic(topic_id)
    buttons = [{"title": content.topic(r).title, "payload": topic_payload(r)} for r in topic.related]
    return Reply(text=f"{topic.answer}\n\n{content.source_line(topic_id)}", buttons=buttons, topic=topic_id)


def suggestions(
    intent_ranking: Iterable[dict], topic_ranking: Iterable[dict], content: Guidance = None
) -> Reply:
    """ "Did you mean ...?" with the closest guidance topics and intents, best first.

    A topic's score is its selector confidence times the confidence that the
    message is a guidance question at all, so both rankings compare.
    """
    content = content or guidance()
    labels = intent_labels()
    intent_ranking = list(intent_ranking)
    guidance_weight = next((i.get("confidence", 0.0) for i in intent_ranking if i.get("name") == "guidance"), 1.0)
    candidates = []
    for item in topic_ranking:
        topic_id = item.get("topic")
        if topic_id in content.topics:
            score = item.get("confidence", 0.0) * guidance_weight
            candidates.append((score, content.topic(topic_id).title, topic_payload(topic_id)))
    for item in intent_ranking:
        label = labels.get(item.get("name"))
        if label:
            candidates.append((item.get("confidence", 0.0), label["title"], label["payload"]))
    candidates.sort(key=lambda c: -c[0])
    buttons, seen = [], set()
    for _, title, payload in candidates:
        if payload not in seen:
            seen.add(payload)
            buttons.append({"title": title, "payload": payload})
        if len(buttons) == MAX_SUGGESTIONS:
            break
    if not buttons:  # nothing close: offer the menu
        buttons.append({"title": labels["ask_capabilities"]["title"], "payload": labels["ask_capabilities"]["payload"]})
    return Reply(text=f"{UNSURE_TEXT} {REPHRASE_TEXT}", buttons=buttons)


FOLLOW_UPS = ("more", "example", "simpler", "next")
NO_TOPIC_TEXT = 'Which topic do you mean? Ask me a question, or say "what can you do".'


def follow_up(kind: str, topic_id: Optional[str], content: Guidance = None) -> Reply:
    """"Tell me more", "give me an example", "say it more simply" or "the next
    one" about the last topic answered. Every reply still names its source."""
    content = content or guidance()
    if kind not in FOLLOW_UPS:
        raise ValueError(kind)
    if topic_id not in content.topics:
        labels = intent_labels()
        return Reply(text=NO_TOPIC_TEXT, buttons=[dict(labels["ask_capabilities"])])
    topic = content.topic(topic_id)
    if kind == "next":
        if topic.next:
            return answer(topic.next, content)
        return Reply(
            text=f"{topic.title} is the last in its list. Here are related topics.",
            buttons=answer(topic_id, content).buttons,
            topic=topic_id,
        )
    text = {"more": topic.more, "example": topic.example, "simpler": topic.simpler}[kind]
    buttons = answer(topic_id, content).buttons
    if not text:
        missing = {"more": "more detail", "example": "an example", "simpler": "a simpler version"}[kind]
        text = f"I don't have {missing} on {topic.title.lower()}. These related topics may help."
        return Reply(text=text, buttons=buttons, topic=topic_id)
    return Reply(text=f"{' '.join(text.split())}\n\n{content.source_line(topic_id)}", buttons=buttons, topic=topic_id)
