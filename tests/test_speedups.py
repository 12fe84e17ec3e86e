"""The Rasa-process speed-ups give exactly Rasa's answers: the action server's
replies accepted or refused as before, and stored events read back as the
same classes (a wrong class would garble a conversation read from the store)."""
from __future__ import annotations

import pytest
from jsonschema import ValidationError

from bot import speedups


@pytest.fixture(scope="module")
def installed():
    from rasa.core.actions.action import RemoteAction
    from rasa.shared.core.events import Event

    stock = (RemoteAction._validate_action_result, Event.resolve_by_type)
    speedups.install()
    speedups.install()  # twice changes nothing
    yield RemoteAction, Event
    RemoteAction._validate_action_result, Event.resolve_by_type = stock[0], staticmethod(stock[1])


REPLIES = [
    ({"events": [], "responses": []}, True),
    ({"events": [{"event": "slot", "name": "case_ref", "value": "AB-1234"}],
      "responses": [{"text": "Thanks"}]}, True),
    ({"events": [{"event": "followup", "name": "action_listen"}, {"event": "active_loop", "name": None}]}, True),
    ({"events": [{"event": 3}], "responses": []}, False),
    ({"events": [{"event": "slot"}]}, False),
    ({"events": "not a list"}, False),
    ({"responses": ["text"]}, False),
]


@pytest.mark.parametrize("reply,valid", REPLIES)
def test_action_server_replies_are_accepted_or_refused_as_stock_rasa_does(installed, reply, valid):
    RemoteAction, _ = installed
    action = RemoteAction.__new__(RemoteAction)
    if valid:
        assert action._validate_action_result(reply) is True
    else:
        with pytest.raises(ValidationError, match="Failed to validate Action server response"):
            action._validate_action_result(reply)


def test_stored_events_come_back_as_the_same_classes(installed):
    from rasa.shared.core.events import ActionExecuted, SessionStarted, SlotSet, UserUttered
    from rasa.shared.utils.common import all_subclasses

    _, Event = installed
    for cls in all_subclasses(Event):
        assert Event.resolve_by_type(cls.type_name) is next(c for c in all_subclasses(Event)
                                                           if c.type_name == cls.type_name)
    assert [type(Event.from_parameters(p)) for p in (
        {"event": "user", "text": "yes", "parse_data": {"intent": {"name": "affirm"}}}, {"event": "slot", "name": "x", "value": 1},
        {"event": "action", "name": "action_listen"}, {"event": "session_started"})] == \
        [UserUttered, SlotSet, ActionExecuted, SessionStarted]
    assert Event.resolve_by_type("no_such_event", UserUttered) is UserUttered
    with pytest.raises(ValueError, match="Unknown event name"):
        Event.resolve_by_type("no_such_event")
