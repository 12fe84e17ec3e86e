"""Practitioners' questions the model never saw get the right topic (>= 95%)."""
from __future__ import annotations

from pathlib import Path

import pytest

from bot.cli import latest_model
from bot.nlp.evaluation import load_heldout, misses, normalise, pipeline_predictions, score, training_examples

HELDOUT = Path(__file__).parent / "nlu" / "heldout.yml"
REQUIRED_ACCURACY = 0.95


@pytest.fixture(scope="module")
def questions():
    return load_heldout(HELDOUT)


def test_there_are_at_least_150_heldout_questions_none_of_them_in_training(questions):
    assert len(questions) >= 150
    trained = {normalise(text) for text, _ in training_examples()}
    leaked = [text for text, _ in questions if normalise(text) in trained]
    assert leaked == []


def test_heldout_questions_get_the_right_topic(questions):
    model = latest_model()
    assert model is not None, "no trained model: run `make train`"
    predicted = pipeline_predictions(model, [text for text, _ in questions])
    result = score([topic for _, topic in questions], predicted)
    assert result.accuracy >= REQUIRED_ACCURACY, misses(questions, predicted)
