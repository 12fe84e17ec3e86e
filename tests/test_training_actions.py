"""Whole training rounds run through the real actions against a real database
(SQLite and PostgreSQL): scoring, explanations, hints, skips, stopping,
interruptions, and every attempt stored once under an anonymous learner id."""
from __future__ import annotations

import asyncio
from typing import Any, Dict, List, Optional

import pytest
import yaml
from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions import training as actions
from bot.config import PROJECT_ROOT
from bot.content import guidance
from bot.content.quiz import quiz_book
from bot.store import training_repository_for
from bot.store.db import session_factory
from bot.store.repository import TrainingRepository
from bot.training import coach as rounds
from bot.training import quiz_coach
from bot.training.answers import LETTERS

DOMAIN = yaml.safe_load((PROJECT_ROOT / "domain.yml").read_text())
BOOK = quiz_book()


@pytest.fixture
def training(database_url, monkeypatch):
    monkeypatch.setenv("DATABASE_URL", database_url)
    quiz_coach.cache_clear()
    yield training_repository_for(database_url)
    quiz_coach.cache_clear()


class Learner:
    """Plays Rasa's part in a round: keeps the slots, runs the start action,
    asks with the form's ask action, fills quiz_answer with whatever is typed
    and runs the form's validation, and ends the round when the form would."""

    def __init__(self, sender="learner-conv-1"):
        self.sender = sender
        self.slots: Dict[str, Any] = {rounds.ROUND_SLOT: None, rounds.SEEN_SLOT: None, rounds.ANSWER_SLOT: None,
                                      "requested_slot": None}
        self.said: List[dict] = []
        self.over = False

    def _tracker(self, text, intent, entities=(), selector=None, events=()):
        latest = {"text": text, "intent": {"name": intent, "confidence": 1.0}, "entities": list(entities)}
        if selector:
            latest["response_selector"] = {"guidance": {"ranking": [
                {"intent_response_key": f"guidance/{selector}", "confidence": 0.97}]}}
        return Tracker(self.sender, dict(self.slots), latest,
                       [{"event": "user", "text": text, "parse_data": latest}, *events],
                       False, None, {"name": "quiz_form"}, "action_listen")

    def _apply(self, events):
        for event in events:
            if event["event"] == "slot":
                self.slots[event["name"]] = event["value"]

    def _run(self, action, text="", intent="inform", **kwargs):
        dispatcher = CollectingDispatcher()
        self._apply(asyncio.run(action.run(dispatcher, self._tracker(text, intent, **kwargs), DOMAIN)))
        return dispatcher.messages

    def start(self, text="quiz me", entities=()):
        self.said = self._run(actions.ActionQuizStart(), text, "start_quiz", entities=entities)
        self.over = False
        self.said += self.ask()
        return self.said

    def ask(self):
        self.slots["requested_slot"] = rounds.ANSWER_SLOT
        return self._run(actions.ActionAskQuizAnswer())

    def say(self, text, intent="inform", selector=None):
        """One message while a question is open; the form asks again or ends."""
        self.said = self._run(actions.ValidateQuizForm(), text, intent, selector=selector,
                              events=[{"event": "slot", "name": rounds.ANSWER_SLOT, "value": text}])
        if self.slots[rounds.ANSWER_SLOT] == rounds.ROUND_OVER:
            self.over = True
            self.said += self._run(actions.ActionQuizEnd())
        else:
            self.said += self.ask()
        return self.said

    # what the learner can see of the round
    @property
    def round(self) -> Optional[dict]:
        return self.slots[rounds.ROUND_SLOT]

    def item(self):
        state = self.round
        return BOOK.items[state["items"][state["index"]]]

    def right_answer(self) -> str:
        item = self.item()
        return ("true" if item.answer else "false") if item.kind == "true_false" else LETTERS[item.answer]

    def wrong_answer(self) -> str:
        item = self.item()
        if item.kind == "true_false":
            return "false" if item.answer else "true"
        return LETTERS[(item.answer + 1) % len(item.options)]

    def text(self) -> str:
        return "\n".join(m.get("text") or "" for m in self.said)

    def buttons(self) -> List[dict]:
        return [b for m in self.said for b in m.get("buttons") or []]


def test_a_whole_round_is_marked_explained_scored_and_stored(training):
    learner = Learner()
    learner.start("test me on the principles")
    assert "5 questions on the six principles" in learner.text()
    assert "Question 1 of 5" in learner.text() or "Scenario 1 of 5" in learner.text()
    plan = ["right", "right", "wrong", "skip", "right"]
    asked = []
    for move in plan:
        item = learner.item()
        asked.append(item)
        assert item.quiz_topic == "principles"
        if move == "right":
            learner.say(learner.right_answer())
            assert learner.text().startswith("Right: ")
        elif move == "wrong":
            learner.say(learner.wrong_answer())
            assert learner.text().startswith("Not quite: you said ")
        else:
            learner.say("skip", "quiz_skip")
            assert learner.text().startswith("Skipped. The answer is ")
        feedback = learner.said[0]["text"]
        correct = "True" if item.kind == "true_false" and item.answer else (
            "False" if item.kind == "true_false" else f"{LETTERS[item.answer].upper()}. {item.options[item.answer]}")
        assert correct in feedback and item.why in feedback
        assert guidance().source_line(item.topic) in feedback
    assert learner.over and len({i.id for i in asked}) == 5
    end = learner.text()
    assert "you got 3 of 5 right (60%)" in end and "You skipped 1." in end
    missed = [asked[2], asked[3]]
    for item in missed:
        assert guidance().topic(item.topic).title in end
    payloads = [b["payload"] for b in learner.buttons()]
    assert f"topic:{missed[0].topic}" in payloads
    assert '/start_quiz{"quiz_topic": "principles"}' in payloads
    assert learner.round is None

    stored = training.attempts()
    assert [a["item_id"] for a in stored] == [i.id for i in asked]
    assert [(a["correct"], a["skipped"]) for a in stored] == [
        (True, False), (True, False), (False, False), (False, True), (True, False)]
    assert len({a["round_id"] for a in stored}) == 1 and {a["quiz_topic"] for a in stored} == {"principles"}
    learner_ids = {a["learner_id"] for a in stored}
    assert len(learner_ids) == 1 and learner.sender not in learner_ids.pop()


def test_a_round_can_be_asked_for_by_topic_and_size_without_repeats_and_in_varying_order(training):
    first, second = Learner("a"), Learner("b")
    first.start("quiz me with 8 questions on mental capacity")
    second.start("quiz me with 8 questions on mental capacity")
    for learner in (first, second):
        assert "8 questions on mental capacity" in learner.text()
        items = learner.round["items"]
        assert len(items) == len(set(items)) == 8
        assert all(BOOK.items[i].quiz_topic == "capacity" for i in items)
    assert first.round["items"] != second.round["items"]


def test_another_round_in_the_same_conversation_brings_unseen_questions_first(training):
    learner = Learner()
    learner.start("test me on advocacy")
    first = list(learner.round["items"])
    for _ in first:
        learner.say(learner.right_answer())
    assert "All correct" in learner.text()
    # the offered button starts another round on the same topic
    (another,) = [b for b in learner.buttons() if b["payload"].startswith("/start_quiz")]
    assert another["title"] == "Another round on advocacy"
    learner.start(another["payload"], entities=[{"entity": "quiz_topic", "value": "advocacy"}])
    second = learner.round["items"]
    available = [i for i in BOOK.items.values() if i.quiz_topic == "advocacy"]
    unseen = {i.id for i in available} - set(first)
    assert set(second[: len(unseen)]) == unseen and len(second) == min(5, len(available))
    assert "You've seen every question on advocacy" in learner.text()


def test_a_scenario_round_has_only_scenarios(training):
    learner = Learner()
    learner.start("give me a scenario")
    assert "questions on scenarios" in learner.text() and "Scenario 1 of" in learner.text()
    assert all(BOOK.items[i].kind == "scenario" for i in learner.round["items"])


def test_asking_for_more_questions_than_there_are_says_so(training):
    learner = Learner()
    learner.start("give me 20 questions on advocacy")
    available = sum(i.quiz_topic == "advocacy" for i in BOOK.items.values())
    assert len(learner.round["items"]) == available
    assert f"There are {available} questions on advocacy" in learner.text()


def _first_choice_round(learner):
    """A principles round whose first question is multiple choice with 4 options."""
    learner.start("test me on the principles")
    item = next(i for i in BOOK.items.values() if i.quiz_topic == "principles" and len(i.options) == 4)
    learner.slots[rounds.ROUND_SLOT] = {**learner.round, "items": [item.id, *learner.round["items"][1:]]}
    return item


@pytest.mark.parametrize("form", ["letter", "bracketed", "ordinal", "digit", "words", "sentence"])
def test_typed_answers_count_like_buttons(training, form):
    learner = Learner()
    item = _first_choice_round(learner)
    option = item.options[item.answer]
    typed = {"letter": LETTERS[item.answer].upper(), "bracketed": f"({LETTERS[item.answer]})",
             "ordinal": ["the first one", "the second one", "the third one", "the fourth one"][item.answer],
             "digit": str(item.answer + 1), "words": option.lower(), "sentence": f"I think it's {option}"}[form]
    learner.say(typed)
    assert learner.said[0]["text"].startswith("Right: "), (typed, learner.text())


def test_a_hint_narrows_the_choice_once_and_nothing_is_marked(training):
    learner = Learner()
    item = _first_choice_round(learner)
    learner.say("can I have a hint", "quiz_hint")
    hint = learner.said[0]["text"]
    assert hint.startswith("Hint: it's one of ") and LETTERS[item.answer].upper() in hint
    assert learner.round["index"] == 0 and "Question 1 of 5" in learner.text()
    learner.say("hint", "quiz_hint")
    assert learner.said[0]["text"] == "That's the only hint for this question."
    assert training.attempts() == []
    learner.say(learner.right_answer())
    assert learner.round["index"] == 1 and not learner.round["hinted"]


def test_stopping_mid_round_gives_the_score_so_far_and_keeps_the_answers(training):
    learner = Learner()
    learner.start()
    learner.say(learner.right_answer())
    learner.say(learner.wrong_answer())
    learner.say("stop quiz", "stop_quiz")
    assert learner.over
    assert "Quiz stopped after 2 of 5 questions: 1 right." in learner.text()
    assert len(training.attempts()) == 2 and learner.round is None


def test_a_guidance_question_mid_round_is_answered_and_the_same_question_asked_again(training):
    learner = Learner()
    learner.start()
    item = learner.item()
    learner.say("what does proportionality mean?", "guidance", selector="principle_proportionality")
    texts = [m["text"] for m in learner.said]
    assert texts[0].startswith(guidance().topic("principle_proportionality").answer)
    assert guidance().source_line("principle_proportionality") in texts[0]
    assert texts[1] == "Back to the quiz." and texts[2].startswith("Question 1 of 5") or \
        texts[2].startswith("Scenario 1 of 5")
    assert learner.item() is item and training.attempts() == []
    learner.say(learner.right_answer())
    assert learner.said[0]["text"].startswith("Right: ") and len(training.attempts()) == 1


@pytest.mark.parametrize("bad", ["banana", "", "🙂🙂", "<script>alert(1)</script>", "x" * 100_000,
                                 "'; DROP TABLE quiz_attempt; --", "maybe e?"])
def test_something_that_is_not_an_answer_gets_a_clear_reply_and_nothing_is_marked(training, bad):
    learner = Learner()
    learner.start()
    before = learner.round
    learner.say(bad)
    reply = learner.said[0]["text"]
    assert reply.startswith("I couldn't match") and ('"hint", "skip" or "stop quiz"' in reply)
    assert len(reply) < 400
    assert learner.round == before and training.attempts() == []


def test_the_form_opening_validates_nothing_and_says_nothing(training):
    """As the quiz form opens, Rasa runs its validation with the answer slot
    the start has just emptied: not an answer, so no reply (it once said
    "You're in a quiz" under every quiz's first line) and the round as it was."""
    learner = Learner()
    learner.start()
    before = learner.round
    said = learner._run(actions.ValidateQuizForm(), "quiz me", "start_quiz",
                        events=[{"event": "slot", "name": rounds.ANSWER_SLOT, "value": None}])
    assert said == []
    assert learner.round == before and learner.slots[rounds.ANSWER_SLOT] is None


def test_starting_another_quiz_mid_round_says_how_to_stop(training):
    learner = Learner()
    learner.start()
    learner.say("quiz me on capacity", "start_quiz")
    assert learner.said[0]["text"] == 'You\'re in a quiz. Finish it or say "stop quiz" first.'
    assert learner.round["index"] == 0


def test_thanks_mid_question_is_answered_politely_not_marked_or_corrected(training):
    learner = Learner()
    learner.start()
    learner.say("thanks", "thank")
    said = " ".join(m.get("text") or "" for m in learner.said)
    assert said.startswith("You're welcome. This question is still open")
    assert "couldn't match" not in said and learner.round["index"] == 0


def test_with_the_database_down_the_round_goes_on_and_the_attempts_are_stored_once_it_is_back(training):
    learner = Learner()
    learner.start()
    coach = quiz_coach()
    working = coach.repository
    coach.repository = TrainingRepository(session_factory("postgresql://nobody@127.0.0.1:9/none"))
    learner.say(learner.right_answer())
    learner.say(learner.wrong_answer())
    assert "couldn't save this answer to the training record" in learner.text()
    assert learner.round["index"] == 2 and len(learner.round["unsaved"]) == 2
    coach.repository = working
    learner.say("skip", "quiz_skip")
    assert "couldn't save" not in learner.text()
    stored = training.attempts()
    assert [(a["correct"], a["skipped"]) for a in stored] == [(True, False), (False, False), (False, True)]
    # the same answers sent again (a retried action) are not stored twice
    round_id = learner.round["round"]
    for attempt in stored:
        working.record_attempt("x", round_id, attempt["quiz_topic"], attempt["item_id"], True)
    assert len(training.attempts()) == 3


def test_no_round_running(training):
    learner = Learner()
    said = learner._run(actions.ActionQuizEnd(), "stop quiz", "stop_quiz")
    assert said[0]["text"] == 'There\'s no quiz running. Say "quiz me" to start one.'


def test_an_option_that_reads_like_a_question_is_taken_as_the_answer(training):
    (item,) = [i for i in BOOK.items.values() if any(o.startswith("Can the person understand") for o in i.options)]
    learner = Learner()
    learner.start("quiz me on capacity")
    learner.slots[rounds.ROUND_SLOT] = {**learner.round, "items": [item.id, *learner.round["items"][1:]]}
    learner.say(item.options[item.answer], "guidance", selector="functional_test")
    assert learner.said[0]["text"].startswith("Right: ")
