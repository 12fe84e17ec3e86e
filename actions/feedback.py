"""The closing-enquiry feedback conversation: thin actions over bot.feedback."""
from __future__ import annotations

from typing import Any, Dict, List, Text

from rasa_sdk import Action, FormValidationAction, Tracker
from rasa_sdk.events import ActiveLoop, EventType, FollowupAction, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.off_loop import stored
from actions.tracker_reading import pending_answers, resuming_after_outage
from bot import privacy, questions
from bot.outage import PENDING_SLOT
from bot.feedback import feedback_flow
from bot.feedback import answers, flow as feedback
from bot.feedback.questionnaire import questionnaire
from bot.local import local_settings
from bot.safety import assess
from bot.safety.advice import advice, feedback_message



def _message(name: str, **values) -> str:
    return questionnaire().message(name, **values)


def _say(dispatcher: CollectingDispatcher, replies) -> None:
    for reply in replies:
        dispatcher.utter_message(text=reply.text, buttons=reply.buttons)


def _slots(tracker: Tracker) -> Dict[str, Any]:
    return questions.feedback_slots(tracker.get_slot)


def _set(values: Dict[str, Any]) -> List[EventType]:
    return [SlotSet(name, value) for name, value in values.items()]


# Requests for something else, typed at a question: never taken as an answer.
REQUESTS_NOT_ANSWERS = {"start_quiz", "stop_quiz"}


def _intent(tracker: Tracker) -> str:
    return (tracker.latest_message.get("intent") or {}).get("name") or ""


class ValidateFeedbackForm(FormValidationAction):
    def name(self) -> Text:
        return "validate_feedback_form"

    async def required_slots(self, domain_slots, dispatcher, tracker, domain) -> List[Text]:
        if tracker.get_slot(feedback.SAFETY_STOP_SLOT):
            return []  # stopped for a disclosure: nothing more is asked now
        return feedback.required_steps(_slots(tracker))

    async def get_validation_events(self, dispatcher, tracker, domain) -> List[EventType]:
        """Each answer given this turn, checked and saved by bot.feedback
        (one place for every step, instead of a validate_<slot> per slot).
        Answers kept from an action-server outage come first; "continue"
        after one only asks the question again."""
        events: List[EventType] = []
        slots = _slots(tracker)
        pending = {s: v for s, v in pending_answers(tracker).items() if s in feedback.ALL_STEPS}
        typed = tracker.slots_to_validate()
        if pending or resuming_after_outage(tracker):
            events.append(SlotSet(PENDING_SLOT, None))
            for step in typed:
                if step in pending or resuming_after_outage(tracker):
                    events.append(SlotSet(step, None))  # not an answer: the kept one, or "continue"
            typed = {s: v for s, v in typed.items() if s not in pending and not resuming_after_outage(tracker)}
        if typed and _intent(tracker) in REQUESTS_NOT_ANSWERS:
            # "quiz me" typed at a question is not the adult's words: kept as
            # a comment it would be stored with their next answer
            dispatcher.utter_message(text=_message("request_during_feedback"))
            events += [SlotSet(step, None) for step in typed]
            typed = {}
        asked = tracker.get_slot("requested_slot")
        if not typed and not pending and _intent(tracker) == "guidance" and asked in feedback.ALL_STEPS:
            # answered as a guidance question: still the adult's words at this step
            text = tracker.latest_message.get("text") or ""
            found = assess(text, "feedback")
            if found.raised:
                return events + await _disclosed_in_answer(dispatcher, slots, tracker.sender_id, asked, text, found)
        for step, value in {**pending, **typed}.items():
            if step not in feedback.ALL_STEPS:
                continue
            if isinstance(value, str) and step != "case_ref":
                found = assess(value, "feedback")
                if found.raised:
                    return events + await _disclosed_in_answer(dispatcher, slots, tracker.sender_id, step, value, found)
            result = await stored(feedback_flow().validate, step, value, slots, tracker.sender_id)
            _say(dispatcher, result.replies)
            slots.update(result.slots)
            events += _set(result.slots)
        return events


async def _disclosed_in_answer(dispatcher, slots, sender_id, step, words, found) -> List[EventType]:
    """An answer that, read as the adult's own account, discloses harm: the
    same as a disclosure caught before the form (thanks, advice, flag, the
    words kept with the step), and the questions stop."""
    dispatcher.utter_message(text=feedback_message("to_the_person"))
    said = advice(found.categories, local_settings().placeholders())
    dispatcher.utter_message(text=feedback_message("to_the_practitioner", advice=said))
    untaken = {**slots, step: None}  # the words are not an answer to the step
    flagged = await stored(feedback_flow().flag_disclosure, untaken, sender_id, step, found.primary, words)
    _say_flagged(dispatcher, flagged, slots.get("case_ref"))
    return [SlotSet(step, None), SlotSet(feedback.SAFETY_STOP_SLOT, True), SlotSet(feedback.DISCLOSED_SLOT, True),
            SlotSet("requested_slot", None)]


def _say_flagged(dispatcher, flagged: bool, case_ref) -> None:
    if flagged:
        dispatcher.utter_message(
            text=feedback_message("flagged", case_ref=case_ref),
            buttons=[{"title": feedback_message("carry_on_button"), "payload": f"resume case {case_ref}"}])
    else:
        dispatcher.utter_message(text=feedback_message("not_flagged"))


def _ask_action(step: str):
    class AskStep(Action):
        """The question (bot/questions.py; the Rasa server usually says it
        itself, without calling this)."""

        def name(self) -> Text:
            return f"{questions.ASK_PREFIX}{step}"

        async def run(self, dispatcher, tracker, domain) -> List[EventType]:
            _say(dispatcher, [questions.question(self.name(), tracker.get_slot)])
            return []

    AskStep.__name__ = f"ActionAsk_{step}"
    return AskStep


ASK_ACTIONS = [_ask_action(step) for step in feedback.ALL_STEPS]


class ActionFeedbackStart(Action):
    """ "start closing feedback", "record feedback for case ABC-1234" or
    "resume case ABC-1234": a fresh start, the reference taken from the
    sentence when it has one (a stored draft then carries on)."""

    def name(self) -> Text:
        return "action_feedback_start"

    async def run(self, dispatcher, tracker, domain) -> List[EventType]:
        text = tracker.latest_message.get("text") or ""
        flow = feedback_flow()
        fresh = {name: None for name in feedback.FLOW_SLOTS}
        kind = privacy.identifier_kind(text)
        if kind:
            dispatcher.utter_message(text=_message("identifier_in_start", kind=kind))
        case_ref = flow.find_case_ref(text)
        if case_ref and not kind:
            result = await stored(flow.validate, "case_ref", case_ref, fresh, tracker.sender_id)
            _say(dispatcher, result.replies)
            fresh.update(result.slots)
        elif _intent(tracker) == "resume_feedback" and not case_ref:
            dispatcher.utter_message(text=_message("which_case"))
        return _set(fresh)


class ActionFeedbackRephrase(Action):
    """ "I don't understand" in the middle of the questions: the same question
    in simpler words."""

    def name(self) -> Text:
        return "action_feedback_rephrase"

    async def run(self, dispatcher, tracker, domain) -> List[EventType]:
        dispatcher.utter_message(text=_message("simpler"))
        return [SlotSet(feedback.SIMPLER_SLOT, True)]


class ActionFeedbackGoBack(Action):
    """ "go back": the previous answer is asked again."""

    def name(self) -> Text:
        return "action_feedback_go_back"

    async def run(self, dispatcher, tracker, domain) -> List[EventType]:
        slots = _slots(tracker)
        steps = feedback.required_steps(slots)
        current = tracker.get_slot("requested_slot")
        index = steps.index(current) if current in steps else len(steps)
        previous = next((s for s in reversed(steps[:index]) if slots.get(s) is not None and s != "case_ref"), None)
        if previous is None:
            dispatcher.utter_message(text=_message("nothing_to_go_back_to"))
            return []
        dispatcher.utter_message(text=_message("going_back"))
        reset = {previous: None}
        if previous == "outcome_rating":
            reset[feedback.RATINGS_SLOT] = (slots.get(feedback.RATINGS_SLOT) or [])[:-1]
        return _set(reset)


class ActionFeedbackSummary(Action):
    def name(self) -> Text:
        return "action_feedback_summary"

    async def run(self, dispatcher, tracker, domain) -> List[EventType]:
        if not tracker.get_slot(feedback.SESSION_SLOT):
            dispatcher.utter_message(text=_message("no_feedback_in_progress"))
            return []
        if tracker.get_slot(feedback.SAFETY_STOP_SLOT):
            return [SlotSet(feedback.SAFETY_STOP_SLOT, None)]  # stopped for a disclosure: already said
        _say(dispatcher, [feedback.summary(_slots(tracker))])
        return []


class ActionFeedbackChange(Action):
    """ "change question 3 to no" at the summary."""

    def name(self) -> Text:
        return "action_feedback_change"

    async def run(self, dispatcher, tracker, domain) -> List[EventType]:
        slots = _slots(tracker)
        if not slots.get(feedback.SESSION_SLOT):
            dispatcher.utter_message(text=_message("no_feedback_in_progress"))
            return []
        result = feedback.change_answer(slots, tracker.latest_message.get("text") or "")
        _say(dispatcher, result.replies)
        if not result.slots:
            return []
        slots.update(result.slots)
        saved = await stored(feedback_flow().save, slots, tracker.sender_id)
        slots.update(saved.slots)
        _say(dispatcher, saved.replies + [feedback.summary(slots)])
        return _set({**result.slots, **saved.slots})


class ActionFeedbackComplete(Action):
    def name(self) -> Text:
        return "action_feedback_complete"

    async def run(self, dispatcher, tracker, domain) -> List[EventType]:
        slots = _slots(tracker)
        if not slots.get(feedback.SESSION_SLOT) or feedback.missing_steps(slots):
            dispatcher.utter_message(text=_message("nothing_to_save"))
            return []
        reason = feedback.safety_plan_reason(slots)
        if reason and not slots.get(feedback.SAFETY_PLAN_SLOT):
            # not saved until the practitioner says the safety plan was reviewed; the prompt is recorded
            await stored(feedback_flow().record_safety_plan, slots, "safety_plan_prompted")
            dispatcher.utter_message(
                text=feedback_message("safety_plan", reason=feedback_message(reason)),
                buttons=[{"title": feedback_message("safety_plan_button"), "payload": "/safety_plan_reviewed"}])
            return []
        if not await stored(feedback_flow().complete, slots, tracker.sender_id):
            dispatcher.utter_message(text=_message("could_not_complete"))
            return []
        dispatcher.utter_message(text=_message("completed", case_ref=slots["case_ref"]))
        return _set({name: None for name in feedback.FLOW_SLOTS})


class ActionFeedbackSafetyPlan(Action):
    """ "Safety plan reviewed": recorded with the session, then saved."""

    def name(self) -> Text:
        return "action_feedback_safety_plan"

    async def run(self, dispatcher, tracker, domain) -> List[EventType]:
        slots = _slots(tracker)
        if not slots.get(feedback.SESSION_SLOT):
            dispatcher.utter_message(text=_message("no_feedback_in_progress"))
            return []
        await stored(feedback_flow().record_safety_plan, slots, "safety_plan_reviewed")
        dispatcher.utter_message(text=feedback_message("safety_plan_recorded"))
        return [SlotSet(feedback.SAFETY_PLAN_SLOT, True), FollowupAction("action_feedback_complete")]


class ActionFeedbackPause(Action):
    def name(self) -> Text:
        return "action_feedback_pause"

    async def run(self, dispatcher, tracker, domain) -> List[EventType]:
        slots = _slots(tracker)
        saved = await stored(feedback_flow().save, slots, tracker.sender_id)
        _say(dispatcher, saved.replies)
        case_ref = slots.get("case_ref")
        if case_ref:
            dispatcher.utter_message(text=_message("paused", case_ref=case_ref))
        else:
            dispatcher.utter_message(text=_message("paused_empty"))
        return [ActiveLoop(None), SlotSet("requested_slot", None), *_set(saved.slots)]


class ActionFeedbackCancel(Action):
    """After "cancel" is confirmed: stop, keeping a draft of what was given."""

    def name(self) -> Text:
        return "action_feedback_cancel"

    async def run(self, dispatcher, tracker, domain) -> List[EventType]:
        return await _cancel(dispatcher, tracker)


class ActionFeedbackCancelReply(Action):
    """ "yes" or "no" typed (not pressed) to "Do you want to stop the
    feedback?": read as an answer would be, so it isn't met with silence."""

    def name(self) -> Text:
        return "action_feedback_cancel_reply"

    async def run(self, dispatcher, tracker, domain) -> List[EventType]:
        reply = answers.closing_answer(tracker.latest_message.get("text") or "").value
        if reply == "yes":
            return await _cancel(dispatcher, tracker)
        if reply == "no":
            return [FollowupAction("feedback_form")]  # as "No, carry on": the question again
        dispatcher.utter_message(text=_message("stop_yes_or_no"))
        return [FollowupAction("utter_ask_cancel_feedback")]


async def _cancel(dispatcher, tracker) -> List[EventType]:
    slots = _slots(tracker)
    await stored(feedback_flow().save, slots, tracker.sender_id)
    case_ref = slots.get("case_ref")
    dispatcher.utter_message(text=_message("stopped_with_draft", case_ref=case_ref) if case_ref else _message("stopped"))
    return [ActiveLoop(None), SlotSet("requested_slot", None), *_set({n: None for n in feedback.FLOW_SLOTS})]


class ActionAnswerNothingAsked(Action):
    """An answer ("yes", "b", "1 and 9") when no question is open: said why it
    wasn't taken and what can be done, rather than nothing at all."""

    def name(self) -> Text:
        return "action_answer_nothing_asked"

    async def run(self, dispatcher, tracker, domain) -> List[EventType]:
        slots = _slots(tracker)
        if slots.get(feedback.SESSION_SLOT):
            if not feedback.missing_steps(slots):
                dispatcher.utter_message(text=_message("answer_at_summary"), buttons=feedback.summary(slots).buttons)
                return []
            if slots.get("case_ref"):
                dispatcher.utter_message(text=_message("answer_while_paused", case_ref=slots["case_ref"]))
                return []
        dispatcher.utter_message(text=_message("nothing_asked"))
        return []


class ActionFeedbackDisclosure(Action):
    """After the safety advice (said by the Rasa server): the session is
    flagged and the words are kept with the step they were said at; the
    practitioner can carry on the questions when it is right to."""

    def name(self) -> Text:
        return "action_feedback_disclosure"

    async def run(self, dispatcher, tracker, domain) -> List[EventType]:
        slots = _slots(tracker)
        if not slots.get(feedback.SESSION_SLOT):
            return [ActiveLoop(None), SlotSet("requested_slot", None)]
        step = slots.get("requested_slot") or ("summary" if not feedback.missing_steps(slots) else None)
        category = ((tracker.latest_message.get("safety") or {}).get("categories") or [None])[0]
        words = tracker.latest_message.get("text") or ""
        flagged = await stored(feedback_flow().flag_disclosure, slots, tracker.sender_id, step, category, words)
        _say_flagged(dispatcher, flagged, slots.get("case_ref"))
        return [ActiveLoop(None), SlotSet("requested_slot", None), SlotSet(feedback.DISCLOSED_SLOT, True)]


class ActionFeedbackHold(Action):
    """ "cancel": stop asking while the user confirms; nothing is cleared yet."""

    def name(self) -> Text:
        return "action_feedback_hold"

    async def run(self, dispatcher, tracker, domain) -> List[EventType]:
        return [ActiveLoop(None), SlotSet("requested_slot", None)]
