"""The tracker store that keeps the conversation it just saved: every message
must see exactly what the database holds, whoever wrote it."""
from __future__ import annotations

import asyncio

import pytest
from rasa.core.tracker_store import SQLTrackerStore
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import ActionExecuted, SessionStarted, SlotSet, UserUttered
from sqlalchemy import text

from bot.store.conversations import KeptConversationsSQLTrackerStore

DOMAIN = Domain.from_yaml("""
version: "3.1"
intents: [inform]
slots:
  case_reference:
    type: text
    mappings: [{type: custom}]
  respondent:
    type: text
    mappings: [{type: custom}]
""")


def run(coroutine):
    return asyncio.run(coroutine)


def _turn(text_: str, **slots):
    return [ActionExecuted("action_listen"), UserUttered(text_, {"name": "inform", "confidence": 1.0}),
            *[SlotSet(k, v) for k, v in slots.items()], ActionExecuted("feedback_form")]


def _started(sender: str, store) -> object:
    tracker = store.init_tracker(sender)
    for event in [ActionExecuted("action_session_start"), SessionStarted(), *_turn("ABC-1234",
                                                                                   case_reference="ABC-1234")]:
        tracker.update(event)
    return tracker


@pytest.fixture
def stores(database_url):
    """Two stores on one database: two workers or two replicas."""
    made = [KeptConversationsSQLTrackerStore(DOMAIN, host=database_url) for _ in range(2)]
    yield made
    for store in made:
        store.engine.dispose()


def _stock_view(url: str, sender: str):
    stock = SQLTrackerStore(DOMAIN, host=url)
    try:
        return run(stock.retrieve(sender))
    finally:
        stock.engine.dispose()


def test_the_next_message_gets_the_conversation_as_stored(stores, database_url):
    mine, _ = stores
    run(mine.save(_started("a", mine)))  # first message: the session start is read back from the database
    tracker = run(mine.retrieve("a"))
    for event in _turn("the adult", respondent="adult"):
        tracker.update(event)
    run(mine.save(tracker))
    again = run(mine.retrieve("a"))
    assert again is tracker and mine.kept_hits == 1
    stored = _stock_view(database_url, "a")
    assert [e.as_dict() for e in again.events] == [e.as_dict() for e in stored.events]
    assert again.current_slot_values() == stored.current_slot_values()
    assert (again.get_slot("case_reference"), again.get_slot("respondent")) == ("ABC-1234", "adult")


def test_what_another_replica_wrote_is_never_missed(stores):
    mine, theirs = stores
    run(mine.save(_started("b", mine)))
    run(mine.save(run(mine.retrieve("b"))))  # kept by mine
    elsewhere = run(theirs.retrieve("b"))
    for event in _turn("the adult", respondent="adult"):
        elsewhere.update(event)
    run(theirs.save(elsewhere))
    back = run(mine.retrieve("b"))
    assert back.get_slot("respondent") == "adult"
    assert mine.kept_hits == 0
    assert [e.as_dict() for e in back.events] == [e.as_dict() for e in elsewhere.events]


def test_a_conversation_is_handed_out_once_so_unsaved_changes_never_leak(stores):
    mine, _ = stores
    run(mine.save(_started("c", mine)))
    run(mine.save(run(mine.retrieve("c"))))
    first = run(mine.retrieve("c"))
    first.update(SlotSet("respondent", "never saved"))  # the message then failed before saving
    second = run(mine.retrieve("c"))
    assert second is not first and second.get_slot("respondent") is None


def test_purged_conversation_is_gone_not_served_from_memory(stores, database_url):
    mine, _ = stores
    run(mine.save(_started("d", mine)))
    run(mine.save(run(mine.retrieve("d"))))
    with mine.engine.begin() as connection:
        connection.execute(text("DELETE FROM events WHERE sender_id = 'd'"))
    assert run(mine.retrieve("d")) is None


def test_a_new_session_is_read_from_the_database_as_stock_rasa_does(stores, database_url):
    mine, _ = stores
    run(mine.save(_started("e", mine)))
    tracker = run(mine.retrieve("e"))
    for event in [ActionExecuted("action_session_start"), SessionStarted(), *_turn("XYZ-9", case_reference="XYZ-9")]:
        tracker.update(event)
    run(mine.save(tracker))
    again = run(mine.retrieve("e"))
    assert again is not tracker
    assert [e.as_dict() for e in again.events] == [e.as_dict() for e in _stock_view(database_url, "e").events]
    assert isinstance(again.events[0], SessionStarted)


def test_memory_holds_a_bounded_number_of_conversations(database_url):
    store = KeptConversationsSQLTrackerStore(DOMAIN, host=database_url, kept_conversations=2)
    try:
        for sender in ("f1", "f2", "f3"):
            run(store.save(_started(sender, store)))
            run(store.save(run(store.retrieve(sender))))
        assert list(store._kept) == ["f2", "f3"]
        assert run(store.retrieve("f1")).get_slot("case_reference") == "ABC-1234"  # from the database
    finally:
        store.engine.dispose()


def _stored_rows(store, sender):
    with store.engine.connect() as connection:
        return connection.execute(text("SELECT type_name FROM events WHERE sender_id = :s ORDER BY id"),
                                  {"s": sender}).scalars().all()


def test_each_event_is_stored_once_however_often_a_message_saves(stores):
    mine, theirs = stores
    run(mine.save(_started("g", mine)))
    tracker = run(mine.retrieve("g"))  # from the database
    for event in _turn("the adult", respondent="adult"):
        tracker.update(event)
        run(mine.save(tracker))  # Rasa may save more than once per message
    run(mine.save(tracker))
    tracker = run(mine.retrieve("g"))  # kept
    assert mine.kept_hits == 1
    for event in _turn("yes"):
        tracker.update(event)
    run(mine.save(tracker))
    other = run(theirs.retrieve("g"))  # another replica, then back again
    other.update(SlotSet("respondent", "representative"))
    run(theirs.save(other))
    back = run(mine.retrieve("g"))
    back.update(ActionExecuted("action_listen"))
    run(mine.save(back))
    rows = _stored_rows(mine, "g")
    assert rows == ["action", "session_started", "action", "user", "slot", "action",  # first message
                    "action", "user", "slot", "action", "action", "user", "action",  # two turns
                    "slot", "action"]  # the other replica's slot, then this one's listen
    assert _stored_rows(mine, "g").count("session_started") == 1
    assert run(theirs.retrieve("g")).get_slot("respondent") == "representative"


def _all_columns(store, sender):
    with store.engine.connect() as connection:
        return [tuple(row) for row in connection.execute(
            text("SELECT sender_id, type_name, timestamp, intent_name, action_name, data FROM events "
                 "WHERE sender_id = :s ORDER BY id"), {"s": sender})]


def test_rows_written_are_stock_rasas_rows(stores, database_url):
    """The same columns, values and order as Rasa's SQLTrackerStore writes
    for the same events (here in one save; ours in two, the second from the
    kept count), and the newest id kept is the one this save wrote."""
    mine, _ = stores
    stock = SQLTrackerStore(DOMAIN, host=database_url)
    try:
        first = [ActionExecuted("action_session_start"), SessionStarted(),
                 *_turn("ABC-1234", case_reference="ABC-1234")]
        later = [*_turn("the adult", respondent="adult"), *_turn("yes")]
        tracker = mine.init_tracker("h-mine")
        for event in first:
            tracker.update(event)
        run(mine.save(tracker))
        tracker = run(mine.retrieve("h-mine"))
        for event in later:
            tracker.update(event)
        run(mine.save(tracker))
        theirs = stock.init_tracker("h-stock")
        for event in [*first, *later]:
            theirs.update(event)
        run(stock.save(theirs))
        ours, stocks = _all_columns(mine, "h-mine"), _all_columns(stock, "h-stock")
        assert len(ours) == len(stocks) == 13
        assert [row[1:] for row in ours] == [row[1:] for row in stocks]
        with mine.engine.connect() as connection:
            newest = connection.execute(text("SELECT max(id) FROM events WHERE sender_id = 'h-mine'")).scalar()
        assert mine._kept["h-mine"][0] == newest
    finally:
        stock.engine.dispose()
