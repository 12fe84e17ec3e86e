"""The project's spaCy pipeline finds the principles however they are written,
and works offline (lemma tables are saved with it)."""
from __future__ import annotations

import pytest
import spacy

from bot.content import guidance
from bot.nlp.pipeline import PRINCIPLE_LABEL, build_pipeline


@pytest.fixture(scope="module")
def saved_nlp(tmp_path_factory):
    path = tmp_path_factory.mktemp("nlp") / "msp_en"
    build_pipeline(guidance()).to_disk(path)
    return spacy.load(path)


@pytest.mark.parametrize(
    "text, principle",
    [
        ("how does accountability apply to me", "accountability"),
        ("What does PROPORTIONALITY mean?", "proportionality"),
        ("is a proportionate response enough", "proportionality"),
        ("the least intrusive response", "proportionality"),
        ("how do I empower her", "empowerment"),
        ("tell me about prevention", "prevention"),
        ("multi-agency working", "partnership"),
    ],
)
def test_principles_and_their_variants_are_entities(saved_nlp, text, principle):
    ents = [(e.label_, e.ent_id_) for e in saved_nlp(text).ents]
    assert ents == [(PRINCIPLE_LABEL, principle)]


def test_a_question_without_a_principle_has_no_entity(saved_nlp):
    assert list(saved_nlp("when do I refer for an independent advocate").ents) == []


def test_saved_pipeline_lemmatises_from_its_own_tables(saved_nlp):
    assert [t.lemma_ for t in saved_nlp("adults were running")] == ["adult", "be", "run"]
