"""Topic accuracy on held-out questions, for the trained pipeline and for a
TF-IDF + logistic-regression baseline trained on the same examples."""
from __future__ import annotations

import asyncio
import logging
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Dict, List, Sequence, Tuple

import yaml

from bot.content import guidance

ROOT = Path(__file__).resolve().parents[2]
RETRIEVAL_INTENT = "guidance"


@dataclass
class Score:
    accuracy: float
    macro_f1: float
    n: int


def normalise(text: str) -> str:
    return re.sub(r"\s+", " ", text.strip().lower())


def load_heldout(path: Path) -> List[Tuple[str, str]]:
    questions = yaml.safe_load(path.read_text(encoding="utf-8"))["questions"]
    return [(q["text"], q["topic"]) for q in questions]


def training_examples(data_dir: Path = ROOT / "data") -> List[Tuple[str, str]]:
    """Every (text, label) the model learns from: guidance topics from the
    content, other intents from data/nlu (labels are intent names)."""
    examples = [(e, t.id) for t in guidance().topics.values() for e in t.examples]
    for path in sorted((data_dir / "nlu").glob("*.yml")):
        if path.name == "guidance.yml":  # generated from the content, counted above
            continue
        for block in yaml.safe_load(path.read_text(encoding="utf-8")).get("nlu") or []:
            if "intent" in block:
                for line in block["examples"].splitlines():
                    if line.strip().startswith("- "):
                        examples.append((line.strip()[2:].strip(), block["intent"]))
    return examples


def label_of(parse: dict) -> str:
    intent = (parse.get("intent") or {}).get("name")
    if intent == RETRIEVAL_INTENT:
        key = parse["response_selector"][RETRIEVAL_INTENT]["response"]["intent_response_key"]
        return key.split("/", 1)[1]
    return intent or "none"


def pipeline_predictions(model_path: Path, texts: Sequence[str]) -> List[str]:
    from rasa.core.agent import Agent

    logging.getLogger("rasa").setLevel(logging.ERROR)
    agent = Agent.load(str(model_path))

    async def parse_all() -> List[str]:
        return [label_of(await agent.parse_message(text)) for text in texts]

    return asyncio.run(parse_all())


def baseline_predictions(train: Sequence[Tuple[str, str]], texts: Sequence[str]) -> List[str]:
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline

    model = make_pipeline(
        TfidfVectorizer(ngram_range=(1, 2), sublinear_tf=True, lowercase=True),
        LogisticRegression(max_iter=2000, C=10.0, random_state=42),
    )
    model.fit([t for t, _ in train], [label for _, label in train])
    return list(model.predict(list(texts)))


def score(expected: Sequence[str], predicted: Sequence[str]) -> Score:
    from sklearn.metrics import accuracy_score, f1_score

    labels = sorted(set(expected))
    return Score(
        accuracy=accuracy_score(expected, predicted),
        macro_f1=f1_score(expected, predicted, labels=labels, average="macro", zero_division=0),
        n=len(expected),
    )


def misses(questions: Sequence[Tuple[str, str]], predicted: Sequence[str]) -> List[Dict[str, str]]:
    return [
        {"text": text, "expected": topic, "got": got}
        for (text, topic), got in zip(questions, predicted)
        if got != topic
    ]
