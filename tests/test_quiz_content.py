"""Quiz items come from the guidance: each names a correct answer backed by
the text of the guidance topic it tests, and its source."""
from __future__ import annotations

import dataclasses
from collections import Counter

import pytest
import yaml

from bot.content import ContentError, guidance
from bot.content.quiz import QUIZ_TOPICS, load_quiz, quiz, topic_text


def test_at_least_60_items_across_every_quiz_topic():
    items = quiz()
    assert len(items) >= 60
    per_topic = Counter(item.quiz_topic for item in items.values())
    assert set(per_topic) == set(QUIZ_TOPICS) and min(per_topic.values()) >= 5


def test_every_item_has_a_correct_answer_backed_by_its_guidance_topic_and_a_source():
    content = guidance()
    for item in quiz().values():
        assert item.evidence.lower() in topic_text(content, item.topic), item.id
        assert item.correct_text and item.why
        assert item.source() == content.source_line(item.topic)
        if item.options:
            assert len(set(item.options)) == len(item.options), item.id


def test_changing_a_fact_in_the_guidance_breaks_the_quiz_item_that_relied_on_it(tmp_path):
    content = guidance()
    topic = content.topic("principle_proportionality")
    changed = dataclasses.replace(topic, answer=topic.answer.replace("least intrusive", "most thorough"),
                                  more=None, simpler="Do what the risk needs.", example=None)
    edited = dataclasses.replace(content, topics={**content.topics, topic.id: changed})
    (tmp_path / "quiz.yml").write_text((content_dir() / "quiz.yml").read_text())
    with pytest.raises(ContentError, match="evidence is not in guidance topic principle_proportionality"):
        load_quiz(tmp_path, edited)


def content_dir():
    from bot.content import CONTENT_DIR
    return CONTENT_DIR


@pytest.mark.parametrize(
    "change, problem",
    [({"answer": 7}, "answer must index"), ({"topic": "nowhere"}, "unknown guidance topic"),
     ({"kind": "essay"}, "kind must be"), ({"why": ""}, "missing why")],
)
def test_broken_items_are_refused(tmp_path, change, problem):
    raw = yaml.safe_load((content_dir() / "quiz.yml").read_text())
    raw["items"][0].update(change)
    (tmp_path / "quiz.yml").write_text(yaml.safe_dump(raw))
    with pytest.raises(ContentError, match=problem):
        load_quiz(tmp_path)
