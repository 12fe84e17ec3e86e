"""Nothing is lost: a Rasa restart in the middle of the feedback, and fifty
feedback conversations at once, each stored whole under its own session."""
from __future__ import annotations

import json
from concurrent.futures import ThreadPoolExecutor

import pytest

import os
import signal
import time

from bot.outage import OUTAGE_TEXT
from stack import _export, action_server_pids, running_assistant, say, standalone_action_server

pytestmark = pytest.mark.slow

ANSWERS = ["the adult", "yes", "1 and 9", "fully", "partly", "yes", "sort of", "no", "yes", "no", "a bit",
           "reduced"]


def _feedback(sender, case_ref, comment, base):
    """A whole closing-feedback conversation over REST; returns the last reply."""
    say(sender, f"record feedback for case {case_ref}", base)
    for text in ANSWERS:
        say(sender, text, base)
    say(sender, comment, base)
    return " ".join(r.get("text", "") for r in say(sender, "/confirm_feedback", base))


def test_fifty_concurrent_feedback_conversations_are_all_stored_unmixed(server):
    cases = {f"CC-{n:04d}": f"conversation number {n} says thanks" for n in range(50)}
    with ThreadPoolExecutor(max_workers=50) as pool:
        done = list(pool.map(lambda item: _feedback(f"concurrent-{item[0]}", item[0], item[1], server["base"]),
                             cases.items()))
    assert all("Saved" in reply for reply in done), [r for r in done if "Saved" not in r][:3]
    exported = [r for r in json.loads(_export(server)) if r["case_ref"] in cases]
    assert sorted(r["case_ref"] for r in exported) == sorted(cases)  # each once
    for row in exported:
        assert row["status"] == "completed" and row["other_comments"] == cases[row["case_ref"]]
        assert [o["outcome"] for o in row["outcomes"]] == ["maintain_relationship", "feel_safer"]
        assert [o["achieved"] for o in row["outcomes"]] == ["fully", "partially"]
        assert [row[k] for k in ("goals_achieved", "had_chance_to_say", "listened_to", "acted_on_wishes",
                                 "feels_safe", "feels_happier")] == ["yes", "partly", "no", "yes", "no", "partly"]


def test_a_rasa_restart_mid_feedback_resumes_at_the_same_question(tmp_path):
    with running_assistant(tmp_path, 5205, 5255, "first.log") as first:
        say("restart-1", "record feedback for case RR-3030", first["base"])
        for text in ANSWERS[:7]:  # up to question 2 of 6
            asked = say("restart-1", text, first["base"])
        assert asked[-1]["text"].startswith("Question 3 of 6")
    with running_assistant(tmp_path, 5205, 5255, "second.log") as second:
        replies = say("restart-1", ANSWERS[7], second["base"])  # the answer to question 3
        assert replies[-1]["text"].startswith("Question 4 of 6"), replies
        for text in ANSWERS[8:]:
            say("restart-1", text, second["base"])
        say("restart-1", "nothing else", second["base"])
        assert "Saved" in " ".join(r["text"] for r in say("restart-1", "/confirm_feedback", second["base"]))
        (row,) = [r for r in json.loads(_export(second)) if r["case_ref"] == "RR-3030"]
    assert row["status"] == "completed" and row["had_chance_to_say"] == "partly" and row["listened_to"] == "no"
    assert row["acted_on_wishes"] == "yes" and row["risk_result"] == "reduced"


def test_with_the_action_server_down_the_user_is_told_and_the_answer_reaches_the_database_once_back(tmp_path):
    with running_assistant(tmp_path, 5215, 5265) as server:
        base = server["base"]
        say("outage-1", "record feedback for case OA-4040", base)
        for text in ANSWERS[:6]:  # up to question 2 of 6
            asked = say("outage-1", text, base)
        assert asked[-1]["text"].startswith("Question 2 of 6")
        (pid,) = action_server_pids(server)
        os.kill(pid, signal.SIGTERM)
        while action_server_pids(server):
            time.sleep(0.2)
        replies = say("outage-1", "sort of, they rang me sometimes", base)
        assert [r["text"] for r in replies] == [OUTAGE_TEXT]  # said once, not silence
        assert say("outage-1", "hello?", base)[0]["text"] == OUTAGE_TEXT
        with standalone_action_server(server):
            replies = say("outage-1", "continue", base)
            assert replies[-1]["text"].startswith("Question 3 of 6"), replies
            (row,) = [r for r in json.loads(_export(server)) if r["case_ref"] == "OA-4040"]
            assert row["had_chance_to_say"] == "partly"
            assert row["had_chance_to_say_comment"] == "sort of, they rang me sometimes"
            for text in ANSWERS[7:]:
                say("outage-1", text, base)
            say("outage-1", "nothing else", base)
            assert "Saved" in " ".join(r["text"] for r in say("outage-1", "/confirm_feedback", base))
            rows = [r for r in json.loads(_export(server)) if r["case_ref"] == "OA-4040"]
    assert len(rows) == 1 and rows[0]["status"] == "completed"
    assert (rows[0]["had_chance_to_say"], rows[0]["listened_to"], rows[0]["risk_result"]) == ("partly", "no", "reduced")
