"""Training mode: quiz rounds over the quiz items in bot/content."""
from __future__ import annotations

from functools import lru_cache

from bot.training.coach import QuizCoach


@lru_cache(maxsize=1)
def quiz_coach() -> QuizCoach:
    """The coach over the configured database, built once per process."""
    from bot.config import load_settings
    from bot.store import training_repository_for

    return QuizCoach(training_repository_for(load_settings().database_url))
