"""Rasa 3.6 work that doesn't need doing (on every message, or at all),
undone in the Rasa server process (bot.rasa_entry). Each fix keeps Rasa's
answers exactly (tests/test_speedups.py); each says what py-spy measured.

Every reply from the action server is checked against Rasa's response schema
with `jsonschema.validate`, which first checks the schema itself against the
JSON Schema meta-schema: measured with py-spy under 10 concurrent senders,
that was half of the Rasa server's time. The same check with a validator
built once gives the same errors for a fraction of the work.

Reading a conversation from the tracker store turns each stored event back
into an object, and Rasa finds each event's class by walking every subclass
of Event afresh (7% of the server's time in the same profile, and more the
longer the conversation). The answer for a type name never changes once the
classes are imported, so it is remembered.
"""
from __future__ import annotations

from functools import lru_cache


@lru_cache(maxsize=1)
def _action_response_validator():
    from jsonschema.validators import validator_for
    from rasa.core.actions.action import RemoteAction

    schema = RemoteAction.action_response_format_spec()
    cls = validator_for(schema)
    cls.check_schema(schema)  # once, instead of once per action call
    return cls(schema)


@lru_cache(maxsize=1)
def _validators_by_event_type():
    """Rasa's event schema is a `oneOf` over 23 event types, each pinned by a
    constant "event" name, so every returned event was checked against all
    23 (8% of the server's time at 10 senders, a form turn returning a dozen
    slot events). An event can only match the one type its name pins, so the
    answer is the same as checking it against that type alone (with the
    shared properties). Returns (outer validator, {event name: validator}),
    or None if the schema isn't shaped that way (then the whole schema is used)."""
    from jsonschema.validators import validator_for
    from rasa.core.actions.action import RemoteAction

    schema = RemoteAction.action_response_format_spec()
    events = schema.get("properties", {}).get("events", {})
    event_schema = events.get("items", {})
    if set(events) != {"type", "items"} or set(event_schema) - {"type", "properties", "required", "oneOf"}:
        return None
    shared = {key: value for key, value in event_schema.items() if key != "oneOf"}
    by_type = {}
    for option in event_schema.get("oneOf", []):
        name = option.get("properties", {}).get("event", {}).get("const")
        if not isinstance(name, str) or name in by_type:
            return None
        by_type[name] = {**shared, "allOf": [option]}
    outer = {**schema, "properties": {**schema["properties"], "events": {"type": events["type"]}}}
    cls = validator_for(schema)
    for part in (outer, *by_type.values()):
        cls.check_schema(part)
    return cls(outer), {name: cls(part) for name, part in by_type.items()}


def action_result_is_valid(result) -> bool:
    """The same verdict as Rasa's response schema (tests/test_speedups.py)."""
    split = _validators_by_event_type()
    if split is None:
        return _action_response_validator().is_valid(result)
    outer, by_type = split
    if not outer.is_valid(result):
        return False
    for event in result.get("events") or []:
        name = event.get("event") if isinstance(event, dict) else None
        validator = by_type.get(name) if isinstance(name, str) else None
        if validator is None or not validator.is_valid(event):
            return False
    return True


def install() -> None:
    """Every fix (idempotent)."""
    _install_action_result_validator()
    _install_event_class_lookup()
    _install_feature_combining()
    _install_tracker_copy()
    _install_form_tracker()
    _install_model_loading()
    _install_applied_events_memo()
    _install_states_memo()
    _install_action_call_json()
    _install_local_questions()
    _install_flat_prediction_call()
    _install_sequential_graph_runs()


def block_jax() -> None:
    """TensorFlow 2.12 imports JAX (a dependency it declares) only for
    converting JAX functions to TFLite, which Rasa never does; importing it
    costs each Rasa process 65 MB. Called before TensorFlow is imported."""
    import sys

    sys.modules.setdefault("jax", None)  # type: ignore[arg-type]


def _install_applied_events_memo() -> None:
    """`applied_events()` walks the whole conversation (undoing form turns and
    reverted actions) and is asked for several times per prediction step, by
    each policy and the form: 11% of the server's time under load, and the
    more the longer the conversation. The answer is kept with the tracker: the
    same events give it back at once; events added since are folded onto it
    as Rasa's own loop would fold them (it is a left fold over the events),
    unless they name a form not seen before, which can change how earlier
    events are read: then everything is walked again, as Rasa does."""
    from itertools import islice

    from rasa.shared.core.events import (ActionExecuted, ActionReverted, ActiveLoop, Restarted, SessionStarted,
                                         UserUttered, UserUtteranceReverted)
    from rasa.shared.core.trackers import DialogueStateTracker

    original = DialogueStateTracker.applied_events
    if getattr(original, "_msp_memo", False):
        return

    def fold(tracker, events, loop_names, applied):
        # the body of DialogueStateTracker.applied_events (Rasa 3.6), unchanged
        for event in events:
            if isinstance(event, (Restarted, SessionStarted)):
                applied = []
            elif isinstance(event, ActionReverted):
                tracker._undo_till_previous(ActionExecuted, applied)
            elif isinstance(event, UserUtteranceReverted):
                tracker._undo_till_previous(UserUttered, applied)
                tracker._undo_till_previous(ActionExecuted, applied)
            elif (isinstance(event, ActionExecuted) and event.action_name in loop_names
                  and not tracker._first_loop_execution_or_unhappy_path(event.action_name, applied)):
                tracker._undo_till_previous_loop_execution(event.action_name, applied)
            else:
                applied.append(event)
        return applied

    def loops_named(events):
        return {event.name for event in events if isinstance(event, ActiveLoop) and event.name}

    def applied_events(self):
        events = self.events
        count = len(events)
        last = events[-1] if count else None
        memo = self.__dict__.get("_msp_applied_events")
        # the memo holds the deque and its last event, so neither id can be reused while it lives
        if memo is not None and memo[0] is events and events.maxlen is None:
            _, seen, seen_last, loop_names, applied = memo
            if seen == count and seen_last is last:
                return list(applied)
            if 0 < seen < count and events[seen - 1] is seen_last:
                added = list(islice(events, seen, count))
                if loops_named(added) <= loop_names:
                    applied = fold(self, added, loop_names, list(applied))
                    self.__dict__["_msp_applied_events"] = (events, count, last, loop_names, applied)
                    return list(applied)
        applied = original(self)
        self.__dict__["_msp_applied_events"] = (events, count, last, loops_named(events), applied)
        return list(applied)

    applied_events._msp_memo = True  # type: ignore[attr-defined]
    DialogueStateTracker.applied_events = applied_events


def _copy_states(states):
    # Callers delete keys inside a state's sub-states (which user input to
    # use), so each gets its own dicts; the values inside are immutable.
    return [{key: dict(sub) if isinstance(sub, dict) else sub for key, sub in state.items()} for state in states]


def _install_states_memo() -> None:
    """Each policy, at each prediction step, turns the whole conversation into
    a list of states by replaying every event into a fresh tracker (py-spy:
    the largest cost left that grows with the conversation). The states of
    events already seen don't change when events are added after them, so
    the replay is kept with the tracker and carried on from where it
    stopped, as long as the applied events seen before are still the first
    ones (a form turn undone, a restart: replayed from the start, as Rasa
    does). The loop below is Rasa 3.6's Domain.states_for_tracker_history."""
    from rasa.shared.core.constants import PREVIOUS_ACTION
    from rasa.shared.core.domain import Domain
    from rasa.shared.core.events import ActionExecuted

    original = Domain.states_for_tracker_history
    if getattr(original, "_msp_memo", False):
        return

    def step(domain, tr, hide_rule_turn, progress, omit_unset_slots, ignore_rule_only_turns, rule_only_data):
        states, last_ml_action_sub_state, turn_was_hidden = progress
        if ignore_rule_only_turns:
            if not turn_was_hidden:
                last_ml_action_sub_state = domain._get_prev_action_sub_state(tr)
            if not tr.followup_action and not tr.latest_action_name == tr.active_loop_name:
                turn_was_hidden = hide_rule_turn
            if turn_was_hidden:
                return states, last_ml_action_sub_state, turn_was_hidden
        state = domain.get_active_state(tr, omit_unset_slots=omit_unset_slots)
        if ignore_rule_only_turns:
            domain._remove_rule_only_features(state, rule_only_data)
            if states:
                domain._substitute_rule_only_user_input(state, states[-1])
            if last_ml_action_sub_state:
                state[PREVIOUS_ACTION] = last_ml_action_sub_state
        states.append(domain._clean_state(state))
        return states, last_ml_action_sub_state, turn_was_hidden

    def states_for_tracker_history(self, tracker, omit_unset_slots=False, ignore_rule_only_turns=False,
                                   rule_only_data=None):
        key = (omit_unset_slots, ignore_rule_only_turns,
               tuple(sorted((k, tuple(v)) for k, v in (rule_only_data or {}).items())))
        applied = tracker.applied_events()
        memos = tracker.__dict__.setdefault("_msp_states", {})
        memo = memos.get(key)
        if (memo is not None and memo["domain"] is self and len(memo["applied"]) <= len(applied)
                and all(a is b for a, b in zip(memo["applied"], applied))):
            replay, progress, start = memo["replay"], memo["progress"], len(memo["applied"])
        else:
            replay, progress, start = tracker.init_copy(), ([], None, False), 0
        args = (omit_unset_slots, ignore_rule_only_turns, rule_only_data)
        for event in applied[start:]:  # generate_all_prior_trackers, from where it stopped
            if isinstance(event, ActionExecuted):
                progress = step(self, replay, event.hide_rule_turn, progress, *args)
            replay.update(event)
        memos[key] = {"domain": self, "applied": applied, "replay": replay, "progress": progress}
        states, *rest = progress
        final = step(self, replay, False, (_copy_states(states[-1:]), *rest), *args)[0]
        return _copy_states(states[:-1]) + final if states else final

    states_for_tracker_history._msp_memo = True  # type: ignore[attr-defined]
    Domain.states_for_tracker_history = states_for_tracker_history


def dumps_for_action_server(payload) -> str:
    """The same JSON as json.dumps, written by ujson (already installed with
    Rasa): each custom-action call sends the whole conversation, and encoding
    it was 7% of the server's time."""
    import json

    import ujson

    try:
        return ujson.dumps(payload, ensure_ascii=True, escape_forward_slashes=False)
    except (TypeError, OverflowError, ValueError):
        return json.dumps(payload)  # whatever ujson refuses, json decides as before


def _install_action_call_json() -> None:
    import aiohttp
    from rasa.utils.endpoints import DEFAULT_REQUEST_TIMEOUT, EndpointConfig

    if getattr(EndpointConfig.session, "_msp_json", False):
        return

    def session(self) -> aiohttp.ClientSession:  # EndpointConfig.session, with the encoder
        auth = aiohttp.BasicAuth(self.basic_auth["username"], self.basic_auth["password"]) if self.basic_auth else None
        return aiohttp.ClientSession(headers=self.headers, auth=auth,
                                     timeout=aiohttp.ClientTimeout(total=DEFAULT_REQUEST_TIMEOUT),
                                     json_serialize=dumps_for_action_server)

    session._msp_json = True  # type: ignore[attr-defined]
    EndpointConfig.session = session


def _install_model_loading() -> None:
    from rasa.utils.tensorflow.models import RasaModel

    original = RasaModel.load.__func__
    if getattr(original, "_msp_fast", False):
        return

    def load(cls, model_file_name, model_data_example, predict_data_example=None, finetune_mode=False,
             *args, **kwargs):
        if finetune_mode:
            return original(cls, model_file_name, model_data_example, predict_data_example, finetune_mode,
                            *args, **kwargs)
        return load_for_prediction(cls, model_file_name, model_data_example, predict_data_example, *args, **kwargs)

    load._msp_fast = True  # type: ignore[attr-defined]
    RasaModel.load = classmethod(load)


def load_for_prediction(cls, model_file_name, model_data_example, predict_data_example=None, *args, **kwargs):
    """RasaModel.load without the training step.

    Rasa builds a model's weights by training it on one example, which traces
    the whole training graph (forward, gradients, optimizer): py-spy put 24 of
    the server's 48 s of startup there, for two models. One forward pass in
    eager mode creates the same weights, the saved ones are then read over
    them (every weight must be found in the file, or this fails), and the
    prediction graph is traced as Rasa does. Only the optimizer's state, never
    used for prediction, is left unread.
    """
    import tensorflow as tf
    from rasa.utils.tensorflow.constants import LEARNING_RATE, RUN_EAGERLY
    from rasa.utils.tensorflow.data_generator import RasaBatchDataGenerator

    model = cls(*args, **kwargs)
    config = kwargs.get("config", {})
    model.compile(optimizer=tf.keras.optimizers.Adam(config.get(LEARNING_RATE, 0.001)),
                  run_eagerly=config.get(RUN_EAGERLY))
    batch_in, _ = RasaBatchDataGenerator(model_data_example, batch_size=1, shuffle=False)[0]
    model._training = True
    model.batch_loss(batch_in)  # creates every weight, as the training step would
    model._training = None
    model.load_weights(model_file_name).assert_existing_objects_matched().expect_partial()
    if predict_data_example:
        model.run_inference(predict_data_example)
    return model


def _install_event_class_lookup() -> None:
    from rasa.shared.core.events import Event

    original = Event.resolve_by_type
    if getattr(original, "_msp_cached", False):
        return
    known = {}

    def resolve_by_type(type_name, default=None):
        found = known.get(type_name)
        if found is None:
            found = original(type_name, default)  # raises for an unknown name, as before
            if found is not None and found is not default:
                known[type_name] = found
        return found

    resolve_by_type._msp_cached = True  # type: ignore[attr-defined]
    Event.resolve_by_type = staticmethod(resolve_by_type)


def _install_action_result_validator() -> None:
    from rasa.core.actions.action import RemoteAction

    original = RemoteAction._validate_action_result
    if getattr(original, "_msp_cached", False):
        return

    def validate_action_result(self, result) -> bool:
        if action_result_is_valid(result):
            return True
        return original(self, result)  # raises, with Rasa's own message

    validate_action_result._msp_cached = True  # type: ignore[attr-defined]
    RemoteAction._validate_action_result = validate_action_result


def combine_features(features, featurizers):
    """Message._combine_features in one step: Rasa deep-copies the first
    feature (pickling's generic reduce, for a scipy sparse matrix) and then
    hstacks the others on one at a time, each through scipy's general block
    builder, for DIET and again for the ResponseSelector, sequence and
    sentence, on every message (py-spy at 10 senders: 12% of the server's
    time). The same matrix is built once here: what Rasa would refuse
    (sparse with dense, mismatched lengths) goes Rasa's own way and raises
    its errors."""
    from rasa.shared.nlu.training_data.features import Features

    if not features:
        return None
    first = features[0]
    matrices = [feature.features for feature in features]
    if all(f.is_sparse() for f in features) and len({m.shape[0] for m in matrices}) == 1:
        return Features(_hstack_sparse(matrices), first.type, first.attribute, featurizers)
    if all(f.is_dense() for f in features) and len({m.ndim for m in matrices}) == 1:
        return Features(_concatenate_dense(matrices), first.type, first.attribute, featurizers)
    result = Features(first.features.copy(), first.type, first.attribute, featurizers)
    for feature in features[1:]:
        result.combine_with_features(feature)  # raises as Rasa does
    return result


def _concatenate_dense(matrices):
    import numpy as np

    return np.concatenate(matrices, axis=-1) if len(matrices) > 1 else matrices[0].copy()


def _hstack_sparse(matrices):
    """scipy.sparse.hstack's result (what bmat builds for COO blocks), built
    directly when every block is COO; otherwise scipy's own hstack."""
    import numpy as np
    import scipy.sparse
    from scipy.sparse._sputils import get_index_dtype, upcast

    if len(matrices) == 1:
        return matrices[0].copy()
    if not all(isinstance(m, scipy.sparse.coo_matrix) for m in matrices):
        return scipy.sparse.hstack(matrices)
    rows = matrices[0].shape[0]
    offsets = np.append(0, np.cumsum([m.shape[1] for m in matrices]))
    idx_dtype = get_index_dtype(maxval=max(rows, int(offsets[-1])))
    data = np.concatenate([m.data for m in matrices]).astype(upcast(*[m.dtype for m in matrices]), copy=False)
    row = np.concatenate([m.row for m in matrices]).astype(idx_dtype, copy=False)
    col = np.concatenate([m.col.astype(idx_dtype) + idx_dtype(offset)
                          for m, offset in zip(matrices, offsets)]).astype(idx_dtype, copy=False)
    return scipy.sparse.coo_matrix((data, (row, col)), shape=(rows, int(offsets[-1])))


def _install_feature_combining() -> None:
    from rasa.shared.nlu.training_data.message import Message

    if Message.__dict__["_combine_features"].__func__ is combine_features:
        return
    Message._combine_features = staticmethod(combine_features)


_PAUSED_THRESHOLDS = []  # the collector's thresholds while paused, to restore


def pause_garbage_collection() -> None:
    """No automatic collection until collect_garbage_once_loaded's load ends.
    A zero threshold rather than gc.disable(): spaCy's msgpack reader
    (srsly) calls gc.enable() after reading a file."""
    import gc

    if not _PAUSED_THRESHOLDS:
        _PAUSED_THRESHOLDS.append(gc.get_threshold())
    gc.set_threshold(0)


def collect_garbage_once_loaded() -> None:
    """No cyclic garbage collection while Rasa starts and the model loads
    (bot.rasa_entry pauses it before importing Rasa); once it is loaded,
    one collection, then everything that survived is frozen out of later
    collections. Loading creates millions of long-lived objects (TensorFlow
    graphs, spaCy tables) that every full collection would walk again:
    measured with gc callbacks, 3.1 s of a 41 s start went into 1,880
    collections, and under 10 senders 4% of the server's time."""
    import gc

    import rasa.core.run

    original = rasa.core.run.load_agent_on_start
    if getattr(original, "_msp_gc", False):
        return

    async def load_agent_on_start(*args, **kwargs):
        try:
            return await original(*args, **kwargs)
        finally:
            gc.collect()
            gc.freeze()
            if _PAUSED_THRESHOLDS:
                gc.set_threshold(*_PAUSED_THRESHOLDS.pop())

    load_agent_on_start._msp_gc = True  # type: ignore[attr-defined]
    rasa.core.run.load_agent_on_start = load_agent_on_start


_STOCK_TRACKER_COPY: list = []  # Rasa's copy, for the trackers it keeps


def _copy_slot(slot):
    """copy.copy(slot) without the generic reduce protocol (half the cost of
    copying a tracker): a new object of the class with the same attributes,
    which is what copy.copy makes of a class that defines no copy hooks."""
    import copy

    cls = type(slot)
    if cls.__reduce_ex__ is not object.__reduce_ex__ or any(
            hasattr(cls, hook) for hook in ("__copy__", "__getstate__", "__setstate__")) or any(
            klass.__dict__.get("__slots__") for klass in cls.__mro__):  # ABC's empty __slots__ holds nothing
        return copy.copy(slot)
    duplicate = cls.__new__(cls)
    duplicate.__dict__.update(slot.__dict__)
    return duplicate


def copy_tracker(tracker):
    """DialogueStateTracker.copy without replaying the conversation. Rasa
    copies the tracker before every action it runs (processor._run_action),
    by replaying every event since the session started into a new one (py-spy
    at 10 senders: 3% of the server's time, growing with the conversation).
    The replay ends in the state the tracker already holds, so that state is
    copied: a fresh tracker as init_copy makes it, the same events, each slot
    copied with its value, and the parts events change in place (the active
    loop, the latest action) copied."""
    import copy

    from rasa.shared.constants import DEFAULT_SENDER_ID
    from rasa.shared.core.trackers import DialogueStateTracker

    if type(tracker) is not DialogueStateTracker or tracker.events.maxlen is not None:
        # a subclass may copy differently; with a capped history the replay
        # of what is left can end elsewhere: both as Rasa does
        return _STOCK_TRACKER_COPY[0](tracker)
    # init_copy, without its copies of the slots (reset, then replaced here)
    duplicate = DialogueStateTracker(tracker.sender_id or DEFAULT_SENDER_ID, None, tracker._max_event_history,
                                     is_rule_tracker=tracker.is_rule_tracker)
    duplicate.events.extend(tracker.events)
    duplicate.slots = {slot.name: _copy_slot(slot) for slot in tracker.slots.values()}
    duplicate._paused = tracker._paused
    duplicate.followup_action = tracker.followup_action
    duplicate.latest_action = dict(tracker.latest_action) if tracker.latest_action is not None else None
    duplicate.latest_message = tracker.latest_message
    duplicate.latest_bot_utterance = tracker.latest_bot_utterance
    duplicate.active_loop = copy.copy(tracker.active_loop)  # a dataclass that events change in place
    return duplicate


def form_tracker(form, current_tracker, additional_events, domain):
    """FormAction._temporary_tracker without replaying the conversation: a
    form builds one for every validation call, by replaying every event since
    the last restart into a new tracker with the domain's slots (py-spy at 10
    senders: 2.5% of the server's time). With no restart in the history, that
    replay ends where the current tracker already is, so the tracker is copied
    (copy_tracker) and only the form's own events are applied."""
    from rasa.shared.core.constants import REQUESTED_SLOT
    from rasa.shared.core.events import ActionExecuted, SlotSet
    from rasa.shared.core.trackers import DialogueStateTracker

    fits = (type(current_tracker) is DialogueStateTracker and current_tracker.events.maxlen is None
            and current_tracker.idx_after_latest_restart() == 0
            and {slot.name for slot in domain.slots} == set(current_tracker.slots))
    if not fits:
        return _STOCK_FORM_TRACKER[0](form, current_tracker, additional_events, domain)
    temporary = copy_tracker(current_tracker)
    temporary.model_id = temporary.assistant_id = None  # as a tracker built from events has them
    for event in [SlotSet(REQUESTED_SLOT, form.get_slot_to_fill(current_tracker)), ActionExecuted(form.name()),
                  *additional_events]:
        temporary.update(event)
    return temporary


_STOCK_FORM_TRACKER: list = []


def _install_form_tracker() -> None:
    from rasa.core.actions.forms import FormAction

    if FormAction._temporary_tracker is form_tracker:
        return
    _STOCK_FORM_TRACKER[:] = [FormAction._temporary_tracker]
    FormAction._temporary_tracker = form_tracker


def _install_tracker_copy() -> None:
    from rasa.shared.core.trackers import DialogueStateTracker

    if DialogueStateTracker.copy is copy_tracker:
        return
    _STOCK_TRACKER_COPY[:] = [DialogueStateTracker.copy]
    DialogueStateTracker.copy = copy_tracker


async def say_question(action_name, output_channel, nlg, tracker):
    """The events `action_ask_<slot>` gives when Rasa calls the action server
    for it: the same reply (bot/questions.py), uttered by Rasa's own code for
    an action server's replies."""
    import copy

    from rasa.core.actions.action import RemoteAction
    from rasa_sdk.executor import CollectingDispatcher

    from bot import questions

    reply = questions.question(action_name, tracker.get_slot)
    dispatcher = CollectingDispatcher()
    dispatcher.utter_message(text=reply.text, buttons=reply.buttons)  # as the action does
    return await RemoteAction._utter_responses(copy.deepcopy(dispatcher.messages), output_channel, nlg, tracker)


def _install_local_questions() -> None:
    """A form asks each question by calling the action server a second time
    in the same turn, after its validation call, with the whole conversation
    as JSON: for a question that is a pure function of the slots and the
    content (bot/questions.py), the Rasa server says it itself. When the
    action server isn't answering (the assistant has said so this turn) the
    call goes ahead as before, so an outage reads as it did (bot/outage.py)."""
    from rasa.core.actions.forms import FormAction

    from bot import outage, questions

    original = FormAction._ask_for_slot
    if getattr(original, "_msp_local", False):
        return

    async def _ask_for_slot(self, domain, nlg, output_channel, slot_name, tracker):
        name = self._name_of_utterance(domain, slot_name)
        if name and questions.asks_for(name) and not outage.said_unreachable_this_turn(tracker):
            return await say_question(name, output_channel, nlg, tracker)
        return await original(self, domain, nlg, output_channel, slot_name, tracker)

    _ask_for_slot._msp_local = True  # type: ignore[attr-defined]
    FormAction._ask_for_slot = _ask_for_slot


def _install_flat_prediction_call() -> None:
    """DIET and the ResponseSelector each call their traced prediction graph
    once per message through tf.function, which on every call binds the
    arguments to the signature, converts each array, checks it, packs and
    flattens the structure again and looks the traced graph up by type:
    py-spy at 10 senders put 10% of the server's time there, against 3% for
    running the graph. With a fixed input signature the lookup always finds
    the one graph Rasa traced on its first call, so that graph is called
    directly, each array converted and checked against its spec as
    tf.function does. Anything unusual goes through tf.function as before."""
    from rasa.utils.tensorflow.models import RasaModel

    original = RasaModel._rasa_predict
    if getattr(original, "_msp_flat", False):
        return

    def _rasa_predict(self, batch_in):
        step = getattr(self, "_tf_predict_step", None)
        flat = self.__dict__.get("_msp_flat_call")
        if flat is None:
            outputs = original(self, batch_in)  # the first call traces the graph, as Rasa does
            if not self._run_eagerly and getattr(self, "_tf_predict_step", None) is not None:
                self.__dict__["_msp_flat_call"] = _flat_call(self._tf_predict_step) or False
            return outputs
        if flat is False or step is not flat[0] or self._run_eagerly:
            return original(self, batch_in)
        self._training = False  # as Rasa's method sets it
        outputs = flat[1](batch_in)
        if outputs is None:
            return original(self, batch_in)  # tf.function then explains what doesn't fit
        return _prediction_outputs(self, outputs)

    _rasa_predict._msp_flat = True  # type: ignore[attr-defined]
    RasaModel._rasa_predict = _rasa_predict


def _flat_call(step):
    """(step, call) where call(batch_in) runs the graph `step` traced for its
    input signature, or returns None for inputs that don't fit it; None if
    `step` isn't shaped that way."""
    import tensorflow as tf
    from tensorflow.python.framework import ops
    from tensorflow.python.util import _pywrap_utils

    signature = step.input_signature
    if not signature or len(signature) != 1 or not isinstance(signature[0], (list, tuple)):
        return None
    specs = tuple(signature[0])
    if not all(type(spec) is tf.TensorSpec for spec in specs):
        return None
    concrete = step.get_concrete_function()  # the graph Rasa's first call traced

    def call(batch_in):
        if not isinstance(batch_in, (tuple, list)) or len(batch_in) != len(specs):
            return None
        tensors = []
        for value, spec in zip(batch_in, specs):
            if not _pywrap_utils.IsTensor(value):
                try:
                    value = ops.convert_to_tensor(value, dtype_hint=spec.dtype)
                except (TypeError, ValueError):
                    return None
            if not spec.is_compatible_with(value):
                return None
            tensors.append(value)
        return concrete._call_flat(tensors, captured_inputs=concrete.captured_inputs)  # as tf.function calls it

    return step, call


def _prediction_outputs(model, outputs):
    """What RasaModel._rasa_predict makes of the graph's outputs."""
    from rasa.utils.tensorflow.models import DIAGNOSTIC_DATA, tf_utils  # as Rasa's own method reads them

    outputs = tf_utils.sync_to_numpy_or_python_type(outputs)
    if DIAGNOSTIC_DATA in outputs:
        outputs[DIAGNOSTIC_DATA] = model._empty_lists_to_none_in_dict(outputs[DIAGNOSTIC_DATA])
    return outputs


class _Recorded:
    """A graph node that notes when dask runs it."""

    def __init__(self, name, node, order):
        self.name, self.node, self.order = name, node, order

    def __call__(self, *inputs):
        self.order.append(self.name)
        return self.node(*inputs)


def _install_sequential_graph_runs() -> None:
    """Rasa runs its NLU and policy graphs through dask on every message:
    it works out the graph's minimal schema, builds a dask graph, orders it
    and schedules each node, all in the one thread (py-spy at 10 senders: 10%
    of the server's time, against 48% in the nodes themselves). The order
    depends only on the graph and the names of the inputs, so the first run of
    each kind goes through dask as before and the order dask chose is noted;
    later runs call the same nodes in that order with the same arguments.
    Inputs whose values are strings (which dask might read as node names) go
    through dask every time."""
    from rasa.engine.exceptions import GraphRunError
    from rasa.engine.runner.dask import DaskGraphRunner

    original = DaskGraphRunner.run
    if getattr(original, "_msp_sequential", False):
        return

    def run(self, inputs=None, targets=None):
        run_targets = list(targets if targets else self._graph_schema.target_names)
        if inputs and any(isinstance(value, str) for value in inputs.values()):
            return original(self, inputs, targets)
        plans = self.__dict__.setdefault("_msp_plans", {})
        key = (tuple(run_targets), tuple(inputs or ()))
        plan = plans.get(key)
        if plan is None:
            order: list = []
            nodes = self._instantiated_nodes
            self._instantiated_nodes = {name: _Recorded(name, node, order) for name, node in nodes.items()}
            try:
                result = original(self, inputs, targets)
            finally:
                self._instantiated_nodes = nodes
            schema = self._graph_schema.minimal_graph_schema(run_targets)
            plans[key] = [(name, tuple(schema.nodes[name].needs.values())) for name in order]
            return result
        results = {name: (name, value) for name, value in (inputs or {}).items()}
        nodes = self._instantiated_nodes
        try:
            for name, needs in plan:
                # dask hands a node each need's result, or the need's name if nothing produced it
                results[name] = nodes[name](*[results[need] if need in results else need for need in needs])
        except RuntimeError as error:
            raise GraphRunError("Error running runner.") from error
        return dict(results[target] for target in run_targets)

    run._msp_sequential = True  # type: ignore[attr-defined]
    DaskGraphRunner.run = run
