"""Build the spaCy pipeline that Rasa's SpacyNLP loads.

spacy.blank("en") + a lookup lemmatizer (tables from spacy-lookups-data,
copied into the saved pipeline so nothing is fetched at run time) + an
EntityRuler whose patterns come from the MSP content.
"""
from __future__ import annotations

from pathlib import Path
from typing import List

import spacy
from spacy.language import Language

from bot.content import Guidance, guidance

PRINCIPLE_LABEL = "principle"
DEFAULT_PIPELINE_DIR = Path(__file__).resolve().parents[2] / "var" / "spacy" / "msp_en"


def entity_patterns(content: Guidance) -> List[dict]:
    """One phrase pattern per way of naming each principle, matched case-blind;
    the pattern id is the principle, so variants resolve to one name."""
    patterns = []
    for topic in content.principles():
        for term in sorted({topic.principle, *topic.terms}):
            patterns.append({"label": PRINCIPLE_LABEL, "pattern": term, "id": topic.principle})
    return patterns


def build_pipeline(content: Guidance) -> Language:
    nlp = spacy.blank("en")
    nlp.add_pipe("lemmatizer", config={"mode": "lookup"})
    ruler = nlp.add_pipe("entity_ruler", config={"phrase_matcher_attr": "LOWER"})
    nlp.initialize()  # loads the lemma lookup tables from spacy-lookups-data
    ruler.add_patterns(entity_patterns(content))
    nlp.meta["name"] = "msp_en"
    nlp.meta["description"] = "MSP Assistant pipeline: tokenizer, lookup lemmatizer, MSP EntityRuler"
    return nlp


def save_pipeline(path: Path = DEFAULT_PIPELINE_DIR) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    build_pipeline(guidance()).to_disk(path)
    return path
