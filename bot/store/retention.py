"""`msp-bot purge`: delete feedback sessions and Rasa's conversation events
older than a number of days, audited."""
from __future__ import annotations

import getpass
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Callable, Optional

from sqlalchemy import inspect, text

from bot.store.db import make_engine
from bot.store.repository import FeedbackRepository


@dataclass
class PurgePlan:
    cutoff: datetime
    sessions: int
    tracker_events: int


def _count_or_delete_events(tracker_url: str, cutoff: datetime, delete: bool) -> int:
    engine = make_engine(tracker_url)
    try:
        if not inspect(engine).has_table("events"):
            return 0  # Rasa has not stored a conversation yet
        with engine.begin() as conn:
            stamp = cutoff.timestamp()  # Rasa stores a Unix time
            if delete:
                return conn.execute(text("DELETE FROM events WHERE timestamp < :t"), {"t": stamp}).rowcount
            return conn.execute(text("SELECT count(*) FROM events WHERE timestamp < :t"), {"t": stamp}).scalar()
    finally:
        engine.dispose()


def plan(repository: FeedbackRepository, tracker_url: str, days: int, now: Optional[datetime] = None) -> PurgePlan:
    cutoff = (now or datetime.now(timezone.utc)) - timedelta(days=days)
    return PurgePlan(cutoff, repository.purge_before(cutoff, dry_run=True), _count_or_delete_events(tracker_url, cutoff, False))


def purge(
    repository: FeedbackRepository,
    tracker_url: str,
    days: int,
    confirm: Callable[[PurgePlan], bool],
    actor: Optional[str] = None,
    now: Optional[datetime] = None,
) -> Optional[PurgePlan]:
    """Delete what is older than `days`, once `confirm` agrees; None if not."""
    if days < 0:
        raise ValueError("days must be 0 or more")
    wanted = plan(repository, tracker_url, days, now)
    if not confirm(wanted):
        return None
    done = PurgePlan(
        wanted.cutoff,
        repository.purge_before(wanted.cutoff),
        _count_or_delete_events(tracker_url, wanted.cutoff, True),
    )
    repository.audit(
        actor or getpass.getuser(),
        "purge",
        f"older_than_days={days} cutoff={done.cutoff.isoformat()} tracker_events={done.tracker_events}",
        done.sessions,
    )
    return done
