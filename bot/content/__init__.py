"""The MSP knowledge, loaded once and checked when loaded.

`guidance.yml` is the only place an answer's text lives; sources.yml names
where each answer comes from. Everything else (Rasa responses, training
examples, the spaCy EntityRuler, later quiz items) is derived from here.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Dict, List, Optional, Tuple

import yaml

CONTENT_DIR = Path(__file__).resolve().parent
MAX_ANSWER_WORDS = 120
MAX_RELATED = 3


class ContentError(ValueError):
    """The content files break a rule (missing source, dangling link, too long...)."""


@dataclass(frozen=True)
class Topic:
    id: str
    title: str
    answer: str
    source: str
    related: Tuple[str, ...]
    examples: Tuple[str, ...]
    more: Optional[str] = None
    simpler: Optional[str] = None
    example: Optional[str] = None
    next: Optional[str] = None
    principle: Optional[str] = None
    terms: Tuple[str, ...] = field(default_factory=tuple)


@dataclass(frozen=True)
class Guidance:
    topics: Dict[str, Topic]
    sources: Dict[str, str]

    def topic(self, topic_id: str) -> Topic:
        return self.topics[topic_id]

    def source_line(self, topic_id: str) -> str:
        return f"Source: {self.sources[self.topics[topic_id].source]}"

    def principles(self) -> List[Topic]:
        return [t for t in self.topics.values() if t.principle]

    def topic_for_principle(self, mention: str) -> Optional[Topic]:
        """The principle a word or phrase names ("proportionate" -> proportionality)."""
        wanted = _normalise(mention)
        for topic in self.principles():
            if wanted in {_normalise(t) for t in (topic.principle, *topic.terms)}:
                return topic
        return None


def _normalise(text: str) -> str:
    return re.sub(r"\s+", " ", text.strip().lower())


def _check_topic(raw: dict, sources: Dict[str, str]) -> Topic:
    missing = [k for k in ("id", "title", "answer", "simpler", "source", "examples") if not raw.get(k)]
    if missing:
        raise ContentError(f"topic {raw.get('id', '?')}: missing {', '.join(missing)}")
    if raw["source"] not in sources:
        raise ContentError(f"topic {raw['id']}: unknown source {raw['source']!r}")
    words = len(raw["answer"].split())
    if words > MAX_ANSWER_WORDS:
        raise ContentError(f"topic {raw['id']}: answer has {words} words (max {MAX_ANSWER_WORDS})")
    related = tuple(raw.get("related") or ())
    if len(related) > MAX_RELATED:
        raise ContentError(f"topic {raw['id']}: more than {MAX_RELATED} related topics")
    return Topic(
        id=raw["id"],
        title=raw["title"],
        answer=" ".join(raw["answer"].split()),
        source=raw["source"],
        related=related,
        examples=tuple(raw["examples"]),
        more=raw.get("more"),
        simpler=raw.get("simpler"),
        example=raw.get("example"),
        next=raw.get("next"),
        principle=raw.get("principle"),
        terms=tuple(raw.get("terms") or ()),
    )


def load_guidance(directory: Path = CONTENT_DIR) -> Guidance:
    sources = yaml.safe_load((directory / "sources.yml").read_text(encoding="utf-8"))
    raw_topics = yaml.safe_load((directory / "guidance.yml").read_text(encoding="utf-8"))["topics"]
    topics: Dict[str, Topic] = {}
    for raw in raw_topics:
        topic = _check_topic(raw, sources)
        if topic.id in topics:
            raise ContentError(f"topic {topic.id} defined twice")
        topics[topic.id] = topic
    seen: Dict[str, str] = {}
    for topic in topics.values():
        for ref in (*topic.related, *([topic.next] if topic.next else [])):
            if ref not in topics:
                raise ContentError(f"topic {topic.id}: links to unknown topic {ref!r}")
        for text in topic.examples:
            key = _normalise(text)
            if key in seen and seen[key] != topic.id:
                raise ContentError(f"example {text!r} is in both {seen[key]} and {topic.id}")
            seen[key] = topic.id
    return Guidance(topics=topics, sources=sources)


@lru_cache(maxsize=1)
def guidance() -> Guidance:
    """The content, loaded once per process."""
    return load_guidance()
