"""The guidance components: topic buttons, principle entities, and a fallback
that weighs the ResponseSelector's own confidence (rasa issue 9751)."""
from __future__ import annotations

from rasa.shared.nlu.training_data.message import Message

from bot.content import guidance
from bot.nlp.components import GuidanceAwareFallbackClassifier, GuidanceTopicResolver


def _message(text, intent="guidance", intent_conf=0.95, topic="what_is_msp", topic_conf=0.9, principles=()):
    message = Message(data={"text": text})
    message.set("intent", {"name": intent, "confidence": intent_conf}, add_to_output=True)
    message.set("intent_ranking", [{"name": intent, "confidence": intent_conf}], add_to_output=True)
    message.set("entities", [{"entity": "principle", "value": p} for p in principles], add_to_output=True)
    message.set(
        "response_selector",
        {
            "all_retrieval_intents": ["guidance"],
            "guidance": {
                "response": {
                    "intent_response_key": f"guidance/{topic}",
                    "utter_action": f"utter_guidance/{topic}",
                    "confidence": topic_conf,
                    "responses": [],
                },
                "ranking": [],
            },
        },
        add_to_output=True,
    )
    return message


def _answered(message):
    return message.get("response_selector")["guidance"]["response"]["utter_action"]


def _resolver():
    return GuidanceTopicResolver({"threshold": 0.45}, guidance())


def _fallback():
    return GuidanceAwareFallbackClassifier(
        {**GuidanceAwareFallbackClassifier.get_default_config(), "threshold": 0.5, "response_selector_threshold": 0.45}
    )


def test_a_topic_button_answers_that_topic_whatever_the_selector_guessed():
    message = _message("topic:sab", topic="what_is_msp", topic_conf=0.2)
    message.set("intent", {"name": "thank", "confidence": 0.9})
    _resolver().process([message])
    assert _answered(message) == "utter_guidance/sab"
    assert message.get("intent") == {"name": "guidance", "confidence": 1.0}
    assert {"entity": "topic", "value": "sab"}.items() <= message.get("entities")[-1].items()
    _fallback().process([message])
    assert message.get("intent")["name"] == "guidance"  # not a fallback, whatever DIET made of the words


def test_a_button_for_an_unknown_topic_changes_nothing():
    message = _message("topic:no_such_topic")
    _resolver().process([message])
    assert _answered(message) == "utter_guidance/what_is_msp"


def test_a_named_principle_wins_over_a_guess_among_principles():
    message = _message("how does accountability apply to me", topic="principle_empowerment", principles=["accountability"])
    _resolver().process([message])
    assert _answered(message) == "utter_guidance/principle_accountability"


def test_a_principle_mentioned_in_passing_does_not_hijack_another_topic():
    message = _message("does an advocate help with empowerment", topic="independent_advocacy", topic_conf=0.8,
                       principles=["empowerment"])
    _resolver().process([message])
    assert _answered(message) == "utter_guidance/independent_advocacy"


def test_an_unsure_selector_falls_back_even_when_the_intent_is_confident():
    message = _message("what about the thing", intent_conf=0.99, topic_conf=0.2)
    _fallback().process([message])
    assert message.get("intent")["name"] == "nlu_fallback"
    assert message.get("intent_ranking")[1]["name"] == "guidance"  # the ranking is kept for suggestions


def test_a_confident_selector_answers():
    message = _message("what is msp", topic_conf=0.9)
    _fallback().process([message])
    assert message.get("intent")["name"] == "guidance"


def test_other_intents_are_not_judged_by_the_selector():
    message = _message("hello", intent="greet", topic_conf=0.01)
    _fallback().process([message])
    assert message.get("intent")["name"] == "greet"


def _with_word_features(message, counts):
    import numpy as np
    import scipy.sparse
    from rasa.shared.nlu.training_data.features import Features

    sentence = scipy.sparse.coo_matrix(np.array([counts], dtype=float))
    message.add_features(Features(sentence, "sentence", "text", "word_counts"))
    return message


def test_a_message_with_no_word_seen_in_training_falls_back_however_confident_diet_is():
    message = _with_word_features(_message("flibber quonk zzzt", intent="thank", intent_conf=0.98), [0, 0, 0])
    _fallback().process([message])
    assert message.get("intent")["name"] == "nlu_fallback"


def test_a_message_with_known_words_is_left_to_the_classifier():
    message = _with_word_features(_message("thanks a lot", intent="thank", intent_conf=0.98), [1, 0, 2])
    _fallback().process([message])
    assert message.get("intent")["name"] == "thank"


def test_a_question_diet_files_as_an_answer_is_guidance_when_the_selector_is_sure():
    message = _message("done with rather than done to?", intent="inform", intent_conf=0.94, topic="done_with_not_to",
                       topic_conf=0.9)
    _fallback().process([message])
    assert message.get("intent")["name"] == "guidance"


def test_an_unsure_intent_with_a_sure_selector_is_answered():
    message = _message("what r the 6 principles", intent="start_quiz", intent_conf=0.28, topic="six_principles",
                       topic_conf=0.97)
    _fallback().process([message])
    assert message.get("intent")["name"] == "guidance"


def test_safety_intents_and_confident_intents_are_never_promoted():
    for intent in ("disclosure", "immediate_danger", "greet"):
        message = _message("what are the principles again", intent=intent, intent_conf=0.97, topic="six_principles",
                           topic_conf=0.95)
        _fallback().process([message])
        assert message.get("intent")["name"] == intent


def test_an_answer_with_an_unsure_selector_stays_an_answer():
    message = _message("they didn't ask what I wanted", intent="inform", intent_conf=0.99, topic="outcome_not_achievable",
                       topic_conf=0.47)
    _fallback().process([message])
    assert message.get("intent")["name"] == "inform"
