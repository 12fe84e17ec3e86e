"""Nothing is lost: a Rasa restart in the middle of the feedback, the action
server down, two servers taking turns on one conversation, and fifty feedback
conversations at once, each stored whole under its own session."""
from __future__ import annotations

import json
import os
import signal
import time
import uuid
from concurrent.futures import ThreadPoolExecutor

import pytest

from bot.config import PROJECT_ROOT
from bot.outage import OUTAGE_TEXT
from stack import (CuttableLink, _export, action_server_pids, running_assistant, running_assistants, say,
                   standalone_action_server)

pytestmark = pytest.mark.slow

# feels safe: "yes", so saving needs no safety-plan review (tested in test_safety_stack)
ANSWERS = ["the adult", "yes", "1 and 9", "fully", "partly", "yes", "sort of", "no", "yes", "yes", "a bit",
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
                                 "feels_safe", "feels_happier")] == ["yes", "partly", "no", "yes", "yes", "partly"]


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


@pytest.fixture
def redis_url():
    """Redis of the machine (CI has it); a missing Redis fails where PostgreSQL is required."""
    import redis

    url = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/0")
    try:
        redis.Redis.from_url(url, socket_timeout=2).ping()
    except redis.exceptions.RedisError as error:
        if os.environ.get("MSP_REQUIRE_POSTGRES") == "1":
            pytest.fail(f"Redis at {url} is required here: {error}")
        pytest.skip(f"no Redis at {url}")
    return url


def _lock_commands(redis_url, key):
    """Redis commands on one conversation's lock, with the connection that sent
    them, seen through MONITOR while the test runs."""
    import redis
    import threading

    seen = []
    ready = threading.Event()

    def watch():
        with redis.Redis.from_url(redis_url).monitor() as monitor:
            ready.set()
            for command in monitor.listen():
                if key in command["command"]:
                    seen.append((command.get("client_address", "") + ":" + str(command.get("client_port", "")),
                                 command["command"]))

    threading.Thread(target=watch, daemon=True).start()
    ready.wait(5)
    return seen


@pytest.mark.postgres
def test_two_servers_sharing_postgresql_and_redis_take_turns_on_one_feedback_conversation(tmp_path, redis_url):
    from conftest import _postgres_schema_url
    from sqlalchemy import text

    admin, schema, database_url = _postgres_schema_url()
    shared = {"DATABASE_URL": database_url, "LOCK_STORE_URL": redis_url}
    specs = [(tmp_path, 5225, 5275, "a.log", shared), (tmp_path, 5235, 5285, "b.log", shared)]
    try:
        with running_assistants(*specs) as (first, second):
            endpoints = (PROJECT_ROOT / "var" / "endpoints-5225.yml").read_text()
            assert "type: redis" in endpoints and "key_prefix: msp" in endpoints
            bases = [first["base"], second["base"]]
            sender = f"replicas-{uuid.uuid4().hex[:8]}"
            locks = _lock_commands(redis_url, f"msp:lock:{sender}")
            messages = ["record feedback for case RP-5050", *ANSWERS, "they were kind to my mum", "/confirm_feedback"]
            replies = [say(sender, message, bases[n % 2]) for n, message in enumerate(messages)]
            time.sleep(0.5)
            sets = [(client, command) for client, command in locks if command.upper().startswith("SET ")]
            assert len(sets) >= len(messages) and len({client for client, _ in sets}) >= 2, locks[:5]
            assert replies[1][-1]["text"].startswith("During the enquiry, were you asked"), replies[1]  # B carries on
            assert "Saved" in " ".join(r.get("text", "") for r in replies[-1])
            rows = [r for r in json.loads(_export(first)) if r["case_ref"] == "RP-5050"]
            with admin.connect() as conn:
                events = conn.execute(text(f"SELECT count(*) FROM {schema}.events WHERE sender_id = :s"),
                                      {"s": sender}).scalar()
    finally:
        with admin.begin() as conn:
            conn.execute(text(f"DROP SCHEMA {schema} CASCADE"))
        admin.dispose()
    assert len(rows) == 1, rows
    row = rows[0]
    assert row["status"] == "completed" and row["other_comments"] == "they were kind to my mum"
    assert [o["outcome"] for o in row["outcomes"]] == ["maintain_relationship", "feel_safer"]
    assert [row[k] for k in ("goals_achieved", "had_chance_to_say", "listened_to", "acted_on_wishes",
                             "feels_safe", "feels_happier", "risk_result")] == \
        ["yes", "partly", "no", "yes", "yes", "partly", "reduced"]
    assert events > 2 * len(messages)  # one tracker in the shared database, written by both


@pytest.mark.postgres
def test_with_the_database_down_the_user_is_told_and_every_answer_is_stored_once_when_back(tmp_path):
    """Feedback database down (conversation store up): answers go on, are kept
    and saved with the next save once back. Both down (one PostgreSQL, as
    deployed): the message is refused with a reason, never a fresh conversation."""
    from urllib.parse import urlsplit

    from conftest import _postgres_schema_url
    from sqlalchemy import text

    from bot.outage import STORE_OUTAGE_TEXT

    admin, schema, direct_url = _postgres_schema_url()
    port = urlsplit(direct_url).port or 5432
    feedback_link, tracker_link = CuttableLink(port), CuttableLink(port)
    via = lambda link: direct_url.replace(f"127.0.0.1:{port}", f"127.0.0.1:{link.port}")  # noqa: E731
    env = {"DATABASE_URL": via(feedback_link), "TRACKER_DATABASE_URL": via(tracker_link)}
    sender = f"dbdown-{uuid.uuid4().hex[:8]}"
    try:
        with running_assistant(tmp_path, 5245, 5295, "dbdown.log", env) as server:
            base = server["base"]
            say(sender, "record feedback for case DB-6060", base)
            for answer in ANSWERS[:6]:
                asked = say(sender, answer, base)
            assert asked[-1]["text"].startswith("Question 2 of 6")

            feedback_link.cut()  # the feedback tables can't be reached; the conversation store can
            replies = say(sender, "sort of, when they had time", base)
            said = " ".join(r.get("text", "") for r in replies)
            assert "couldn't save" in said and "Nothing is lost" in said, said
            assert replies[-1]["text"].startswith("Question 3 of 6"), replies  # the feedback goes on
            say(sender, "no", base)

            tracker_link.cut()  # now everything is down, as with one PostgreSQL server
            assert [r["text"] for r in say(sender, "yes", base)] == [STORE_OUTAGE_TEXT]
            assert [r["text"] for r in say(sender, "yes", base)] == [STORE_OUTAGE_TEXT]  # not a new conversation

            tracker_link.restore()
            feedback_link.restore()
            replies = say(sender, "yes", base)  # sent again, as asked: the answer to question 4
            assert replies[-1]["text"].startswith("Question 5 of 6"), replies
            (row,) = [r for r in json.loads(_export(server)) if r["case_ref"] == "DB-6060"]
            assert (row["had_chance_to_say"], row["had_chance_to_say_comment"]) == ("partly", "sort of, when they had time")
            assert (row["listened_to"], row["acted_on_wishes"]) == ("no", "yes")
            for answer in ANSWERS[9:]:
                say(sender, answer, base)
            say(sender, "nothing else", base)
            assert "Saved" in " ".join(r.get("text", "") for r in say(sender, "/confirm_feedback", base))
            rows = [r for r in json.loads(_export(server)) if r["case_ref"] == "DB-6060"]
            log = server["log"].read_text()
    finally:
        with admin.begin() as conn:
            conn.execute(text(f"DROP SCHEMA {schema} CASCADE"))
        admin.dispose()
    assert len(rows) == 1 and rows[0]["status"] == "completed"
    assert (rows[0]["feels_safe"], rows[0]["feels_happier"], rows[0]["risk_result"]) == ("yes", "partly", "reduced")
    assert "sort of, when they had time" not in log  # the outage is logged, never what was typed
    assert "conversation store unreachable" in log
