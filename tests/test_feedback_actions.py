"""The feedback conversation run through the real actions against a real
database (SQLite and PostgreSQL): every answer stored as it is given, once."""
from __future__ import annotations

import asyncio
from typing import Any, Dict, List

import pytest
from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

import yaml

from actions import feedback as actions
from bot.config import PROJECT_ROOT
from bot.feedback import feedback_flow
from bot.feedback.flow import FLOW_SLOTS, SESSION_SLOT, required_steps
from bot.store import repository_for


@pytest.fixture
def repo(database_url, monkeypatch):
    monkeypatch.setenv("DATABASE_URL", database_url)
    feedback_flow.cache_clear()
    yield repository_for(database_url)
    feedback_flow.cache_clear()


class Conversation:
    """Plays Rasa's part: keeps slots, fills the requested slot from text and
    runs the form's validation action, as the form does."""

    def __init__(self, sender="conv-1"):
        self.sender = sender
        self.slots: Dict[str, Any] = {name: None for name in FLOW_SLOTS}
        self.said: List[dict] = []

    def _tracker(self, text, intent="inform", extra_events=()):
        latest = {"text": text, "intent": {"name": intent, "confidence": 1.0}, "entities": []}
        events = [{"event": "user", "text": text, "parse_data": latest}, *extra_events]
        return Tracker(self.sender, dict(self.slots), latest, events, False, None,
                       {"name": "feedback_form"}, "action_listen")

    def _apply(self, events):
        for event in events:
            if event["event"] == "slot":
                self.slots[event["name"]] = event["value"]

    def run(self, action, text="", intent="inform"):
        dispatcher = CollectingDispatcher()
        events = asyncio.run(action.run(dispatcher, self._tracker(text, intent), {}))
        self._apply(events)
        self.said = dispatcher.messages
        return dispatcher.messages, events

    def next_step(self):
        return next((s for s in required_steps(self.slots) if self.slots.get(s) is None), None)

    def answer(self, text, intent="inform"):
        step = self.next_step()
        self.slots["requested_slot"] = step
        self.slots[step] = text  # as Rasa's slot extraction leaves it for the validation
        dispatcher = CollectingDispatcher()
        tracker = self._tracker(text, intent, extra_events=[{"event": "slot", "name": step, "value": text}])
        events = asyncio.run(actions.ValidateFeedbackForm().run(dispatcher, tracker, DOMAIN))
        self._apply(events)
        self.said = dispatcher.messages
        return step

    def texts(self):
        return " ".join(m.get("text") or "" for m in self.said)


DOMAIN = yaml.safe_load((PROJECT_ROOT / "domain.yml").read_text())  # as Rasa sends it

HAPPY = ["ABC-1234", "the adult", "yes", "1 and 9, and I want my garden back", "fully", "sort of", "no",
         "yeah", "Yes, they rang me every week", "sort of", "not really, they moved me without asking",
         "I'd rather not say", "a bit", "reduced", "Thank you all"]


def _complete(conversation):
    messages, _ = conversation.run(actions.ActionFeedbackSummary())
    assert "Is this right?" in messages[0]["text"]
    return conversation.run(actions.ActionFeedbackComplete(), "/confirm_feedback", "confirm_feedback")


def test_a_whole_conversation_is_stored_field_by_field(repo):
    c = Conversation()
    for text in HAPPY:
        c.answer(text)
    assert c.next_step() is None
    _complete(c)
    (row,) = repo.export()
    assert row["case_ref"] == "ABC-1234" and row["respondent"] == "adult" and row["status"] == "completed"
    assert row["outcomes_asked"] == "asked_expressed"
    assert row["outcomes"] == [
        {"outcome": "maintain_relationship", "own_words": None, "achieved": "fully"},
        {"outcome": "feel_safer", "own_words": None, "achieved": "partially"},
        {"outcome": "own_words", "own_words": "I want my garden back", "achieved": "not"},
    ]
    assert [row[k] for k in ("goals_achieved", "had_chance_to_say", "listened_to", "acted_on_wishes",
                             "feels_safe", "feels_happier")] == ["yes", "yes", "partly", "no", "not_answered", "partly"]
    assert row["had_chance_to_say_comment"] == "Yes, they rang me every week"
    assert row["acted_on_wishes_comment"] == "not really, they moved me without asking"
    assert row["goals_achieved_comment"] is None
    assert row["risk_result"] == "reduced" and row["other_comments"] == "Thank you all"
    assert row["disclosure_flag"] is False and row["completed_at"] is not None
    assert all(v is None for k, v in c.slots.items() if k in FLOW_SLOTS)  # ready for the next adult


def test_each_answer_is_in_the_database_as_soon_as_it_is_given(repo):
    c = Conversation()
    for text in HAPPY[:9]:
        c.answer(text)
    (row,) = repo.export()
    assert row["status"] == "draft"
    assert row["had_chance_to_say"] == "yes" and row["listened_to"] is None


def test_an_unclear_answer_is_asked_again_with_buttons_and_its_words_kept(repo):
    c = Conversation()
    for text in HAPPY[:7]:
        c.answer(text)
    step = c.answer("they treated me like a person")
    assert step == "goals_achieved" and c.slots["goals_achieved"] is None
    assert [b["title"] for b in c.said[0]["buttons"]] == ["Yes", "Partly", "No", "Skip this question"]
    c.answer("yes")
    assert repo.export()[0]["goals_achieved_comment"] == "they treated me like a person"


def test_a_representative_is_asked_about_the_adult(repo):
    c = Conversation()
    c.answer("ABC-1234")
    c.answer("I'm his son")
    c.answer("not asked")
    messages, _ = c.run(actions.ASK_ACTIONS[5]())  # action_ask_goals_achieved
    assert messages[0]["text"].endswith("Do you think they achieved the goals they wanted?")
    assert c.next_step() == "goals_achieved"  # no outcome questions when not asked


def test_the_case_reference_is_said_back_before_the_first_question(repo):
    """A mistyped reference is caught before any answer is recorded under it,
    whether it came in the opening sentence or was typed when asked."""
    started = Conversation("opening-sentence")
    started.run(actions.ActionFeedbackStart(), "record feedback for case sg-2024-00123", "start_feedback")
    assert "recorded for case SG-2024-00123" in started.texts()
    asked = Conversation("asked-for-it")
    asked.answer("XYZ-9876")
    assert "recorded for case XYZ-9876" in asked.texts() and 'say "cancel"' in asked.texts()
    again = feedback_flow().validate("case_ref", "XYZ-9876", dict(asked.slots), asked.sender)
    assert again.replies == []  # Rasa validating it again as the form opens: said once only
    assert {row["case_ref"] for row in repo.export()} == {"SG-2024-00123", "XYZ-9876"}


def test_quiz_me_typed_at_a_question_is_not_kept_as_the_adults_words(repo):
    c = Conversation()
    for text in HAPPY[:7]:
        c.answer(text)
    assert c.next_step() == "goals_achieved"
    for request, intent in (("quiz me", "start_quiz"), ("stop quiz", "stop_quiz")):
        assert c.answer(request, intent) == "goals_achieved"
        assert "haven't taken that as an answer" in c.texts() and 'say "pause"' in c.texts()
        assert c.next_step() == "goals_achieved"
    c.answer("yes")
    for text in HAPPY[8:-1]:
        c.answer(text)
    assert c.answer("quiz me", "start_quiz") == "other_comments" and c.next_step() == "other_comments"
    c.answer("Thank you all")
    _complete(c)
    (row,) = repo.export()
    assert row["goals_achieved"] == "yes" and not row["goals_achieved_comment"]
    assert row["other_comments"] == "Thank you all" and "quiz" not in str(row)


def test_a_name_or_nhs_number_for_the_case_reference_is_refused_and_nothing_stored(repo):
    c = Conversation()
    c.answer("John Smith")
    assert "name" in c.texts() and c.slots["case_ref"] is None
    c.answer("943 476 5919")
    assert "NHS number" in c.texts()
    assert repo.export() == []


def test_a_retried_step_never_duplicates_a_row(repo, database_url):
    c = Conversation()
    for text in HAPPY[:8]:
        c.answer(text)
    before = dict(c.slots)
    c.slots = dict(before)
    c.slots["goals_achieved"] = None
    c.answer("yeah")  # the same answer delivered twice
    from sqlalchemy import text
    engine = repo._sessions.kw["bind"]
    with engine.connect() as conn:
        assert conn.execute(text("select count(*) from feedback_answer")).scalar() == 1
        assert conn.execute(text("select count(*) from desired_outcome")).scalar() == 3
        assert conn.execute(text("select count(*) from feedback_session")).scalar() == 1


def test_change_an_answer_at_the_summary(repo):
    c = Conversation()
    for text in HAPPY:
        c.answer(text)
    messages, _ = c.run(actions.ActionFeedbackChange(), "change question 3 to no", "change_answer")
    assert "3. Did you feel you were listened to? No" in messages[-1]["text"]
    assert repo.export()[0]["listened_to"] == "no"


def test_pause_keeps_everything_and_resume_carries_on_at_the_same_question(repo):
    c = Conversation("first-chat")
    for text in HAPPY[:10]:
        c.answer(text)
    messages, _ = c.run(actions.ActionFeedbackPause(), "pause", "pause_feedback")
    assert 'resume case ABC-1234' in messages[-1]["text"]
    later = Conversation("another-chat")  # a dropped chat: a new conversation
    later.run(actions.ActionFeedbackStart(), "resume case ABC-1234", "resume_feedback")
    assert "saved draft" in later.texts()
    assert later.next_step() == "acted_on_wishes"
    assert later.slots["had_chance_to_say"] == "yes"
    for text in HAPPY[10:]:
        later.answer(text)
    _complete(later)
    (row,) = repo.export()
    assert row["status"] == "completed" and row["had_chance_to_say_comment"] == "Yes, they rang me every week"


def _at_the_first_rating_answered():
    c = Conversation()
    for text in HAPPY[:5]:
        c.answer(text)
    return c


def test_cancel_keeps_a_draft(repo):
    c = _at_the_first_rating_answered()
    messages, _ = c.run(actions.ActionFeedbackCancel(), "/affirm", "affirm")
    assert "draft" in messages[0]["text"]
    (row,) = repo.export()
    assert row["status"] == "draft" and row["outcomes"][0]["achieved"] == "fully"


@pytest.mark.parametrize("typed", ["yes", "Yes please", "yeah"])
def test_yes_typed_to_do_you_want_to_stop_stops_and_keeps_a_draft(repo, typed):
    c = _at_the_first_rating_answered()
    messages, events = c.run(actions.ActionFeedbackCancelReply(), typed, "inform")
    assert "draft" in messages[0]["text"] and c.slots[SESSION_SLOT] is None
    (row,) = repo.export()
    assert row["status"] == "draft" and row["outcomes"][0]["achieved"] == "fully"


@pytest.mark.parametrize("typed", ["no", "nope", "No thank you"])
def test_no_typed_to_do_you_want_to_stop_carries_on_with_the_questions(repo, typed):
    c = _at_the_first_rating_answered()
    messages, events = c.run(actions.ActionFeedbackCancelReply(), typed, "inform")
    assert messages == [] and events == [{"event": "followup", "name": "feedback_form", "timestamp": None}]
    assert c.slots[SESSION_SLOT] and c.next_step() == "outcome_rating"  # nothing cleared


def test_an_unclear_reply_to_do_you_want_to_stop_asks_again(repo):
    c = Conversation()
    c.answer("ABC-1234")
    messages, events = c.run(actions.ActionFeedbackCancelReply(), "the garden", "inform")
    assert "yes or no" in messages[0]["text"]
    assert events == [{"event": "followup", "name": "utter_ask_cancel_feedback", "timestamp": None}]
    assert c.slots["case_ref"] == "ABC-1234"


def test_an_answer_with_no_question_open_is_told_why_it_was_not_taken(repo):
    c = Conversation()
    messages, events = c.run(actions.ActionAnswerNothingAsked(), "b", "inform")
    assert "wasn't asking anything" in messages[0]["text"] and events == []
    for text in HAPPY[:5]:
        c.answer(text)
    c.run(actions.ActionFeedbackPause(), "pause", "pause_feedback")
    messages, _ = c.run(actions.ActionAnswerNothingAsked(), "yes", "inform")
    assert '"resume case ABC-1234"' in messages[0]["text"]
    later = Conversation("conv-2")
    for text in ["XYZ-9876", *HAPPY[1:]]:
        later.answer(text)
    messages, events = later.run(actions.ActionAnswerNothingAsked(), "yes", "inform")
    assert '"confirm"' in messages[0]["text"] and events == []
    assert [b["payload"] for b in messages[0]["buttons"]] == ["/confirm_feedback", "/change_answer"]
    assert [r["status"] for r in repo.export()] == ["draft", "draft"]  # "yes" saved nothing


def test_a_disclosure_flags_the_session_and_keeps_the_words_with_their_step(repo):
    c = Conversation()
    for text in HAPPY[:8]:
        c.answer(text)
    c.slots["requested_slot"] = c.next_step()  # the question open when it was said
    messages, events = c.run(actions.ActionFeedbackDisclosure(), "he hit me again yesterday 943 476 5919", "disclosure")
    assert {"event": "active_loop", "name": None, "timestamp": None} in events
    assert "flagged" in messages[0]["text"] and messages[0]["buttons"][0]["payload"] == "resume case ABC-1234"
    (row,) = repo.export()
    assert row["disclosure_flag"] is True and row["goals_achieved"] == "yes"
    # kept word for word with its step, the NHS number never stored
    assert [(d["step"], d["words"]) for d in row["disclosures"]] == [
        ("had_chance_to_say", "he hit me again yesterday [removed]")]


def test_completing_after_a_disclosure_asks_for_the_safety_plan_and_keeps_the_flag(repo):
    c = Conversation()
    for text in HAPPY:
        c.answer(text)
    c.slots["requested_slot"] = None
    c.run(actions.ActionFeedbackDisclosure(), "my son still takes my pension", "disclosure")
    messages, _ = _complete(c)
    assert "a disclosure was made during this feedback" in messages[0]["text"]  # not saved before it is acted on
    c.run(actions.ActionFeedbackSafetyPlan(), "/safety_plan_reviewed", "safety_plan_reviewed")
    c.run(actions.ActionFeedbackComplete(), "/safety_plan_reviewed", "safety_plan_reviewed")
    (row,) = repo.export()
    assert row["status"] == "completed" and row["disclosure_flag"] is True
    assert row["disclosures"][0]["step"] == "summary"


def test_not_feeling_safe_is_not_saved_until_the_safety_plan_is_reviewed(repo):
    c = Conversation()
    for text in HAPPY[:11] + ["no", "yes", "remains", "nothing else"]:
        c.answer(text)
    messages, _ = _complete(c)
    assert "review their safety plan" in messages[0]["text"] and "the risk remains" in messages[0]["text"]
    assert messages[0]["buttons"] == [{"title": "Safety plan reviewed", "payload": "/safety_plan_reviewed"}]
    (row,) = repo.export()
    assert row["status"] == "draft" and row["safety_plan"] == "prompted"
    messages, events = c.run(actions.ActionFeedbackSafetyPlan(), "/safety_plan_reviewed", "safety_plan_reviewed")
    assert {"event": "followup", "name": "action_feedback_complete", "timestamp": None} in events
    c.run(actions.ActionFeedbackComplete(), "/safety_plan_reviewed", "safety_plan_reviewed")
    (row,) = repo.export()
    assert row["status"] == "completed" and row["safety_plan"] == "reviewed"


@pytest.mark.parametrize("bad", ["", "x" * 10_000, "😀😀😀", "<script>alert(1)</script>", "'; DROP TABLE feedback_answer; --"])
def test_bad_input_at_a_question_gets_a_clear_reply_and_stored_answers_stay(repo, bad):
    c = Conversation()
    for text in HAPPY[:8]:
        c.answer(text)
    before = repo.export()
    assert c.answer(bad) == "had_chance_to_say"
    assert "Please choose one" in c.texts() and c.slots["had_chance_to_say"] is None
    after = repo.export()
    assert after[0]["goals_achieved"] == before[0]["goals_achieved"] == "yes"
    assert after == before


def test_the_database_down_keeps_the_answers_and_saves_them_later(repo, monkeypatch):
    c = Conversation()
    for text in HAPPY[:7]:
        c.answer(text)
    from sqlalchemy.exc import OperationalError

    real = repo.save_snapshot

    def down(*args, **kwargs):
        raise OperationalError("select 1", {}, Exception("database is down"))

    monkeypatch.setattr(repo, "save_snapshot", down)
    c.answer("yeah")
    assert "Nothing is lost" in c.texts() and c.slots["goals_achieved"] == "yes"
    monkeypatch.setattr(repo, "save_snapshot", real)
    c.answer("Yes, they rang me every week")
    row = repo.export()[0]
    assert row["goals_achieved"] == "yes" and row["had_chance_to_say"] == "yes"


def test_a_database_failure_is_logged_without_the_adults_words(repo, monkeypatch, caplog):
    from sqlalchemy.exc import OperationalError

    c = Conversation()
    for text in HAPPY[:8]:
        c.answer(text)
    secret = "my nephew Zebedee drove me to every meeting"

    def down(*args, **kwargs):
        raise OperationalError("UPDATE feedback_answer SET comment=?", (secret,), Exception("locked"))

    monkeypatch.setattr(repo, "save_snapshot", down)
    with caplog.at_level("DEBUG"):
        c.answer(f"yes, {secret}")
    assert "Nothing is lost" in c.texts()
    assert "saving failed (OperationalError)" in caplog.text
    assert secret not in caplog.text


def _ask(conversation, step):
    action = next(a for a in actions.ASK_ACTIONS if a().name() == f"action_ask_{step}")
    messages, _ = conversation.run(action())
    return messages[0]


def test_i_dont_understand_asks_the_same_question_in_simpler_words(repo):
    c = Conversation()
    for text in HAPPY[:7]:
        c.answer(text)
    plain = _ask(c, "goals_achieved")["text"]
    c.run(actions.ActionFeedbackRephrase(), "I don't understand", "say_simpler")
    simpler = _ask(c, "goals_achieved")["text"]
    assert plain.endswith("Have you achieved the goals you wanted?")
    assert simpler.endswith("Did you get what you wanted from this?")
    c.answer("yes")
    assert _ask(c, "had_chance_to_say")["text"].endswith("and feed back to you?")  # back to the usual words


def test_go_back_asks_the_previous_question_again(repo):
    c = Conversation()
    for text in HAPPY[:8]:
        c.answer(text)
    c.slots["requested_slot"] = "had_chance_to_say"
    c.run(actions.ActionFeedbackGoBack(), "go back", "go_back")
    assert c.next_step() == "goals_achieved"
    c.answer("no")
    assert repo.export()[0]["goals_achieved"] == "no"


def test_outcome_questions_name_each_outcome_in_turn(repo):
    c = Conversation()
    for text in HAPPY[:4]:
        c.answer(text)
    assert '"To keep a key relationship"' in _ask(c, "outcome_rating")["text"]
    c.answer("fully")
    assert '"To feel safer"' in _ask(c, "outcome_rating")["text"]
    c.answer("partly")
    assert '"I want my garden back"' in _ask(c, "outcome_rating")["text"]


BAD_INPUTS = ["", "x" * 10_000, "😀😀😀", "<script>alert(1)</script>", "'; DROP TABLE feedback_answer; --"]
FREE_TEXT_STEPS = {"outcomes_chosen", "other_comments"}  # the person's own words: kept as given


@pytest.mark.parametrize("position", range(len(HAPPY)))
def test_bad_input_at_every_step_gets_a_reply_and_leaves_stored_answers_intact(repo, position):
    for bad in BAD_INPUTS:
        c = Conversation(f"bad-{position}")
        for text in HAPPY[:position]:
            c.answer(text)
        before = [{k: v for k, v in row.items() if k != "outcomes"} for row in repo.export()]
        step = c.answer(bad)
        assert c.said or c.next_step() != step, (step, bad[:20])  # a clear reply, or the next question
        after = [{k: v for k, v in row.items() if k != "outcomes"} for row in repo.export()]
        for key, value in before[0].items() if before else []:
            if key != step and value is not None:
                assert after[0][key] == value, (step, bad[:20], key)
        if step not in FREE_TEXT_STEPS or not bad.strip():
            assert c.slots.get(step) is None, (step, bad[:20])  # not taken as an answer
        # start again from a clean database for the next bad input
        engine = repo._sessions.kw["bind"]
        from sqlalchemy import text
        with engine.begin() as conn:
            for table in ("feedback_answer", "desired_outcome", "feedback_session"):
                conn.execute(text(f"delete from {table}"))


def test_resuming_a_draft_revalidates_the_restored_answers_without_changing_them(repo):
    c = Conversation("first")
    for text in HAPPY[:11]:
        c.answer(text)
    c.run(actions.ActionFeedbackPause(), "pause", "pause_feedback")
    later = Conversation("second")
    _, events = later.run(actions.ActionFeedbackStart(), "resume case ABC-1234", "resume_feedback")
    restored = {e["name"]: e["value"] for e in events if e["event"] == "slot" and e["value"] is not None}
    # Rasa validates slots set before a form starts: play that part, as it does.
    later.slots["requested_slot"] = None
    dispatcher = CollectingDispatcher()
    tracker = later._tracker("resume case ABC-1234", extra_events=[
        {"event": "slot", "name": k, "value": v} for k, v in restored.items()])
    events = asyncio.run(actions.ValidateFeedbackForm().run(dispatcher, tracker, DOMAIN))
    later._apply(events)
    assert dispatcher.messages == []  # nothing is "unclear" about the restored answers
    assert later.next_step() == "feels_safe"
    assert later.slots["goals_achieved"] == "yes" and later.slots["outcome_rating"] == "done"
    assert repo.export()[0]["acted_on_wishes_comment"] == "not really, they moved me without asking"


def test_a_slow_save_does_not_hold_up_other_conversations(repo, database_url):
    """One conversation's answer waits for the database (another writer holds
    it); a question for another conversation is answered meanwhile, and the
    waiting answer is stored once the database is free."""
    import threading
    import time

    from sqlalchemy import create_engine, text

    first = Conversation("slow-1")
    first.answer("ABC-1234")  # a session exists
    other = Conversation("other-1")
    holding = threading.Event()

    def hold_database(seconds=1.5):  # another writer, in its own thread (as SQLite wants)
        engine = create_engine(database_url, future=True)
        with engine.connect() as connection:
            if database_url.startswith("sqlite"):
                connection.exec_driver_sql("BEGIN EXCLUSIVE")
            else:
                connection.begin()
                connection.execute(text("LOCK TABLE feedback_session, feedback_answer IN ACCESS EXCLUSIVE MODE"))
            holding.set()
            time.sleep(seconds)
            connection.exec_driver_sql("COMMIT")
        engine.dispose()

    async def both():
        first.slots["requested_slot"] = first.next_step()
        tracker = first._tracker("the adult", extra_events=[{"event": "slot", "name": "respondent",
                                                             "value": "the adult"}])
        started = time.monotonic()
        slow = asyncio.ensure_future(actions.ValidateFeedbackForm().run(CollectingDispatcher(), tracker, DOMAIN))
        await asyncio.sleep(0.2)  # the save is now waiting for the database
        dispatcher = CollectingDispatcher()
        await actions.ASK_ACTIONS[0]().run(dispatcher, other._tracker(""), DOMAIN)
        asked_after = time.monotonic() - started
        events = await slow
        return asked_after, time.monotonic() - started, dispatcher.messages, events

    holder = threading.Thread(target=hold_database)
    holder.start()
    assert holding.wait(10)
    try:
        asked_after, saved_after, asked, events = asyncio.run(both())
    finally:
        holder.join()
    assert asked and asked_after < 1.0 < saved_after  # answered while the save still waited
    assert [e["value"] for e in events if e.get("name") == "respondent"] == ["adult"]
    (row,) = repo.export()
    assert (row["case_ref"], row["respondent"]) == ("ABC-1234", "adult")


def test_harm_told_in_an_ordinary_answer_stops_the_questions_flags_and_keeps_the_words(repo):
    c = Conversation()
    for text in HAPPY[:11]:
        c.answer(text)
    step = c.answer("no, my son still makes me hand over my pension every friday")
    said = c.texts()
    assert step == "feels_safe" and "Thank you for telling me" in said and "flagged" in said
    assert c.slots["feels_safe"] is None and c.slots["requested_slot"] is None  # not taken as "no"
    (row,) = repo.export()
    assert row["disclosure_flag"] is True and row["feels_safe"] is None
    assert row["disclosures"][0]["step"] == "feels_safe"
    assert row["disclosures"][0]["words"] == "no, my son still makes me hand over my pension every friday"
    messages, events = c.run(actions.ActionFeedbackSummary())
    assert messages == [] and events == [{"event": "slot", "timestamp": None, "name": "feedback_safety_stop", "value": None}]


def test_harm_in_words_first_answered_as_guidance_is_still_flagged_at_its_step(repo):
    c = Conversation()
    for text in HAPPY[:11]:
        c.answer(text)
    c.slots["requested_slot"] = "feels_safe"
    dispatcher = CollectingDispatcher()
    words = "its not as bad since but he still has a go when hes had a drink"
    tracker = c._tracker(words, "guidance")  # the slot was not filled: the rule answered a guidance question
    events = asyncio.run(actions.ValidateFeedbackForm().run(dispatcher, tracker, DOMAIN))
    assert {"event": "slot", "timestamp": None, "name": "requested_slot", "value": None} in events
    (row,) = repo.export()
    assert row["disclosure_flag"] is True and row["disclosures"][0]["step"] == "feels_safe"
    assert row["disclosures"][0]["words"] == words
