"""`msp-bot run` as a practitioner starts it: both servers, REST, the token,
localhost only, SQL tracker store, and nothing typed ends up in the logs."""
from __future__ import annotations

import json
import sqlite3
import time

import pytest

from stack import ACTION_PORT, PLANTED, RASA_PORT, TOKEN, _export, _get, _listening_addresses, say

pytestmark = pytest.mark.slow



def test_hi_over_rest_gets_a_greeting(server):
    (reply,) = say("a", "hi")
    assert "MSP Assistant" in reply["text"]


def test_a_guidance_question_is_answered_with_its_source(server):
    replies = say("b", "what does proportionality mean?")
    assert "least intrusive" in replies[0]["text"]
    assert "Source:" in replies[0]["text"]
    assert len(replies[0]["buttons"]) == 3


def test_immediate_danger_says_999_first(server):
    (reply,) = say("c", "she's being hit right now")
    assert reply["text"].index("999") < reply["text"].index("adult social care")


def test_gibberish_offers_choices_instead_of_a_confident_answer(server):
    (reply,) = say("d", "blorp zxqv wibble")
    assert "not sure" in reply["text"] and 1 <= len(reply["buttons"]) <= 3


def test_quiz_me_starts_a_round_with_its_first_question_and_nothing_else(server):
    replies = [reply["text"] for reply in say("q", "quiz me")]
    assert replies[0].startswith("Let's start") and " of 5 " in replies[-1]
    assert not any("You're in a quiz" in text for text in replies)
    assert len(replies) == 2


def test_answers_typed_where_no_question_is_open_get_a_reply_and_lose_nothing(server):
    sender = "stray-answers"

    def said(message):
        return " ".join(r.get("text") or "" for r in say(sender, message))

    assert "wasn't asking anything" in said("b")
    assert "Who is answering" in said("record feedback for case FS-2024-0077")
    assert "desired outcomes" in said("the adult")
    assert "Do you want to stop" in said("cancel")
    unclear = said("the garden")
    assert "didn't catch that" in unclear and "Do you want to stop" in unclear  # asked again
    assert "desired outcomes" in said("no")  # carries on at the same question
    assert "Do you want to stop" in said("cancel")
    assert "draft" in said("yes")
    assert "wasn't asking anything" in said("a")
    (row,) = [r for r in json.loads(_export(server)) if r["case_ref"] == "FS-2024-0077"]
    assert row["status"] == "draft" and row["respondent"] == "adult"


def test_the_http_api_needs_the_token(server):
    assert _get("/status")[0] == 401
    assert _get("/conversations/a/tracker")[0] == 401
    assert _get("/conversations/a/tracker", "wrong-token")[0] == 401
    status, body = _get("/status", TOKEN)
    assert status == 200 and json.loads(body)["model_id"]


def test_both_servers_listen_on_localhost_only(server):
    loopback = {"0100007F", "0000000000000000FFFF00000100007F"}
    assert _listening_addresses(ACTION_PORT) and _listening_addresses(ACTION_PORT) <= loopback
    assert _listening_addresses(RASA_PORT) and _listening_addresses(RASA_PORT) <= loopback


def test_conversations_are_kept_in_the_sql_tracker_store(server):
    say("e", "hello")
    with sqlite3.connect(server["var"] / "msp-tracker.db") as db:
        (count,) = db.execute("select count(*) from events where sender_id = 'e'").fetchone()
    assert count > 0


def test_what_users_type_never_reaches_the_logs(server):
    say("f", f"my neighbour {PLANTED} shouts at me")
    time.sleep(1)
    assert PLANTED not in server["log"].read_text(errors="replace")


def test_a_whole_feedback_conversation_over_rest_is_exported_field_by_field(server):
    sender = "feedback-1"
    steps = [
        ("record feedback for case FS-2024-0042", "Who is answering"),
        ("I'm her daughter", "was the adult asked"),
        ("yes", "Which of these did they want"),
        ("1 and 9, and she wants her garden back", "To keep a key relationship"),
        ("fully", "To feel safer"),
        ("sort of", "she wants her garden back"),
        ("no", "Question 1 of 6"),
        ("yeah", "Question 2 of 6"),
        ("what does proportionality mean?", "least intrusive"),  # a guidance question mid-way
        ("Yes, they rang her every week", "Question 3 of 6"),
        ("sort of", "Question 4 of 6"),
        ("not really, they moved her without asking", "Question 5 of 6"),
        ("I'd rather not say", "Question 6 of 6"),
        ("a bit", "risk"),
        ("reduced", "anything else"),
        ("She says thank you to Sam", "Is this right?"),
        ("/confirm_feedback", "Saved"),
    ]
    for message, expected in steps:
        replies = say(sender, message)
        text = " ".join(r.get("text", "") for r in replies)
        assert expected.lower() in text.lower(), (message, text)
    rows = [r for r in json.loads(_export(server)) if r["case_ref"] == "FS-2024-0042"]
    assert len(rows) == 1
    (row,) = rows
    assert row["respondent"] == "representative" and row["status"] == "completed"
    assert row["started_at"].endswith("+00:00") and row["completed_at"].endswith("+00:00")
    assert row["outcomes_asked"] == "asked_expressed"
    assert row["outcomes"] == [
        {"outcome": "maintain_relationship", "own_words": None, "achieved": "fully"},
        {"outcome": "feel_safer", "own_words": None, "achieved": "partially"},
        {"outcome": "own_words", "own_words": "she wants her garden back", "achieved": "not"},
    ]
    assert (row["goals_achieved"], row["had_chance_to_say"], row["listened_to"], row["acted_on_wishes"],
            row["feels_safe"], row["feels_happier"]) == ("yes", "yes", "partly", "no", "not_answered", "partly")
    assert row["had_chance_to_say_comment"] == "Yes, they rang her every week"
    assert row["acted_on_wishes_comment"] == "not really, they moved her without asking"
    assert row["goals_achieved_comment"] is None and row["feels_safe_comment"] is None
    assert row["risk_result"] == "reduced"
    assert row["other_comments"] == "She says thank you to Sam"
    assert row["disclosure_flag"] is False


def test_a_case_reference_that_is_an_nhs_number_is_refused_over_rest(server):
    say("feedback-2", "start closing feedback")
    replies = say("feedback-2", "943 476 5919")
    assert "NHS number" in replies[0]["text"]
    assert "case reference" in replies[-1]["text"]  # and it is asked again
    assert "943 476 5919" not in _export(server, "csv")


def test_pause_then_resume_from_another_chat_carries_on_at_the_same_question(server):
    for message in ["start closing feedback", "RS-7788", "the adult", "not asked", "yeah", "sort of, mostly"]:
        say("resume-1", message)
    paused = " ".join(r["text"] for r in say("resume-1", "pause"))
    assert 'resume case RS-7788' in paused
    replies = say("resume-2", "resume case RS-7788")  # a new chat, as after a dropped connection
    text = " ".join(r["text"] for r in replies)
    assert "saved draft" in text and "couldn't tell" not in text
    assert replies[-1]["text"].startswith("Question 3 of 6")
    row = next(r for r in json.loads(_export(server)) if r["case_ref"] == "RS-7788")
    assert row["had_chance_to_say"] == "partly" and row["had_chance_to_say_comment"] == "sort of, mostly"
