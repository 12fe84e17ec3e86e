"""The Rasa-process speed-ups give exactly Rasa's answers: the action server's
replies accepted or refused as before, stored events read back as the same
classes (a wrong class would garble a conversation read from the store), and
the trained model, loaded without Rasa's warm-up training step, understands
every message exactly as when Rasa loads it."""
from __future__ import annotations

import pytest
from jsonschema import ValidationError

from bot import speedups

from rasa.core.actions.action import RemoteAction  # noqa: E402 (after bot, as in the server)
from rasa.core.actions.forms import FormAction  # noqa: E402
from rasa.engine.runner.dask import DaskGraphRunner  # noqa: E402
from rasa.shared.core.events import Event  # noqa: E402
from rasa.shared.core.trackers import DialogueStateTracker  # noqa: E402
from rasa.shared.nlu.training_data.message import Message  # noqa: E402
from rasa.utils.endpoints import EndpointConfig  # noqa: E402
from rasa.utils.tensorflow.models import RasaModel  # noqa: E402

# Rasa's own, before anything here installs a fix
PATCHED = [(RemoteAction, "_validate_action_result"), (Event, "resolve_by_type"), (RasaModel, "load"),
           (DialogueStateTracker, "applied_events"), (EndpointConfig, "session"), (Message, "_combine_features"),
           (DialogueStateTracker, "copy"), (FormAction, "_ask_for_slot"), (RasaModel, "_rasa_predict"),
           (DaskGraphRunner, "run"), (FormAction, "_temporary_tracker")]
STOCK = {(cls, name): cls.__dict__[name] for cls, name in PATCHED}
STOCK_MODEL_LOAD = STOCK[(RasaModel, "load")]
STOCK_APPLIED_EVENTS = STOCK[(DialogueStateTracker, "applied_events")]
STOCK_COMBINE_FEATURES = STOCK[(Message, "_combine_features")]
STOCK_TRACKER_COPY = STOCK[(DialogueStateTracker, "copy")]
STOCK_RASA_PREDICT = STOCK[(RasaModel, "_rasa_predict")]
STOCK_GRAPH_RUN = STOCK[(DaskGraphRunner, "run")]
STOCK_FORM_TRACKER = STOCK[(FormAction, "_temporary_tracker")]


@pytest.fixture(scope="module")
def installed():
    speedups.install()
    installed_once = {(cls, name): cls.__dict__[name] for cls, name in PATCHED}
    speedups.install()  # twice changes nothing
    assert installed_once == {(cls, name): cls.__dict__[name] for cls, name in PATCHED}
    yield RemoteAction, Event
    for (cls, name), original in STOCK.items():
        setattr(cls, name, original)


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


def _sample_events():
    """One event of every kind Rasa knows, as the action server would send it."""
    from datetime import datetime

    from rasa.shared.core import events as e

    parse = {"text": "yes", "intent": {"name": "affirm", "confidence": 0.9},
             "intent_ranking": [{"name": "affirm", "confidence": 0.9}, {"name": "deny", "confidence": 0.1}],
             "entities": [{"entity": "principle", "value": "proportionality", "start": 0, "end": 3}],
             "response_selector": {"all_retrieval_intents": ["guidance"],
                                   "guidance": {"response": {"responses": [{"text": "x"}], "confidence": 0.8,
                                                             "intent_response_key": "guidance/msp"},
                                                "ranking": [{"confidence": 0.8, "intent_response_key": "guidance/msp"}]}}}
    samples = [e.UserUttered("yes", parse["intent"], parse["entities"], parse, input_channel="rest", message_id="m1"),
               e.BotUttered("Thanks", {"buttons": [{"title": "Yes", "payload": "/affirm"}]}, {"utter_action": "utter_x"}),
               e.SlotSet("case_ref", "AB-1234"), e.SlotSet("ratings", [1, 2]), e.ActiveLoop("feedback_form"),
               e.ActiveLoop(None), e.FollowupAction("action_listen"), e.ActionExecuted("action_listen"),
               e.ActionExecutionRejected("x"), e.Restarted(), e.SessionStarted(), e.AllSlotsReset(),
               e.ConversationPaused(), e.ConversationResumed(), e.ActionReverted(), e.UserUtteranceReverted(),
               e.StoryExported(), e.LoopInterrupted(True), e.EntitiesAdded([{"entity": "a", "value": "b"}]),
               e.ReminderScheduled("intent", datetime(2026, 1, 1)), e.ReminderCancelled(name="r"),
               e.AgentUttered("hi"), e.DefinePrevUserUtteredFeaturization(False)]
    return [event.as_dict() for event in samples] + [{"event": "form", "name": "f"}, {"event": "form_validation"}]


def _variants(event):
    """The event, each field missing, and each field (also inside parse_data)
    given a value of every JSON type."""
    bad_values = [None, 3, 2.5, True, "x", [], {}, [1], {"a": 1}]
    yield event
    for key in event:
        yield {k: v for k, v in event.items() if k != key}
        for value in bad_values:
            yield {**event, key: value}
    for key in event.get("parse_data") or {}:
        for value in bad_values:
            yield {**event, "parse_data": {**event["parse_data"], key: value}}


def test_action_result_verdicts_are_stock_rasas_for_every_event_kind_and_malformed_field():
    """The per-event-type check against Rasa's whole response schema, on
    valid events of every kind and about 900 malformed ones."""
    from jsonschema import validate

    def stock_verdict(result):
        try:
            validate(result, RemoteAction.action_response_format_spec())
            return True
        except ValidationError:
            return False

    results = [{"events": [variant], "responses": [{"text": "t"}]}
               for event in _sample_events() for variant in _variants(event)]
    results += [{"events": _sample_events()}, {"events": [3]}, {"events": [{"event": ["slot"]}]},
                {"events": [{"event": "no_such_event"}]}, {"events": [None]}, [], "x", None,
                {"events": {}}, {"responses": {}}, {}]
    verdicts = [(speedups.action_result_is_valid(result), stock_verdict(result)) for result in results]
    assert len(results) > 900
    assert sum(stock for _, stock in verdicts) > 50 and sum(not stock for _, stock in verdicts) > 50
    assert [fast for fast, _ in verdicts] == [stock for _, stock in verdicts]


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


def test_features_are_combined_as_rasa_combines_them():
    """Same matrix (values, format, dtypes of data and indices), type,
    attribute and origin, for COO blocks (what the featurisers give), other
    sparse formats, mixed dtypes, one block, dense blocks; changing the
    combined features leaves the message's own untouched; and Rasa's errors
    for what it refuses."""
    import numpy as np
    import scipy.sparse

    from rasa.shared.nlu.training_data.features import Features

    def sparse(widths, fmt="coo", dtype=np.float64, rows=4):
        return [Features(scipy.sparse.random(rows, n, density=0.4, format=fmt, random_state=n, dtype=dtype),
                         "sequence", "text", f"featurizer_{n}") for n in widths]

    dense = [Features(np.random.default_rng(n).random((1, n)), "sentence", "text", f"dense_{n}") for n in (2, 4)]
    cases = [sparse((3, 5, 7)), sparse((3, 5, 7), rows=1), sparse((2,)), sparse((3, 5), "csr"),
             sparse((3,)) + sparse((4,), dtype=np.float32), sparse((1, 1, 1, 1)), dense, dense[:1], []]
    for features in cases:
        theirs = STOCK_COMBINE_FEATURES.__func__(features, ["a", "b"])
        ours = speedups.combine_features(features, ["a", "b"])
        if not features:
            assert ours is None and theirs is None
            continue
        assert (ours.type, ours.attribute, ours.origin) == (theirs.type, theirs.attribute, theirs.origin)
        assert type(ours.features) is type(theirs.features) and ours.features.dtype == theirs.features.dtype
        assert ours.features.shape == theirs.features.shape
        if ours.is_sparse():
            def index_dtypes(m):
                return [getattr(m, name).dtype for name in ("row", "col", "indices", "indptr") if hasattr(m, name)]

            assert index_dtypes(ours.features) == index_dtypes(theirs.features)
            assert (ours.features != theirs.features).nnz == 0
        else:
            assert np.array_equal(ours.features, theirs.features)
        as_array = (lambda m: m.toarray()) if ours.is_sparse() else np.asarray
        before = as_array(features[0].features).copy()
        (ours.features.data if ours.is_sparse() else ours.features)[...] = 0
        assert np.array_equal(as_array(features[0].features), before)
    with pytest.raises(ValueError, match="Cannot combine sparse and dense"):
        speedups.combine_features([sparse((3,))[0], dense[0]], ["a"])
    with pytest.raises(ValueError, match="sequence dimensions do not match"):
        speedups.combine_features([*sparse((3,)), *sparse((3,), rows=2)], ["a"])


def _understanding(model_path, texts):
    import asyncio

    from rasa.core.agent import Agent

    agent = Agent.load(str(model_path))

    async def parse_all():
        return [await agent.parse_message(text) for text in texts]

    understood = [{"intent": p["intent"], "ranking": p.get("intent_ranking"),
                   "topics": p.get("response_selector", {}).get("guidance", {}).get("ranking"),
                   "entities": p.get("entities")} for p in asyncio.run(parse_all())]
    events = _form_conversation()
    for end in range(1, len(events) + 1):  # the policies' choice at every step of a form conversation
        tracker = DialogueStateTracker.from_events("check", events[:end], slots=agent.domain.slots)
        prediction = agent.processor._predict_next_with_tracker(tracker)
        understood.append({"policy": prediction.policy_name, "probabilities": prediction.probabilities})
    _LAST_AGENT[:] = [agent]
    return understood


_LAST_AGENT: list = []


def test_the_model_loaded_the_fast_way_understands_exactly_as_rasa_loading_it(monkeypatch):
    """Also with features combined without Rasa's deep copies, and the
    prediction graphs called directly rather than through tf.function."""
    from pathlib import Path

    from bot.cli import latest_model
    from bot.nlp.evaluation import load_heldout

    model = latest_model()
    assert model is not None, "no trained model: run `make train`"
    texts = ["hello", "record feedback for case BN-1234567", "the adult", "1 and 9", "I'd rather not say",
             "quiz me", "b", "asdkjh qwe", "what about wellbeing?", "he hits me, I'm scared right now",
             *[text for text, _ in load_heldout(Path(__file__).parent / "nlu" / "heldout.yml")[::8]]]
    monkeypatch.setattr(RasaModel, "load", STOCK_MODEL_LOAD)  # whatever another test installed; put back after
    monkeypatch.setattr(Message, "_combine_features", STOCK_COMBINE_FEATURES)
    monkeypatch.setattr(RasaModel, "_rasa_predict", STOCK_RASA_PREDICT)
    monkeypatch.setattr(DaskGraphRunner, "run", STOCK_GRAPH_RUN)
    assert not getattr(RasaModel.load.__func__, "_msp_fast", False)
    by_rasa = _understanding(model, texts)
    speedups._install_model_loading()
    speedups._install_feature_combining()
    speedups._install_flat_prediction_call()
    speedups._install_sequential_graph_runs()
    assert getattr(RasaModel.load.__func__, "_msp_fast", False)
    assert Message.__dict__["_combine_features"].__func__ is speedups.combine_features
    flat_calls = []
    outputs = speedups._prediction_outputs
    monkeypatch.setattr(speedups, "_prediction_outputs", lambda *a: flat_calls.append(1) or outputs(*a))
    assert _understanding(model, texts) == by_rasa
    assert len(flat_calls) >= 2 * (len(texts) - 1)  # DIET and the ResponseSelector, after each one's first call
    plans = _LAST_AGENT[0].processor.graph_runner._msp_plans  # the graph runs after the first went by the plan
    assert len(plans) >= 2 and all(plan for plan in plans.values())


def test_inputs_that_dont_fit_the_prediction_graph_go_through_tf_function():
    import numpy as np
    import tensorflow as tf

    step = tf.function(lambda batch: {"sum": tf.reduce_sum(batch[0]) + tf.cast(tf.size(batch[1]), tf.float32)},
                       input_signature=[[tf.TensorSpec([None, 2], tf.float32), tf.TensorSpec([None], tf.int64)]])
    step((np.ones((1, 2), np.float32), np.zeros(1, np.int64)))
    _, call = speedups._flat_call(step)
    assert float(call((np.ones((3, 2), np.float32), np.arange(4)))["sum"]) == 10.0
    assert call((np.ones((3, 3), np.float32), np.arange(4))) is None  # wrong width
    assert call((np.ones((3, 2), np.float32),)) is None  # missing input
    assert call((np.ones((3, 2), np.float32), np.array(["x"]))) is None  # not convertible to int64


def _form_conversation():
    """A feedback form with an unhappy path, a reverted user turn and a reverted action."""
    from rasa.shared.core.events import (ActionExecuted, ActionReverted, ActiveLoop, SessionStarted, SlotSet,
                                         UserUttered, UserUtteranceReverted)

    def user(text, intent="inform"):
        return UserUttered(text, {"name": intent, "confidence": 1.0})

    return [SessionStarted(), ActionExecuted("action_listen"), user("start feedback", "start_feedback"),
            ActionExecuted("action_feedback_start"), ActionExecuted("feedback_form"), ActiveLoop("feedback_form"),
            SlotSet("requested_slot", "case_ref"), ActionExecuted("action_listen"), user("ABC-1234"),
            ActionExecuted("feedback_form"), SlotSet("case_ref", "ABC-1234"), SlotSet("requested_slot", "respondent"),
            ActionExecuted("action_listen"), user("what is MSP", "guidance"), ActionExecuted("utter_guidance"),
            ActionExecuted("feedback_form"), ActionExecuted("action_listen"), user("oops"), UserUtteranceReverted(),
            ActionExecuted("action_listen"), user("the adult"), ActionExecuted("feedback_form"),
            SlotSet("respondent", "adult"), ActionExecuted("utter_x"), ActionReverted(),
            ActiveLoop(None), SlotSet("requested_slot", None), ActionExecuted("action_feedback_summary")]


def test_applied_events_kept_until_the_conversation_changes_are_rasas_own(monkeypatch):
    stock = STOCK_APPLIED_EVENTS
    monkeypatch.setattr(DialogueStateTracker, "applied_events", stock)
    speedups._install_applied_events_memo()
    assert DialogueStateTracker.applied_events is not stock
    tracker = DialogueStateTracker("s", [])
    for event in _form_conversation():
        tracker.update(event)
        first, again = tracker.applied_events(), tracker.applied_events()
        assert first == again == stock(tracker)
        first.append("changed by a caller")  # callers get their own list
        assert tracker.applied_events() == stock(tracker)
    tracker.events = type(tracker.events)(list(tracker.events)[:3])  # the history replaced wholesale
    assert tracker.applied_events() == stock(tracker)


def test_applied_events_folded_on_in_steps_match_rasas_walk_over_everything(monkeypatch):
    """Events added several at a time (as a message does), a form named only
    after its first run, a second form, a session restart."""
    from rasa.shared.core.events import ActionExecuted, ActiveLoop, Restarted, UserUttered

    monkeypatch.setattr(DialogueStateTracker, "applied_events", STOCK_APPLIED_EVENTS)
    speedups._install_applied_events_memo()
    quiz = [ActionExecuted("action_listen"), UserUttered("quiz me", {"name": "start_quiz"}),
            ActionExecuted("quiz_form"), ActionExecuted("action_listen"), UserUttered("b", {"name": "inform"}),
            ActionExecuted("quiz_form"), ActiveLoop("quiz_form"), ActionExecuted("action_listen"),
            UserUttered("a", {"name": "inform"}), ActionExecuted("quiz_form"), ActiveLoop(None)]
    everything = _form_conversation() + quiz + [Restarted()] + _form_conversation()[1:] + quiz
    for step in (1, 2, 3, 5):
        tracker = DialogueStateTracker("s", [])
        for start in range(0, len(everything), step):
            for event in everything[start:start + step]:
                tracker.events.append(event)  # several events, then one question, as in a message
            assert tracker.applied_events() == STOCK_APPLIED_EVENTS(tracker), (step, start)


@pytest.mark.parametrize("payload", [
    {"tracker": {"sender_id": "a/b", "events": [{"event": "user", "text": "caf\u00e9 \U0001F600 </script> \"q\" \\",
                                                  "timestamp": 1732368000.123456789, "confidence": 0.1 + 0.2}]},
     "domain": {"slots": {"n": {"initial_value": None, "values": [1, 2.5, True, False]}}}},
    {"big": 2 ** 62, "small": -1e-300, "nested": [[[]], {}], "unicode": "\u2028\u2029\x00\x1f"},
])
def test_action_calls_carry_the_same_json_as_before(payload):
    import json

    assert json.loads(speedups.dumps_for_action_server(payload)) == json.loads(json.dumps(payload)) == payload


def test_numbers_json_can_barely_hold_still_arrive_intact():
    import json
    import math

    decoded = json.loads(speedups.dumps_for_action_server({"value": float("nan"), "huge": 2 ** 80}))
    assert math.isnan(decoded["value"]) and decoded["huge"] == 2 ** 80


def test_states_carried_on_as_a_conversation_grows_are_rasas_own(monkeypatch):
    """Every policy's view of the conversation, at every step: the real
    domain, forms with unhappy paths, a revert, a restart; the states asked
    for by the rule policy (rule-only turns kept) and by memoization (hidden),
    and callers that edit what they get."""
    from pathlib import Path

    from rasa.shared.core.domain import Domain
    from rasa.shared.core.events import ActionExecuted, ActiveLoop, Restarted, SlotSet, UserUttered

    stock = Domain.__dict__["states_for_tracker_history"]
    monkeypatch.setattr(Domain, "states_for_tracker_history", stock)
    monkeypatch.setattr(DialogueStateTracker, "applied_events", STOCK_APPLIED_EVENTS)
    speedups._install_applied_events_memo()
    speedups._install_states_memo()
    domain = Domain.load(str(Path(__file__).parents[1] / "domain.yml"))
    quiz = [ActionExecuted("action_listen"), UserUttered("quiz me", {"name": "start_quiz"}),
            ActionExecuted("action_quiz_start"), ActionExecuted("quiz_form", hide_rule_turn=True),
            ActiveLoop("quiz_form"), SlotSet("requested_slot", "quiz_answer"),
            ActionExecuted("action_listen", hide_rule_turn=True), UserUttered("b", {"name": "inform"}),
            ActionExecuted("quiz_form", hide_rule_turn=True), SlotSet("quiz_answer", "b"),
            ActionExecuted("action_listen"), UserUttered("what is MSP", {"name": "guidance"}),
            ActionExecuted("utter_guidance"), ActionExecuted("quiz_form"), ActiveLoop(None),
            SlotSet("requested_slot", None), ActionExecuted("action_quiz_end"), ActionExecuted("action_listen")]
    everything = _form_conversation() + quiz + [Restarted()] + _form_conversation()[1:] + quiz
    rule_only = {"rule_only_slots": ["requested_slot"], "rule_only_loops": ["quiz_form"]}
    views = [{}, {"ignore_rule_only_turns": True, "rule_only_data": rule_only},
             {"omit_unset_slots": True, "rule_only_data": rule_only}]
    for step in (1, 2, 4):
        tracker = DialogueStateTracker("s", domain.slots)
        for start in range(0, len(everything), step):
            for event in everything[start:start + step]:
                tracker.update(event)
            for view in views:
                expected = stock(domain, tracker, **view)
                mine = domain.states_for_tracker_history(tracker, **view)
                assert mine == expected, (step, start, view)
                for state in mine:  # as the featurizers do to what they are given
                    state.get("user", {}).pop("intent", None)
                    state.pop("prev_action", None)
                assert domain.states_for_tracker_history(tracker, **view) == expected


def _tracker_state(tracker):
    """Everything a tracker holds, comparable: its attributes, each slot's own
    (not the speed-ups' memos, which a tracker builds again when asked)."""
    state = {key: value for key, value in vars(tracker).items()
             if key not in ("events", "slots") and not key.startswith("_msp_")}
    state["events"] = list(tracker.events)
    state["slots"] = {name: (type(slot), dict(vars(slot))) for name, slot in tracker.slots.items()}
    state["types"] = (type(tracker.slots), type(tracker.events), tracker.events.maxlen)
    return state


def test_tracker_copies_are_rasas_replayed_copies(monkeypatch):
    """At every step of forms with unhappy paths, reverts, an interrupted and a
    rejected loop, a paused conversation and a restart (the real domain's
    slots): the copy holds what Rasa's replay gives, and changing the copy the
    way actions do leaves the tracker untouched."""
    from pathlib import Path

    from rasa.shared.core.domain import Domain
    from rasa.shared.core.events import (ActionExecuted, ActionExecutionRejected, ActiveLoop, ConversationPaused,
                                         ConversationResumed, FollowupAction, LoopInterrupted, Restarted, SlotSet,
                                         UserUttered)

    monkeypatch.setattr(DialogueStateTracker, "copy", STOCK_TRACKER_COPY)
    speedups._install_tracker_copy()
    assert DialogueStateTracker.copy is speedups.copy_tracker
    domain = Domain.load(str(Path(__file__).parents[1] / "domain.yml"))
    extra = [ActionExecuted("action_listen"), UserUttered("quiz me", {"name": "start_quiz"}),
             ActionExecuted("quiz_form"), ActiveLoop("quiz_form"), SlotSet("requested_slot", "quiz_answer"),
             ActionExecuted("action_listen"), UserUttered("what?", {"name": "guidance"}), LoopInterrupted(True),
             ActionExecutionRejected("quiz_form"), ActionExecuted("utter_guidance"), FollowupAction("quiz_form"),
             ConversationPaused(), ConversationResumed(), ActionExecuted("quiz_form"), SlotSet("quiz_answer", "b"),
             SlotSet("not_in_the_domain", 1), Restarted(), ActionExecuted("action_session_start")]
    everything = _form_conversation() + extra + _form_conversation()[1:]
    for slots in (domain.slots, None):  # the server's trackers, and a tracker without a domain
        tracker = DialogueStateTracker("s", slots)
        for event in everything:
            tracker.update(event)
            before = _tracker_state(tracker)
            mine, rasas = tracker.copy(), STOCK_TRACKER_COPY(tracker)
            assert _tracker_state(mine) == _tracker_state(rasas), event
            assert mine.current_state() == rasas.current_state()
            for change in (SlotSet("case_ref", "XYZ-1"), LoopInterrupted(True), ActionExecutionRejected("x"),
                           ActiveLoop("feedback_form"), LoopInterrupted(False), ConversationPaused()):
                mine.update(change)
            mine.slots.get("case_ref") and setattr(mine.slots["case_ref"], "value", "changed in place")
            assert _tracker_state(tracker) == before
    capped = DialogueStateTracker("s", domain.slots, max_event_history=5)
    for event in everything:
        capped.update(event)
    assert _tracker_state(capped.copy()) == _tracker_state(STOCK_TRACKER_COPY(capped))


def test_trackers_a_form_validates_with_are_rasas_replayed_ones(monkeypatch):
    """What the validation action is sent (every event, slot, the active loop)
    is what Rasa's replay gives, at every step of a form conversation, with
    and without slot candidates; after a restart, Rasa's own replay is used."""
    from pathlib import Path

    from rasa.shared.core.domain import Domain
    from rasa.shared.core.events import ActionExecuted, Restarted, SlotSet, UserUttered
    from rasa.shared.core.trackers import EventVerbosity

    monkeypatch.setattr(FormAction, "_temporary_tracker", STOCK_FORM_TRACKER)
    monkeypatch.setattr("time.time", lambda: 1_700_000_000.0)  # both make events: the same timestamps
    speedups._install_form_tracker()
    assert FormAction._temporary_tracker is speedups.form_tracker
    domain = Domain.load(str(Path(__file__).parents[1] / "domain.yml"))
    form = FormAction("feedback_form", None)
    candidates = [[], [SlotSet("respondent", "adult")], [SlotSet("case_ref", "ABC-1234"), SlotSet("outcomes_asked", "no")]]
    restart = [Restarted(), ActionExecuted("action_session_start"), ActionExecuted("action_listen"),
               UserUttered("start feedback", {"name": "start_feedback"})]
    steps = 0
    for history in (_form_conversation(), _form_conversation() + restart + _form_conversation()[1:]):
        tracker = DialogueStateTracker("s", domain.slots)
        tracker.model_id = "a-model"
        for event in history:
            tracker.update(event)
            before = _tracker_state(tracker)
            for extra in candidates:
                mine = speedups.form_tracker(form, tracker, list(extra), domain)
                rasas = STOCK_FORM_TRACKER(form, tracker, list(extra), domain)
                assert _tracker_state(mine) == _tracker_state(rasas), (event, extra)
                assert mine.current_state(EventVerbosity.ALL) == rasas.current_state(EventVerbosity.ALL)
                mine.update(SlotSet("case_ref", "changed"))
                assert _tracker_state(tracker) == before  # the conversation itself is untouched
                steps += 1
    assert steps > 100


def test_garbage_collection_waits_for_the_model_then_resumes_as_before(monkeypatch):
    """Paused (also against spaCy's gc.enable()) until the agent is loaded,
    then one collection, what loaded frozen, Rasa's result or error passed on,
    and the collector's thresholds back as they were."""
    import asyncio
    import gc

    import rasa.core.run

    before = gc.get_threshold()
    seen = {}

    async def stock_load(*args, **kwargs):
        gc.enable()  # what srsly does after reading a file
        seen["threshold while loading"] = gc.get_threshold()[0]
        if kwargs.get("fail"):
            raise RuntimeError("model missing")
        return "agent"

    monkeypatch.setattr(rasa.core.run, "load_agent_on_start", stock_load)
    try:
        speedups.pause_garbage_collection()
        speedups.collect_garbage_once_loaded()
        assert asyncio.run(rasa.core.run.load_agent_on_start("model")) == "agent"
        assert seen["threshold while loading"] == 0
        assert gc.get_threshold() == before and gc.isenabled() and gc.get_freeze_count() > 0
        speedups.pause_garbage_collection()
        with pytest.raises(RuntimeError, match="model missing"):
            asyncio.run(rasa.core.run.load_agent_on_start("model", fail=True))
        assert gc.get_threshold() == before
    finally:
        gc.unfreeze()
        gc.set_threshold(*before)


class InProcessActionServer(EndpointConfig):
    """The action server's executor with this project's actions, called the
    way Rasa calls the real one (JSON both ways), counting the calls."""

    def __init__(self, down: bool = False):
        super().__init__(url="http://action-server.invalid/webhook")
        from rasa_sdk.executor import ActionExecutor

        self.executor = ActionExecutor()
        self.executor.register_package("actions")
        self.calls: list = []
        self.down = down

    async def request(self, method="post", subpath=None, content_type="application/json", compress=False, **kwargs):
        import json

        from rasa.utils.endpoints import ClientResponseError

        body = json.loads(json.dumps(kwargs["json"]))
        self.calls.append(body["next_action"])
        if self.down:
            raise ClientResponseError(503, "Service Unavailable", "down")
        return json.loads(json.dumps(await self.executor.run(body)))


def _question_states():
    """(form, slot, slots) for every question, in each way it can be put."""
    from bot.feedback import flow
    from bot.feedback.questionnaire import questionnaire
    from bot.questions import _quiz_questions

    outcomes = list(questionnaire().outcome_items)
    chosen = [{"outcome": outcomes[0]}, {"outcome": "own_words", "own_words": "to see my grandson"}]
    states = []
    for who in ("adult", "representative", "advocate", None):
        for simpler in (False, True):
            for step in flow.ALL_STEPS:
                slots = {"respondent": who, flow.SIMPLER_SLOT: simpler, "outcomes_asked": "asked_expressed"}
                if step == "outcome_rating":
                    for ratings in ([], ["fully"]):
                        states.append(("feedback_form", step, {**slots, "outcomes_chosen": chosen,
                                                               flow.RATINGS_SLOT: ratings}))
                    continue
                states.append(("feedback_form", step, slots))
    for request in ("quiz me", "give me a scenario", "test me on capacity with 3 questions"):
        turn = _quiz_questions().start(request, [])
        for index in range(len(turn.round["items"])):
            states.append(("quiz_form", "quiz_answer", {"quiz_round": {**turn.round, "index": index}}))
    states.append(("quiz_form", "quiz_answer", {"quiz_round": None}))
    return states


def _form_tracker(domain, form, slots, extra_events=()):
    from rasa.shared.core.events import ActiveLoop, SlotSet, UserUttered

    events = [UserUttered("an answer", {"name": "inform", "confidence": 1.0}), ActiveLoop(form),
              *[SlotSet(name, value) for name, value in slots.items()], *extra_events]
    return DialogueStateTracker.from_events("question-check", events, slots=domain.slots)


def _said(events):
    return [{k: v for k, v in event.as_dict().items() if k != "timestamp"} for event in events]


def test_questions_the_rasa_server_says_itself_are_the_action_servers_own():
    import asyncio

    from rasa.core.channels import CollectingOutputChannel
    from rasa.core.nlg import TemplatedNaturalLanguageGenerator
    from rasa.shared.core.domain import Domain

    from bot.config import PROJECT_ROOT

    domain = Domain.load(str(PROJECT_ROOT / "domain.yml"))
    nlg = TemplatedNaturalLanguageGenerator(domain.responses)
    stock_ask, before = STOCK[(FormAction, "_ask_for_slot")], FormAction._ask_for_slot
    speedups.install()
    try:
        assert FormAction._ask_for_slot is not stock_ask
        checked = 0
        for form, slot, slots in _question_states():
            server = InProcessActionServer()
            action = FormAction(form, server)
            tracker = _form_tracker(domain, form, slots)
            by_action_server = asyncio.run(stock_ask(action, domain, nlg, CollectingOutputChannel(), slot, tracker))
            assert server.calls == [f"action_ask_{slot}"]
            by_rasa = asyncio.run(FormAction._ask_for_slot(action, domain, nlg, CollectingOutputChannel(), slot,
                                                           tracker))
            assert server.calls == [f"action_ask_{slot}"], "the question was asked of the action server again"
            assert by_action_server and _said(by_rasa) == _said(by_action_server), (form, slot, slots)
            checked += 1
        assert checked > 100
    finally:
        FormAction._ask_for_slot = before


def test_a_question_during_an_action_server_outage_is_left_to_the_outage_handling():
    import asyncio

    from rasa.core.channels import CollectingOutputChannel
    from rasa.core.nlg import TemplatedNaturalLanguageGenerator
    from rasa.shared.core.domain import Domain
    from rasa.shared.core.events import BotUttered, UserUttered

    from bot import outage, questions
    from bot.config import PROJECT_ROOT

    domain = Domain.load(str(PROJECT_ROOT / "domain.yml"))
    nlg = TemplatedNaturalLanguageGenerator(domain.responses)
    before_ask, before_run = FormAction._ask_for_slot, RemoteAction.run
    speedups.install()
    outage.install()
    try:
        server = InProcessActionServer(down=True)
        action = FormAction("feedback_form", server)
        said_earlier = [BotUttered(outage.OUTAGE_TEXT), UserUttered("yes", {"name": "affirm", "confidence": 1.0})]
        tracker = _form_tracker(domain, "feedback_form", {"respondent": "adult"}, said_earlier)

        def ask():
            events = asyncio.run(FormAction._ask_for_slot(action, domain, nlg, CollectingOutputChannel(),
                                                          "listened_to", tracker))
            return [e.text for e in events if isinstance(e, BotUttered)]

        # said before the latest message: this turn's validation got through
        assert ask() == [questions.question("action_ask_listened_to", tracker.get_slot).text]
        assert server.calls == []
        tracker.update(BotUttered(outage.OUTAGE_TEXT))  # this turn's validation couldn't get through
        assert ask() == [outage.OUTAGE_TEXT]  # the outage handling's words, not the question
        assert server.calls == ["action_ask_listened_to"]
    finally:
        FormAction._ask_for_slot, RemoteAction.run = before_ask, before_run
