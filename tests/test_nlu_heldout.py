"""Practitioners' questions the model never saw get the right topic (>= 95%)."""
from __future__ import annotations

from pathlib import Path

import pytest

from bot.cli import latest_model
from bot.nlp.evaluation import (
    baseline_predictions,
    load_heldout,
    misses,
    normalise,
    pipeline_predictions,
    score,
    training_examples,
)

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


@pytest.fixture(scope="module")
def pipeline_result(questions):
    model = latest_model()
    assert model is not None, "no trained model: run `make train`"
    predicted = pipeline_predictions(model, [text for text, _ in questions])
    return predicted, score([topic for _, topic in questions], predicted)


def test_heldout_questions_get_the_right_topic(questions, pipeline_result):
    predicted, result = pipeline_result
    assert result.accuracy >= REQUIRED_ACCURACY, misses(questions, predicted)


def test_the_pipeline_beats_a_tfidf_logistic_regression_baseline(questions, pipeline_result):
    _, ours = pipeline_result
    texts, expected = [t for t, _ in questions], [topic for _, topic in questions]
    baseline = score(expected, baseline_predictions(training_examples(), texts))
    assert ours.accuracy > baseline.accuracy and ours.macro_f1 > baseline.macro_f1
