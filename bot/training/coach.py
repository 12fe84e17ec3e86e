"""A training round: choosing the questions, asking them, marking typed
answers, hints and skips, and the score at the end.

The round lives in one Rasa slot as a plain dict (so a dropped chat keeps it);
each answer is stored as an attempt as soon as it is marked. If the database
is down the attempt waits in the round and is stored with the next answer,
once only (the repository ignores an item already stored for the round).
"""
from __future__ import annotations

import hashlib
import json
import logging
import random
import re
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any, Dict, Iterable, List, Optional, Sequence

from sqlalchemy.exc import SQLAlchemyError

from bot.content import Guidance, guidance
from bot.content.quiz import QuizBook, QuizItem, quiz_book
from bot.content import replies as guidance_replies
from bot.content.replies import payload_topic, topic_payload
from bot.store import TrainingRepository
from bot.training.answers import LETTERS, plain, read_choice, read_true_false

logger = logging.getLogger(__name__)

ROUND_SLOT = "quiz_round"
SEEN_SLOT = "quiz_seen"
ANSWER_SLOT = "quiz_answer"
ROUND_OVER = "done"  # the answer slot's value once the round is over: the form then ends

HINT_WORDS = {"hint", "a hint", "clue", "a clue", "give me a hint", "hint please"}
SKIP_WORDS = {"skip", "pass", "next", "next question", "i don't know", "i dont know", "dont know", "don't know",
              "no idea", "not sure", "skip it", "skip this one"}
STOP_WORDS = {"stop", "stop quiz", "stop the quiz", "quit", "end quiz", "end the quiz", "cancel", "exit", "enough"}
STOP_INTENTS = {"stop_quiz", "cancel_feedback", "pause_feedback"}
QUESTION_START = re.compile(
    r"^(?:what|what's|whats|when|how|why|who|where|which|explain|tell me|define|describe|can|could|should|"
    r"do|does|must|may|give me|is there|are there)\b"
)
NUMBER_WORDS = {"one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8,
                "nine": 9, "ten": 10, "eleven": 11, "twelve": 12, "fifteen": 15, "twenty": 20}
_COUNT = re.compile(rf"\b(\d{{1,3}}|{'|'.join(NUMBER_WORDS)})\s+(?:more\s+|quick\s+|quiz\s+|short\s+)*"
                    r"(?:questions?|qs|scenarios?|items?)\b")
MIN_SELECTOR_CONFIDENCE = 0.3


@dataclass
class Reply:
    text: str
    buttons: List[dict] = field(default_factory=list)


@dataclass
class Turn:
    """What to say, and the round as it now stands (None: no round)."""

    replies: List[Reply]
    round: Optional[dict]
    over: bool = False
    seen: Optional[List[str]] = None


@dataclass(frozen=True)
class Request:
    topics: tuple
    kind: Optional[str]
    count: Optional[int]


def learner_id(conversation_id: str) -> str:
    """An anonymous learner id: the same for one conversation, not reversible
    to whatever the channel used as the sender id."""
    return hashlib.sha256(f"msp-learner:{conversation_id}".encode("utf-8")).hexdigest()[:16]


def read_request(text: str, entities: Iterable[dict] = (), book: Optional[QuizBook] = None) -> Request:
    """ "test me on capacity with 10 questions", "give me a scenario", or a
    button's {"quiz_topic": ...}: which topics, which kind, how many."""
    book = book or quiz_book()
    said = " " + plain(text).replace("-", " ") + " "
    topics = [e.get("value") for e in entities if e.get("entity") == "quiz_topic" and e.get("value") in book.topics]
    if not topics:
        found = []
        for topic in book.topics.values():
            places = [said.find(f" {w.replace('-', ' ')} ") for w in topic.words]
            places = [p for p in places if p >= 0]
            if places:
                found.append((min(places), topic.id))
        topics = [topic_id for _, topic_id in sorted(found)]
    kind = "scenario" if re.search(r"\bscenarios?\b|\bcase stud", said) else None
    count = None
    match = _COUNT.search(said)
    if match:
        token = match.group(1)
        count = int(token) if token.isdigit() else NUMBER_WORDS[token]
    return Request(tuple(dict.fromkeys(topics)), kind, count)


def _names_an_option(said: str, item: QuizItem) -> bool:
    """ "Can the person understand..." typed from an option is an answer,
    though it reads like a question."""
    return any(plain(option).startswith(said) or said.startswith(plain(option)) for option in item.options)


class QuizCoach:
    def __init__(self, repository: TrainingRepository, book: Optional[QuizBook] = None,
                 content: Optional[Guidance] = None):
        self.repository = repository
        self.book = book or quiz_book()
        self.content = content or guidance()

    def _say(self, name: str, **values) -> str:
        return self.book.message(name, **values)

    # -- starting ------------------------------------------------------------
    def start(self, text: str, entities: Iterable[dict], seen: Optional[Sequence[str]] = None,
              round_id: Optional[str] = None) -> Turn:
        request = read_request(text, entities, self.book)
        seen = list(seen or [])
        pool = [item for item in self.book.items.values()
                if (not request.topics or item.quiz_topic in request.topics)
                and (request.kind is None or item.kind == request.kind)]
        scope = self.scope(request.topics, request.kind)
        wanted = request.count or self.book.default_questions
        count = max(1, min(wanted, self.book.max_questions, len(pool)))
        round_id = round_id or str(uuid.uuid4())
        shuffle = random.Random(round_id)
        fresh = [item.id for item in pool if item.id not in seen]
        again = [item.id for item in pool if item.id in seen]
        shuffle.shuffle(fresh)
        shuffle.shuffle(again)
        chosen = (fresh + again)[:count]
        replies = [Reply(self._say("starting", count=count, scope=scope))]
        if wanted > count:
            replies.append(Reply(self._say("fewer_than_asked", available=count, scope=scope)))
        if len(fresh) < count:
            replies.append(Reply(self._say("all_seen", scope=scope)))
        state = {"round": round_id, "topics": list(request.topics), "kind": request.kind, "items": chosen,
                 "index": 0, "results": [], "hinted": False, "unsaved": []}
        return Turn(replies, state, seen=list(dict.fromkeys(seen + chosen)))

    def scope(self, topics: Sequence[str], kind: Optional[str]) -> str:
        names = " and ".join(self.book.topics[t].title for t in topics) or self._say("mixed_scope")
        if kind == "scenario":
            return self._say("scenario_scope") + ("" if not topics else f" on {names}")
        return names

    # -- asking --------------------------------------------------------------
    def current(self, state: dict) -> Optional[QuizItem]:
        if not state or state["index"] >= len(state["items"]):
            return None
        return self.book.items.get(state["items"][state["index"]])

    def question(self, state: dict) -> Reply:
        item = self.current(state)
        if item is None:
            return Reply(self._say("no_quiz"))
        header = self._say("scenario" if item.kind == "scenario" else "question", number=state["index"] + 1,
                           count=len(state["items"]), topic=self.book.topics[item.quiz_topic].title)
        if item.kind == "true_false":
            body = f"{item.question}\n{self._say('true_false')}"
            buttons = [{"title": "True", "payload": "true"}, {"title": "False", "payload": "false"}]
        else:
            body = item.question + "".join(f"\n{LETTERS[i].upper()}. {option}" for i, option in enumerate(item.options))
            buttons = [{"title": f"{LETTERS[i].upper()}. {option}", "payload": LETTERS[i]}
                       for i, option in enumerate(item.options)]
        buttons += [{"title": "Hint", "payload": "hint"}, {"title": "Skip", "payload": "skip"}]
        return Reply(f"{header}\n{body}", buttons)

    # -- a reply to a question -----------------------------------------------
    def take(self, state: dict, text: str, intent: Optional[str], conversation_id: str,
             guidance_topic: Optional[str] = None, selector_confidence: float = 0.0) -> Turn:
        """Whatever the learner said while a question was open."""
        item = self.current(state)
        if item is None:
            return Turn([Reply(self._say("no_quiz"))], state, over=True)
        said = plain(text)
        if intent in STOP_INTENTS or said in STOP_WORDS:
            return Turn([], {**state, "stopped": True}, over=True)
        if intent == "quiz_hint" or said in HINT_WORDS:
            return Turn([self._hint(state, item)], {**state, "hinted": True})
        if intent == "quiz_skip" or said in SKIP_WORDS:
            return self._mark(state, item, None, conversation_id)
        given = read_true_false(text) if item.kind == "true_false" else read_choice(text, item.options)
        asking = intent == "guidance" and (payload_topic(text) or QUESTION_START.match(said))
        if asking and not (given is not None and _names_an_option(said, item)):
            return self._guidance(state, guidance_topic, selector_confidence)
        if given is not None:
            return self._mark(state, item, given, conversation_id)
        if intent == "guidance" and guidance_topic and selector_confidence >= MIN_SELECTOR_CONFIDENCE:
            return self._guidance(state, guidance_topic, selector_confidence)
        if intent in ("start_quiz", "start_feedback", "resume_feedback"):
            return Turn([Reply(self._say("in_a_quiz"))], state)
        if intent == "thank":
            return Turn([Reply(self._say("thanks_in_a_quiz"))], state)  # not an answer to correct
        return Turn([Reply(self._unclear(item, text))], state)

    def _unclear(self, item: QuizItem, text: str) -> str:
        if item.kind == "true_false":
            how = self._say("how_true_false")
        else:
            how = self._say("how_choice", letters=", ".join(LETTERS[: len(item.options)]))
        shown = " ".join((text or "").split())
        shown = shown if len(shown) <= 40 else shown[:39] + "…"
        return self._say("unclear", text=shown, how=how)

    def _hint(self, state: dict, item: QuizItem) -> Reply:
        if state.get("hinted"):
            return Reply(self._say("no_more_hints"))
        if item.kind == "true_false" or len(item.options) < 3:
            return Reply(self._say("hint_true_false", title=self.content.topic(item.topic).title))
        wrong = [i for i in range(len(item.options)) if i != item.answer]
        keep = random.Random(f"{state['round']}:{item.id}").choice(wrong)
        left = sorted([item.answer, keep])
        return Reply(self._say("hint_choice", options=" or ".join(LETTERS[i].upper() for i in left)))

    def _guidance(self, state: dict, topic: Optional[str], confidence: float) -> Turn:
        if topic not in self.content.topics:
            return Turn([Reply(self._say("guidance_unsure"))], state)
        answer = guidance_replies.answer(topic, self.content)
        return Turn([Reply(answer.text), Reply(self._say("back_to_quiz"))], state)

    def _mark(self, state: dict, item: QuizItem, given: Any, conversation_id: str) -> Turn:
        skipped = given is None
        correct = not skipped and given == item.answer
        outcome = "skipped" if skipped else ("right" if correct else "wrong")
        state = {**state, "results": [*state["results"], {"item": item.id, "outcome": outcome}],
                 "index": state["index"] + 1, "hinted": False,
                 "unsaved": [*state.get("unsaved", []),
                             {"item": item.id, "topic": item.quiz_topic, "correct": correct, "skipped": skipped,
                              "at": datetime.now(timezone.utc).isoformat()}]}
        answer = self._label(item, item.answer)
        if skipped:
            verdict = self._say("skipped", answer=answer)
        elif correct:
            verdict = self._say("right", answer=answer)
        else:
            verdict = self._say("wrong", given=self._label(item, given), answer=answer)
        replies = [Reply(f"{verdict}\n{item.why}\n{item.source(self.content)}")]
        state, failed = self._store(state, conversation_id)
        if failed:
            replies.append(Reply(self._say("not_saved")))
        return Turn(replies, state, over=state["index"] >= len(state["items"]))

    @staticmethod
    def _label(item: QuizItem, value: Any) -> str:
        if item.kind == "true_false":
            return "True" if value else "False"
        return f"{LETTERS[value].upper()}. {item.options[value]}"

    def _store(self, state: dict, conversation_id: str) -> tuple:
        """Store the attempts not yet stored; returns the round and whether any failed."""
        waiting = list(state.get("unsaved", []))
        learner = learner_id(conversation_id)
        while waiting:
            attempt = waiting[0]
            try:
                self.repository.record_attempt(
                    learner, state["round"], attempt["topic"], attempt["item"], attempt["correct"],
                    skipped=attempt["skipped"], at=datetime.fromisoformat(attempt["at"]))
            except SQLAlchemyError as error:
                logger.error("training: storing an attempt failed (%s)", type(error).__name__)
                return {**state, "unsaved": waiting}, True
            waiting.pop(0)
        return {**state, "unsaved": []}, False

    # -- the end -------------------------------------------------------------
    def finish(self, state: Optional[dict], conversation_id: str) -> Turn:
        """The score, what to revisit and another round: at the end of a round
        or when it is stopped."""
        if not state:
            return Turn([Reply(self._say("no_quiz"))], None)
        state, failed = self._store(state, conversation_id)
        results = state["results"]
        right = sum(r["outcome"] == "right" for r in results)
        skipped = sum(r["outcome"] == "skipped" for r in results)
        count = len(state["items"])
        replies = []
        if len(results) < count:
            text = self._say("stopped", answered=len(results), count=count, right=right) if results \
                else self._say("stopped_nothing")
        else:
            percent = f" ({round(100 * right / count)}%)" if count else ""
            text = self._say("score", right=right, count=count, percent=percent)
            if skipped:
                text += self._say("score_skipped", skipped=skipped)
        missed = [self.book.items[r["item"]] for r in results if r["outcome"] != "right"]
        revisit = list(dict.fromkeys(item.topic for item in missed))
        if revisit:
            text += "\n" + self._say("revisit", topics="; ".join(self.content.topic(t).title for t in revisit))
        elif results and not state.get("stopped"):
            text += "\n" + self._say("all_right")
        buttons = [{"title": self.content.topic(t).title, "payload": topic_payload(t)} for t in revisit[:3]]
        buttons.append(self._another_round(state, missed))
        replies.append(Reply(text, buttons))
        if failed:
            replies.append(Reply(self._say("still_not_saved", count=len(state["unsaved"]))))
        return Turn(replies, None)

    def _another_round(self, state: dict, missed: List[QuizItem]) -> dict:
        weakest = self.weakest_topic(state)
        if weakest:
            return {"title": self._say("another_round", scope=self.book.topics[weakest].title),
                    "payload": "/start_quiz" + json.dumps({"quiz_topic": weakest})}
        if len(state["topics"]) == 1:
            topic = state["topics"][0]
            return {"title": self._say("another_round", scope=self.book.topics[topic].title),
                    "payload": "/start_quiz" + json.dumps({"quiz_topic": topic})}
        return {"title": self._say("another_mixed_round"), "payload": "/start_quiz"}

    def weakest_topic(self, state: dict) -> Optional[str]:
        """The quiz topic with the lowest share right (then the most missed);
        None when nothing was missed."""
        tally: Dict[str, List[int]] = {}
        for result in state["results"]:
            topic = self.book.items[result["item"]].quiz_topic
            right, total = tally.setdefault(topic, [0, 0])
            tally[topic] = [right + (result["outcome"] == "right"), total + 1]
        missed = {t: v for t, v in tally.items() if v[0] < v[1]}
        if not missed:
            return None
        return min(missed, key=lambda t: (missed[t][0] / missed[t][1], -(missed[t][1] - missed[t][0])))
