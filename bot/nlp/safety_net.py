"""The safety net as a Rasa NLU component, last in config.yml's pipeline.

Every message typed goes through bot.safety's check, whatever intent the
classifier chose and whatever state the conversation is in. Either can raise
it: the phrase list, or DIET when it is very sure of a safety intent, the
check found words of harm or danger in the message (not negated, not an
idiom) and has not recognised it as calm (a command, a question about
practice, harm that is over). A raised message becomes the intent
`immediate_danger` (999 first) or `disclosure`, with its categories as
entities and the advice to give in the `safety_advice` entity, so the reply
is rendered by the Rasa server itself (domain response `utter_safety`), even
when the action server is down. A safety intent the net does not confirm is
replaced by the classifier's next choice, so a false alarm never reaches the
dialogue.
"""
from __future__ import annotations

from typing import Any, Dict, List, Optional, Text

from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.shared.nlu.training_data.message import Message

from bot.content.replies import payload_topic
from bot.local import local_settings
from bot.safety import IMMEDIATE, safety_check
from bot.safety.advice import advice

DANGER_INTENT = "immediate_danger"
DISCLOSURE_INTENT = "disclosure"
SAFETY_INTENTS = (DANGER_INTENT, DISCLOSURE_INTENT)
# What the classifier alone raises, when it is sure and the check saw nothing calm.
CLASSIFIER_CATEGORY = {DANGER_INTENT: "danger", DISCLOSURE_INTENT: "harm"}
CATEGORY_ENTITY = "safety_category"
ADVICE_ENTITY = "safety_advice"
SAFETY_KEY = "safety"  # in the parse data: what was raised and by what, for the actions


@DefaultV1Recipe.register([DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER], is_trainable=False)
class SafetyNet(GraphComponent):
    @staticmethod
    def get_default_config() -> Dict[Text, Any]:
        # fallback thresholds as GuidanceAwareFallbackClassifier's in config.yml
        return {"classifier_threshold": 0.9, "fallback_threshold": 0.5, "response_selector_threshold": 0.3}

    def __init__(self, config: Dict[Text, Any]) -> None:
        self.classifier_threshold = float(config["classifier_threshold"])
        self.fallback_threshold = float(config["fallback_threshold"])
        self.response_selector_threshold = float(config["response_selector_threshold"])
        self.check = safety_check()
        self.placeholders = local_settings().placeholders()

    @classmethod
    def create(
        cls, config: Dict[Text, Any], model_storage: ModelStorage, resource: Resource, execution_context: ExecutionContext
    ) -> "SafetyNet":
        return cls(config)

    def process(self, messages: List[Message]) -> List[Message]:
        for message in messages:
            self.process_one(message)
        return messages

    def process_one(self, message: Message) -> None:
        text = message.get("text") or ""
        if not text.strip() or text.lstrip().startswith("/") or payload_topic(text):
            return  # buttons: never an alarm
        found = self.check.assess(text)
        categories = list(found.categories)
        raised_by = "phrases" if categories else None
        intent = message.get("intent") or {}
        if not categories and intent.get("name") in SAFETY_INTENTS:
            sure = float(intent.get("confidence") or 0) >= self.classifier_threshold
            if sure and found.calm_reason is None and found.signals:
                categories, raised_by = [CLASSIFIER_CATEGORY[intent["name"]]], "classifier"
            else:
                self._demote(message)
                return
        if categories:
            self._raise(message, categories, raised_by)

    def _raise(self, message: Message, categories: List[str], raised_by: str) -> None:
        name = DANGER_INTENT if categories[0] in IMMEDIATE else DISCLOSURE_INTENT
        top = {"name": name, "confidence": 1.0}
        ranking = [i for i in message.get("intent_ranking") or [] if i.get("name") != name]
        message.set("intent", top, add_to_output=True)
        message.set("intent_ranking", [top, *ranking], add_to_output=True)
        end = len(message.get("text") or "")
        entities = [e for e in message.get("entities") or [] if e.get("entity") not in (CATEGORY_ENTITY, ADVICE_ENTITY)]
        entities.append({"entity": CATEGORY_ENTITY, "value": categories[0], "start": 0, "end": end,
                         "extractor": type(self).__name__})
        entities.append({"entity": ADVICE_ENTITY, "value": advice(categories, self.placeholders), "start": 0,
                         "end": end, "extractor": type(self).__name__})
        message.set("entities", entities, add_to_output=True)
        message.set(SAFETY_KEY, {"categories": categories, "raised_by": raised_by}, add_to_output=True)

    def _demote(self, message: Message) -> None:
        """A safety intent the net doesn't confirm: the classifier's next
        choice, or the fallback when that is unsure."""
        ranking = [i for i in message.get("intent_ranking") or [] if i.get("name") not in SAFETY_INTENTS]
        best: Optional[dict] = ranking[0] if ranking else None
        selected = ((message.get("response_selector") or {}).get("guidance") or {}).get("response") or {}
        unsure_topic = best is not None and best.get("name") == "guidance" and \
            float(selected.get("confidence") or 0) < self.response_selector_threshold
        if best is None or unsure_topic or float(best.get("confidence") or 0) < self.fallback_threshold:
            best = {"name": "nlu_fallback", "confidence": self.fallback_threshold}
            ranking = [best, *ranking]
        message.set("intent", best, add_to_output=True)
        message.set("intent_ranking", ranking, add_to_output=True)
