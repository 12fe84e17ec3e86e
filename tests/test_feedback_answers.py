"""Answers as people really give them map to the fixed vocabulary; their own
words are kept exactly; identifying details are spotted."""
from __future__ import annotations

import pytest

from bot import privacy
from bot.config import DEFAULT_CASE_REF_PATTERN
from bot.feedback import answers
from bot.feedback.flow import FeedbackFlow


@pytest.mark.parametrize(
    "said, value",
    [("yeah", "yes"), ("Definitely!", "yes"), ("yep", "yes"), ("sort of", "partly"), ("a bit", "partly"),
     ("not really", "no"), ("nope", "no"), ("No.", "no"), ("I'd rather not say", "not_answered"),
     ("I’d rather not say", "not_answered"), ("skip", "not_answered"), ("I don't know", "not_answered"),
     ("mostly yes", "yes"), ("mostly", "partly")],
)
def test_everyday_answers_map_to_yes_partly_no_or_not_answered(said, value):
    parsed = answers.closing_answer(said)
    assert parsed.value == value and parsed.comment is None


def test_whatever_else_is_said_is_kept_verbatim_as_the_comment():
    said = "Yeah, they really listened this time — not like before 😊"
    assert answers.closing_answer(said) == answers.Answer("yes", said)


@pytest.mark.parametrize("said", ["yesterday was fine", "they listened to me", "", "   ", "🤷", "<b>maybe</b>"])
def test_unclear_answers_have_no_value_and_keep_their_words(said):
    parsed = answers.closing_answer(said)
    assert parsed.value is None
    assert parsed.comment == (said.strip() or None)


@pytest.mark.parametrize(
    "said, who",
    [("I'm her daughter", "representative"), ("the adult", "adult"), ("advocate", "advocate"),
     ("independent advocate", "advocate"), ("a friend of his", "representative"), ("representative", "representative")],
)
def test_who_is_answering(said, who):
    assert answers.respondent(said) == who


def test_outcomes_by_number_name_and_own_words():
    choice = answers.outcome_choice("1 and 9, and she wants her garden back")
    assert choice.outcomes == ["maintain_relationship", "feel_safer"]
    assert choice.own_words == "she wants her garden back"
    assert answers.outcome_choice("two & three").outcomes == ["help_to_recover", "keep_control"]
    assert answers.outcome_choice("12, 0").outcomes == []  # out of range numbers are not outcomes


@pytest.mark.parametrize(
    "typed, kind",
    [("943 476 5919", "an NHS number"), ("9434765919", "an NHS number"), ("07700 900123", "a phone number"),
     ("+44 7700 900123", "a phone number"), ("jo@example.org", "an email address"), ("SW1A 1AA", "a postcode"),
     ("01/02/1950", "a date of birth"), ("born 3 March 1950", "a date of birth"), ("12 Acacia Avenue", "an address")],
)
def test_identifying_details_are_spotted(typed, kind):
    assert privacy.identifier_kind(typed) == kind


@pytest.mark.parametrize("typed", ["ABC-1234", "12345678", "SG-2024-00123", "they were kind to me"])
def test_ordinary_text_and_case_references_are_not_identifiers(typed):
    assert privacy.identifier_kind(typed) is None


@pytest.mark.parametrize(
    "typed, problem",
    [("John Smith", "name"), ("Mrs Jones", "name"), ("943 476 5919", "NHS number"), ("07700 900123", "phone"),
     ("a@b.co", "email"), ("L36 9YU", "postcode"), ("12/03/1948", "date of birth"), ("ABC 1234 5", "doesn't look")],
)
def test_a_case_reference_that_looks_like_personal_details_is_refused_with_the_reason(typed, problem):
    reason = FeedbackFlow(None, DEFAULT_CASE_REF_PATTERN).check_case_ref(typed)
    assert reason and problem in reason


@pytest.mark.parametrize("typed", ["ABC-1234", "SG-2024-00123", "12345678", "kn-55"])
def test_common_case_reference_shapes_are_accepted(typed):
    assert FeedbackFlow(None, DEFAULT_CASE_REF_PATTERN).check_case_ref(typed) is None


def test_the_case_reference_format_is_configurable():
    flow = FeedbackFlow(None, r"CR\d{6}")
    assert flow.check_case_ref("CR123456") is None
    assert flow.check_case_ref("ABC-1234") is not None
    assert flow.find_case_ref("resume case CR654321 please") == "CR654321"
