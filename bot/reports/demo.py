"""`msp-bot demo-data`: a realistic, clearly fake set of feedback sessions for
trying the reports. Case references start DEMO- and every own-words text is
marked [demo]; nothing is about a real person."""
from __future__ import annotations

import random
from datetime import datetime, timedelta, timezone
from typing import Optional

from bot.feedback.questionnaire import questionnaire
from bot.store.models import QUESTION_KEYS
from bot.store.repository import FeedbackRepository

OWN_WORDS = [
    "[demo] I want to feel safe in my own home",
    "[demo] I want my money back",
    "[demo] I want my son to keep visiting, without the shouting",
    "[demo] I want to be told what is happening",
]
COMMENTS = ["[demo] They listened this time", "[demo] It took too long", "[demo] The social worker was kind"]


def _weighted(rng: random.Random, choices: dict) -> str:
    return rng.choices(list(choices), weights=list(choices.values()))[0]


def generate(repository: FeedbackRepository, sessions: int = 120, seed: int = 7, now: Optional[datetime] = None) -> int:
    rng = random.Random(seed)
    now = now or datetime.now(timezone.utc)
    outcome_keys = list(questionnaire().outcome_items)
    for number in range(1, sessions + 1):
        started = now - timedelta(days=rng.uniform(1, 365), hours=rng.uniform(0, 8))
        session_id = repository.open_session(f"demo-{number}", f"DEMO-{number:04d}", at=started)
        asked = _weighted(rng, {"asked_expressed": 70, "asked_none_expressed": 12, "not_asked": 10, "dont_know": 3})
        outcomes = []
        if asked == "asked_expressed":
            for key in rng.sample(outcome_keys, rng.randint(1, 3)):
                outcomes.append({"outcome": key, "own_words": None,
                                 "achieved": _weighted(rng, {"fully": 55, "partially": 35, "not": 10})})
            if rng.random() < 0.3:
                outcomes.append({"outcome": "own_words", "own_words": rng.choice(OWN_WORDS),
                                 "achieved": _weighted(rng, {"fully": 40, "partially": 40, "not": 20})})
        answers = {}
        for key in QUESTION_KEYS:
            value = _weighted(rng, {"yes": 60, "partly": 22, "no": 10, "not_answered": 8})
            answers[key] = (value, rng.choice(COMMENTS) if rng.random() < 0.2 else None)
        fields = {
            "respondent": _weighted(rng, {"adult": 70, "representative": 22, "advocate": 8}),
            "outcomes_asked": asked,
            "risk_result": _weighted(rng, {"reduced": 55, "removed": 25, "remains": 10, "none_identified": 10}),
            "other_comments": None,
        }
        repository.save_snapshot(session_id, fields=fields, answers=answers, outcomes=outcomes)
        if rng.random() < 0.03:
            repository.flag_disclosure(session_id)
        if rng.random() < 0.92:
            repository.complete(session_id, at=started + timedelta(minutes=rng.randint(10, 50)))
    return sessions
