"""The closing-enquiry feedback questionnaire, answer normalisation and flow."""
from __future__ import annotations

from functools import lru_cache

from bot.feedback.flow import FeedbackFlow


@lru_cache(maxsize=1)
def feedback_flow() -> FeedbackFlow:
    """The flow over the configured database, built once per process."""
    from bot.config import load_settings
    from bot.store import repository_for

    settings = load_settings()
    return FeedbackFlow(repository_for(settings.database_url), settings.case_ref_pattern)
