"""How typed answers and round requests are read: what counts, and what is
refused rather than guessed."""
from __future__ import annotations

import pytest

from bot.training.answers import read_choice, read_true_false
from bot.training.coach import read_request

OPTIONS = ["Empowerment", "Proportionality", "Protection", "Accountability"]


@pytest.mark.parametrize("typed, meant", [
    ("b", 1), ("B", 1), ("b)", 1), ("(b)", 1), ("option b", 1), ("answer: b", 1), ("b. proportionality", 1),
    ("the second one", 1), ("second", 1), ("2", 1), ("number 2", 1), ("the last one", 3),
    ("proportionality", 1), ("Proportionality.", 1), ("I think it's proportionality", 1),
    ("proportionallity", 1), ("prop", None), ("accountability!", 3),
])
def test_choice_answers(typed, meant):
    assert read_choice(typed, OPTIONS) == meant


@pytest.mark.parametrize("typed", ["b or c", "empowerment or protection", "not empowerment", "e", "5", "",
                                   "a. proportionality", "the fifth one", "🙂"])
def test_unclear_choice_answers_are_not_guessed(typed):
    assert read_choice(typed, OPTIONS) is None


def test_the_start_of_a_long_option_counts():
    options = ["Can the person read and write?",
               "Can the person understand, retain, use or weigh the information and communicate the decision?"]
    assert read_choice("can the person understand, retain", options) == 1


@pytest.mark.parametrize("typed, meant", [
    ("true", True), ("True.", True), ("yes", True), ("it's true", True), ("false", False), ("that's false", False),
    ("not true", False), ("no", False), ("wrong", False), ("maybe", None), ("", None), ("b", None),
])
def test_true_false_answers(typed, meant):
    assert read_true_false(typed) is meant


@pytest.mark.parametrize("text, topics, kind, count", [
    ("quiz me", (), None, None),
    ("test me on the principles", ("principles",), None, None),
    ("practise s42", ("s42",), None, None),
    ("give me a scenario", (), "scenario", None),
    ("quiz me with 10 questions on mental capacity", ("capacity",), None, 10),
    ("three questions on outcomes and advocacy", ("outcomes", "advocacy"), None, 3),
    ("test me on self-neglect", ("abuse",), None, None),
    ("scenarios about concluding the enquiry", ("concluding",), "scenario", None),
])
def test_round_requests(text, topics, kind, count):
    request = read_request(text)
    assert (request.topics, request.kind, request.count) == (topics, kind, count)


def test_a_button_names_its_topic():
    assert read_request("/start_quiz", [{"entity": "quiz_topic", "value": "capacity"}]).topics == ("capacity",)
    assert read_request("/start_quiz", [{"entity": "quiz_topic", "value": "nonsense"}]).topics == ()
