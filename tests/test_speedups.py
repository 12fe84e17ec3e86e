"""The Rasa-process speed-ups give exactly Rasa's answers: the action server's
replies accepted or refused as before, stored events read back as the same
classes (a wrong class would garble a conversation read from the store), and
the trained model, loaded without Rasa's warm-up training step, understands
every message exactly as when Rasa loads it."""
from __future__ import annotations

import pytest
from jsonschema import ValidationError

from bot import speedups

from rasa.utils.tensorflow.models import RasaModel  # noqa: E402 (after bot, as in the server)

STOCK_MODEL_LOAD = RasaModel.__dict__["load"]


@pytest.fixture(scope="module")
def installed():
    from rasa.core.actions.action import RemoteAction
    from rasa.shared.core.events import Event
    from rasa.utils.tensorflow.models import RasaModel

    stock = (RemoteAction._validate_action_result, Event.resolve_by_type, RasaModel.__dict__["load"])
    speedups.install()
    speedups.install()  # twice changes nothing
    yield RemoteAction, Event
    RemoteAction._validate_action_result, Event.resolve_by_type = stock[0], staticmethod(stock[1])
    RasaModel.load = stock[2]


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


def _understanding(model_path, texts):
    import asyncio

    from rasa.core.agent import Agent

    agent = Agent.load(str(model_path))

    async def parse_all():
        return [await agent.parse_message(text) for text in texts]

    return [{"intent": p["intent"], "ranking": p.get("intent_ranking"),
             "topics": p.get("response_selector", {}).get("guidance", {}).get("ranking"),
             "entities": p.get("entities")} for p in asyncio.run(parse_all())]


def test_the_model_loaded_the_fast_way_understands_exactly_as_rasa_loading_it(monkeypatch):
    from pathlib import Path

    from bot.cli import latest_model
    from bot.nlp.evaluation import load_heldout

    model = latest_model()
    assert model is not None, "no trained model: run `make train`"
    texts = ["hello", "record feedback for case BN-1234567", "the adult", "1 and 9", "I'd rather not say",
             "quiz me", "b", "asdkjh qwe", "what about wellbeing?", "he hits me, I'm scared right now",
             *[text for text, _ in load_heldout(Path(__file__).parent / "nlu" / "heldout.yml")[::8]]]
    monkeypatch.setattr(RasaModel, "load", STOCK_MODEL_LOAD)  # whatever another test installed; put back after
    assert not getattr(RasaModel.load.__func__, "_msp_fast", False)
    by_rasa = _understanding(model, texts)
    speedups._install_model_loading()
    assert getattr(RasaModel.load.__func__, "_msp_fast", False)
    assert _understanding(model, texts) == by_rasa
