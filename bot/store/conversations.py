"""Rasa's SQL tracker store, keeping in memory the conversation it just saved.

Stock SQLTrackerStore rebuilds the whole conversation for every message: it
reads every event since the session started, parses the JSON and replays it
(py-spy at 10 senders: a quarter of the Rasa server's time, and a cost that
grows with the conversation). Here the tracker a message ended with stays in
the process, and the next message of that conversation takes it back when the
newest stored event is still the one this process wrote: one indexed query.
Anything else (another worker or replica wrote since, a purge, a restart, a
save that failed half-way) reads the database exactly as before.

A kept tracker is handed out once (taken, not copied): if the message fails
before it is saved, nothing half-changed can be handed out again.
"""
from __future__ import annotations

import itertools
import json
from collections import OrderedDict
from typing import Any, Optional, Tuple

import sqlalchemy as sa
from rasa.core.tracker_store import SQLTrackerStore
from rasa.shared.core.events import SessionStarted
from rasa.shared.core.trackers import DialogueStateTracker
from rasa.shared.nlu.constants import INTENT_NAME_KEY

from bot.store.db import make_engine

DEFAULT_KEPT = 200  # conversations kept per process; a council's concurrent chats fit many times over
STORED = "_msp_events_stored"  # on a tracker: how many of its events the database holds


def _stored_so_far(tracker: DialogueStateTracker) -> DialogueStateTracker:
    tracker.__dict__[STORED] = len(tracker.events)
    return tracker


class KeptConversationsSQLTrackerStore(SQLTrackerStore):
    """`tracker_store: type: bot.store.conversations.KeptConversationsSQLTrackerStore`."""

    def __init__(self, *args: Any, kept_conversations: int = DEFAULT_KEPT, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if self.engine.dialect.name == "sqlite" and self.engine.url.database not in (None, "", ":memory:"):
            # Rasa's engine opens a new SQLite connection per session and keeps
            # the rollback journal: the pooled, WAL engine the feedback uses
            # (bot/store/db.py) saves a message in a third of the time.
            engine, self.engine = self.engine, make_engine(self.engine.url.render_as_string(hide_password=False))
            engine.dispose()
            self.sessionmaker = sa.orm.session.sessionmaker(bind=self.engine)
        self._kept: "OrderedDict[str, Tuple[int, DialogueStateTracker]]" = OrderedDict()
        self._kept_limit = max(0, int(kept_conversations))
        self.kept_hits = 0  # conversations taken back from memory (tests read it)
        events = self.SQLEvent.__table__
        # Core statements built once: the ORM's per-row work was a tenth of
        # the server's time at 10 senders (py-spy).
        self._insert_events = events.insert()
        self._newest_event_query = sa.select(sa.func.max(events.c.id)).where(
            events.c.sender_id == sa.bindparam("sender_id"))

    def _newest_event_id(self, session: Any, sender_id: str) -> Optional[int]:
        return session.execute(self._newest_event_query, {"sender_id": sender_id}).scalar()

    async def retrieve(self, sender_id: str) -> Optional[DialogueStateTracker]:
        kept = self._kept.pop(sender_id, None)
        if kept is not None:
            newest, tracker = kept
            with self.session_scope() as session:
                if self._newest_event_id(session, sender_id) == newest:
                    self.kept_hits += 1
                    return _stored_so_far(tracker)
        tracker = await super().retrieve(sender_id)
        return _stored_so_far(tracker) if tracker is not None else None

    async def save(self, tracker: DialogueStateTracker) -> None:
        """Rasa's save (only the events not stored yet, one transaction), also
        noting the id of the newest event written. Which events are new is
        known for a tracker this store handed out (the database held exactly
        its events then, and the conversation's lock keeps others out), so
        Rasa's count query is only needed for any other tracker."""
        await self.stream_events(tracker)
        with self.session_scope() as session:
            stored = tracker.__dict__.get(STORED)
            if stored is not None and stored <= len(tracker.events) and tracker.events.maxlen is None:
                added = list(itertools.islice(tracker.events, stored, None))
            else:
                added = list(self._additional_events(session, tracker))
            rows = [self._row(tracker.sender_id, event) for event in added]
            if rows:
                # all but the last in one executemany; the last alone, so the
                # database says its id (this write's own, whoever else writes)
                if len(rows) > 1:
                    session.execute(self._insert_events, rows[:-1])
                newest = session.execute(self._insert_events, rows[-1]).inserted_primary_key[0]
            else:
                newest = self._newest_event_id(session, tracker.sender_id)
            session.commit()
        _stored_so_far(tracker)
        self._keep(tracker, newest)

    @staticmethod
    def _row(sender_id: str, event: Any) -> dict:
        """The columns Rasa's SQLTrackerStore.save writes for an event."""
        data = event.as_dict()
        return {
            "sender_id": sender_id,
            "type_name": event.type_name,
            "timestamp": data.get("timestamp"),
            "intent_name": data.get("parse_data", {}).get("intent", {}).get(INTENT_NAME_KEY),
            "action_name": data.get("name"),
            "data": json.dumps(data),
        }

    def _keep(self, tracker: DialogueStateTracker, newest: Optional[int]) -> None:
        # Only a tracker that is exactly what the database would give back:
        # a session started after its first event is read from the database
        # (which starts at that session), as stock Rasa does.
        if newest is None or not self._kept_limit:
            return
        if any(isinstance(event, SessionStarted) for event in itertools.islice(tracker.events, 1, None)):
            return
        self._kept[tracker.sender_id] = (newest, tracker)
        self._kept.move_to_end(tracker.sender_id)
        while len(self._kept) > self._kept_limit:
            self._kept.popitem(last=False)
