"""Two small NLU components around Rasa's ResponseSelector.

- GuidanceTopicResolver: a topic button (payload `topic:x`) is a guidance
  question about that topic for certain, and a single principle named in the question (found
  by the spaCy EntityRuler) wins over the selector's guess among principles.
- GuidanceAwareFallbackClassifier: Rasa's FallbackClassifier, which also
  falls back when the ResponseSelector itself is unsure (the selector has no
  threshold of its own, rasa issue 9751, so a guidance question with a
  confident intent but a guessed answer would be answered wrongly), and when
  not one word of the message was seen in training: DIET is often very
  confident about gibberish ("flibber quonk" -> thank, 0.98). Conversely,
  when DIET is unsure or files a question under the answers' catch-all
  intent but the selector is very sure of a topic, it is a guidance question.
  Safety intents (danger, disclosure) are never changed.
"""
from __future__ import annotations

from typing import Any, Dict, List, Optional, Text

from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.classifiers.fallback_classifier import FallbackClassifier
from rasa.shared.nlu.training_data.message import Message

from bot.content import Guidance, guidance
from bot.content.replies import payload_topic

RETRIEVAL_INTENT = "guidance"
PRINCIPLE_ENTITY = "principle"
TOPIC_ENTITY = "topic"


def _selection(message: Message) -> Optional[dict]:
    return (message.get("response_selector") or {}).get(RETRIEVAL_INTENT)


def _select(selection: dict, topic_id: str, confidence: float) -> None:
    key = f"{RETRIEVAL_INTENT}/{topic_id}"
    selection["response"].update(
        intent_response_key=key,
        utter_action=f"utter_{key}",
        confidence=confidence,
        responses=[],
    )


def resolve_topic(
    content: Guidance, selected: Optional[str], confidence: float, principles: List[str], threshold: float
) -> Optional[str]:
    """The principle topic to answer instead of the selector's choice, if any."""
    named = {t.id for t in (content.topic_for_principle(p) for p in principles) if t}
    if len(named) != 1:
        return None
    (principle_topic,) = named
    chosen = content.topics.get(selected or "")
    if chosen is None or confidence < threshold or chosen.principle or chosen.id == "six_principles":
        return principle_topic
    return None


@DefaultV1Recipe.register([DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER], is_trainable=False)
class GuidanceTopicResolver(GraphComponent):
    @staticmethod
    def get_default_config() -> Dict[Text, Any]:
        return {"threshold": 0.3}

    def __init__(self, config: Dict[Text, Any], content: Guidance) -> None:
        self.threshold = config["threshold"]
        self.content = content

    @classmethod
    def create(
        cls, config: Dict[Text, Any], model_storage: ModelStorage, resource: Resource, execution_context: ExecutionContext
    ) -> "GuidanceTopicResolver":
        return cls(config, guidance())

    def process(self, messages: List[Message]) -> List[Message]:
        for message in messages:
            selection = _selection(message)
            if not selection or "response" not in selection:
                continue
            topic = payload_topic(message.get("text"))
            if topic in self.content.topics:
                _select(selection, topic, 1.0)
                certain = {"name": RETRIEVAL_INTENT, "confidence": 1.0}
                message.set("intent", certain, add_to_output=True)
                message.set("intent_ranking", [certain], add_to_output=True)
                entity = {"entity": TOPIC_ENTITY, "value": topic, "start": 0, "end": len(message.get("text")),
                          "extractor": type(self).__name__}
                message.set("entities", [*(message.get("entities") or []), entity], add_to_output=True)
                continue
            response = selection["response"]
            selected = (response.get("intent_response_key") or "").split("/", 1)[-1]
            principles = [e["value"] for e in message.get("entities") or [] if e.get("entity") == PRINCIPLE_ENTITY]
            override = resolve_topic(self.content, selected, float(response.get("confidence") or 0), principles, self.threshold)
            if override:
                _select(selection, override, max(float(response.get("confidence") or 0), self.threshold))
        return messages


@DefaultV1Recipe.register([DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER], is_trainable=False)
class GuidanceAwareFallbackClassifier(FallbackClassifier):
    @staticmethod
    def get_default_config() -> Dict[Text, Any]:
        return {
            **FallbackClassifier.get_default_config(),
            "response_selector_threshold": 0.3,
            # alias of the word-level CountVectorsFeaturizer in config.yml
            "known_words_featurizer": "word_counts",
            # A message DIET files under a catch-all (or is unsure about) is a
            # guidance question when the selector is this sure of its topic.
            "promote_to_guidance_threshold": 0.8,
            "promotable_intents": ["inform"],
        }

    def process(self, messages: List[Message]) -> List[Message]:
        for message in messages:
            self._promote_to_guidance(message)
        return super().process(messages)

    def _promote_to_guidance(self, message: Message) -> None:
        intent = message.get("intent") or {}
        confidence = float((((_selection(message) or {}).get("response") or {}).get("confidence")) or 0)
        unsure = float(intent.get("confidence") or 0) < self.component_config["threshold"]
        catch_all = intent.get("name") in self.component_config["promotable_intents"]
        if (unsure or catch_all) and confidence >= self.component_config["promote_to_guidance_threshold"]:
            promoted = {"name": RETRIEVAL_INTENT, "confidence": confidence}
            # the intent it was filed under leaves the ranking, or the ambiguity
            # check would see two near-equal candidates and fall back anyway
            dropped = {RETRIEVAL_INTENT, intent.get("name")}
            ranking = [i for i in message.get("intent_ranking") or [] if i.get("name") not in dropped]
            message.set("intent", promoted, add_to_output=True)
            message.set("intent_ranking", [promoted, *ranking], add_to_output=True)

    def _no_known_words(self, message: Message) -> bool:
        _, sentence = message.get_sparse_features("text", [self.component_config["known_words_featurizer"]])
        return sentence is not None and sentence.features.nnz == 0

    def _should_fallback(self, message: Message) -> bool:
        if payload_topic(message.get("text")) and (message.get("intent") or {}).get("confidence") == 1.0:
            return False  # a topic button the resolver has already made certain
        if super()._should_fallback(message) or self._no_known_words(message):
            return True
        if (message.get("intent") or {}).get("name") != RETRIEVAL_INTENT:
            return False
        selection = _selection(message) or {}
        confidence = float((selection.get("response") or {}).get("confidence") or 0)
        return confidence < self.component_config["response_selector_threshold"]
