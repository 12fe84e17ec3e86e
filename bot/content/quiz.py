"""Training items, tied to the guidance they test (one source of truth): each
names its guidance topic, takes that topic's source, and quotes the evidence
in the topic's text that makes its answer right. Loading fails if a fact the
item relies on is no longer in the guidance."""
from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Dict, Optional, Tuple, Union

import yaml

from bot.content import CONTENT_DIR, ContentError, Guidance, guidance

KINDS = ("choice", "true_false", "scenario")
QUIZ_TOPICS = ("principles", "s42", "outcomes", "advocacy", "capacity", "concluding", "abuse")


@dataclass(frozen=True)
class QuizItem:
    id: str
    quiz_topic: str
    topic: str          # the guidance topic it tests
    kind: str
    question: str
    options: Tuple[str, ...]
    answer: Union[int, bool]
    evidence: str
    why: str

    @property
    def correct_text(self) -> str:
        if self.kind == "true_false":
            return "True" if self.answer else "False"
        return self.options[self.answer]

    def source(self, content: Optional[Guidance] = None) -> str:
        return (content or guidance()).source_line(self.topic)


def _plain(text: str) -> str:
    return re.sub(r"\s+", " ", (text or "").lower().replace("’", "'")).strip()


def topic_text(content: Guidance, topic_id: str) -> str:
    topic = content.topic(topic_id)
    return _plain(" ".join(t for t in (topic.answer, topic.more, topic.simpler, topic.example) if t))


def _check(raw: dict, content: Guidance) -> QuizItem:
    where = f"quiz item {raw.get('id', '?')}"
    for key in ("id", "quiz_topic", "topic", "kind", "question", "evidence", "why"):
        if not raw.get(key):
            raise ContentError(f"{where}: missing {key}")
    if raw["kind"] not in KINDS:
        raise ContentError(f"{where}: kind must be one of {KINDS}")
    if raw["quiz_topic"] not in QUIZ_TOPICS:
        raise ContentError(f"{where}: quiz_topic must be one of {QUIZ_TOPICS}")
    if raw["topic"] not in content.topics:
        raise ContentError(f"{where}: unknown guidance topic {raw['topic']!r}")
    options = tuple(raw.get("options") or ())
    answer = raw.get("answer")
    if raw["kind"] == "true_false":
        if not isinstance(answer, bool) or options:
            raise ContentError(f"{where}: a true/false item has answer true or false and no options")
    elif not (isinstance(answer, int) and not isinstance(answer, bool) and 0 <= answer < len(options) and len(options) >= 2):
        raise ContentError(f"{where}: answer must index one of at least two options")
    if _plain(raw["evidence"]) not in topic_text(content, raw["topic"]):
        raise ContentError(f"{where}: its evidence is not in guidance topic {raw['topic']}")
    return QuizItem(raw["id"], raw["quiz_topic"], raw["topic"], raw["kind"], raw["question"], options, answer,
                    raw["evidence"], raw["why"])


@dataclass(frozen=True)
class QuizTopic:
    id: str
    title: str
    words: Tuple[str, ...]  # what "test me on ..." recognises


@dataclass(frozen=True)
class QuizBook:
    """Everything the training conversation says, from quiz.yml."""

    items: Dict[str, QuizItem]
    topics: Dict[str, QuizTopic]
    messages: Dict[str, str]
    default_questions: int
    max_questions: int

    def message(self, name: str, **values) -> str:
        return self.messages[name].format(**values)


def _read(directory: Path) -> dict:
    return yaml.safe_load((directory / "quiz.yml").read_text(encoding="utf-8"))


def load_quiz(directory: Path = CONTENT_DIR, content: Optional[Guidance] = None) -> Dict[str, QuizItem]:
    content = content or guidance()
    items: Dict[str, QuizItem] = {}
    for raw in _read(directory)["items"]:
        item = _check(raw, content)
        if item.id in items:
            raise ContentError(f"quiz item {item.id} defined twice")
        items[item.id] = item
    return items


def load_quiz_book(directory: Path = CONTENT_DIR, content: Optional[Guidance] = None) -> QuizBook:
    raw = _read(directory)
    if tuple(raw.get("quiz_topics") or ()) != QUIZ_TOPICS:
        raise ContentError(f"quiz_topics must be exactly {QUIZ_TOPICS}, in order")
    topics = {
        key: QuizTopic(key, value["title"], tuple(_plain(w) for w in value["words"]))
        for key, value in raw["quiz_topics"].items()
    }
    settings = raw.get("round") or {}
    default, most = int(settings.get("default_questions", 5)), int(settings.get("max_questions", 20))
    if not 1 <= default <= most:
        raise ContentError("round: default_questions must be between 1 and max_questions")
    return QuizBook(load_quiz(directory, content), topics, dict(raw["messages"]), default, most)


@lru_cache(maxsize=1)
def quiz() -> Dict[str, QuizItem]:
    return quiz_book().items


@lru_cache(maxsize=1)
def quiz_book() -> QuizBook:
    return load_quiz_book()
