"""Storage: SQLAlchemy models, migrations and the repository that owns transactions."""
from __future__ import annotations

from functools import lru_cache

from bot.store.db import migrate, session_factory
from bot.store.repository import EXPORT_FIELDS, FeedbackRepository, TrainingRepository, UnknownSession

__all__ = [
    "EXPORT_FIELDS", "FeedbackRepository", "TrainingRepository", "UnknownSession", "migrate", "repository_for",
    "training_repository_for",
]


@lru_cache(maxsize=8)
def repository_for(url: str) -> FeedbackRepository:
    """The repository for a database, created once per process."""
    return FeedbackRepository(session_factory(url))


@lru_cache(maxsize=8)
def training_repository_for(url: str) -> TrainingRepository:
    return TrainingRepository(session_factory(url))
