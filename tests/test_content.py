"""The MSP content obeys its rules: sourced, short, linked, and the one origin
of the Rasa guidance data."""
from __future__ import annotations

import pytest
import yaml

from bot.content import MAX_ANSWER_WORDS, ContentError, guidance, load_guidance
from bot.content.replies import answer
from bot.content.training_data import responses_document, write_training_data

SIX = ["empowerment", "prevention", "proportionality", "protection", "partnership", "accountability"]


def test_every_answer_is_short_enough_for_a_phone_and_names_its_source():
    content = guidance()
    for topic in content.topics.values():
        assert len(topic.answer.split()) <= MAX_ANSWER_WORDS, topic.id
        reply = answer(topic.id)
        assert reply.text.endswith(content.source_line(topic.id))
        assert content.sources[topic.source] in reply.text
        assert len(reply.buttons) <= 3


def test_the_six_principles_are_all_there_in_order():
    content = guidance()
    assert [t.principle for t in content.principles()] == SIX
    listing = content.topic("six_principles").answer
    positions = [listing.lower().index(p) for p in SIX]
    assert positions == sorted(positions)


@pytest.mark.parametrize(
    "mention, principle",
    [("Proportionate", "proportionality"), ("least intrusive", "proportionality"), ("EMPOWER", "empowerment"),
     ("transparent", "accountability"), ("multi-agency", "partnership"), ("safeguarding", None)],
)
def test_words_that_name_a_principle_resolve_to_it(mention, principle):
    topic = guidance().topic_for_principle(mention)
    assert (topic.principle if topic else None) == principle


def test_scope_answer_says_england_only_and_not_legal_advice():
    text = guidance().topic("scope_england").answer
    assert "England" in text and "Wales" in text and "not legal advice" in text


def test_s42_criteria_name_all_three_conditions():
    text = guidance().topic("s42_criteria").answer.lower()
    for condition in ("needs for care and support", "abuse or neglect", "unable to protect themselves"):
        assert condition in text


def test_generated_training_data_covers_every_topic_and_carries_the_same_text(tmp_path):
    content = guidance()
    write_training_data(tmp_path)
    nlu = yaml.safe_load((tmp_path / "nlu" / "guidance.yml").read_text())
    responses = yaml.safe_load((tmp_path / "responses" / "guidance.yml").read_text())["responses"]
    assert {item["intent"] for item in nlu["nlu"]} == {f"guidance/{t}" for t in content.topics}
    for topic in content.topics.values():
        (response,) = responses[f"utter_guidance/{topic.id}"]
        assert response["text"].startswith(topic.answer)
        assert [b["payload"] for b in response["buttons"]] == [f"topic:{r}" for r in topic.related]
    assert responses_document(content)["responses"].keys() == responses.keys()


def _write(tmp_path, topics, sources=None):
    (tmp_path / "sources.yml").write_text(yaml.safe_dump(sources or {"s": "A source"}))
    (tmp_path / "guidance.yml").write_text(yaml.safe_dump({"topics": topics}))
    return tmp_path


def _topic(**over):
    base = {"id": "a", "title": "A", "answer": "An answer.", "simpler": "Simply.", "source": "s", "examples": ["what is a"]}
    base.update(over)
    return base


@pytest.mark.parametrize(
    "topics, problem",
    [
        ([_topic(source="nowhere")], "unknown source"),
        ([_topic(answer="word " * (MAX_ANSWER_WORDS + 1))], "words"),
        ([_topic(related=["b"])], "unknown topic"),
        ([_topic(), _topic()], "defined twice"),
        ([_topic(), _topic(id="b", examples=["What is  A"])], "in both"),
        ([_topic(examples=[])], "missing"),
    ],
)
def test_broken_content_is_refused_when_loaded(tmp_path, topics, problem):
    with pytest.raises(ContentError, match=problem):
        load_guidance(_write(tmp_path, topics))
