"""The questionnaire, loaded once from questionnaire.yml and checked against
the fixed storage vocabulary."""
from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Dict, List, Tuple

import yaml

from bot.store.models import ACHIEVED, ANSWER_VALUES, OUTCOMES_ASKED, QUESTION_KEYS, RESPONDENTS, RISK_RESULTS

QUESTIONNAIRE_FILE = Path(__file__).resolve().parent / "questionnaire.yml"


@dataclass(frozen=True)
class Option:
    key: str
    title: str
    aliases: Tuple[str, ...]


class Questionnaire:
    def __init__(self, raw: dict):
        self.raw = raw
        self.respondents = self._options(raw["respondents"], RESPONDENTS, "respondents")
        self.outcomes_asked = self._options(raw["outcomes_asked"]["options"], OUTCOMES_ASKED, "outcomes_asked")
        self.achieved = self._options(raw["achieved"]["options"], ACHIEVED, "achieved")
        self.risk_results = self._options(raw["risk_result"]["options"], RISK_RESULTS, "risk_result")
        self.outcome_items: Dict[str, str] = dict(raw["outcomes"]["items"])
        if len(self.outcome_items) != 9:
            raise ValueError("the questionnaire must list the nine outcomes of seed 000 §5")
        if tuple(raw["questions"]) != QUESTION_KEYS:
            raise ValueError(f"questions must be exactly {QUESTION_KEYS}, in order")
        if set(raw["answers"]) != set(ANSWER_VALUES):
            raise ValueError(f"answers must cover exactly {ANSWER_VALUES}")
        self.answer_phrases: List[Tuple[str, str]] = sorted(
            ((phrase.lower(), value) for value, phrases in raw["answers"].items() for phrase in phrases),
            key=lambda item: -len(item[0]),
        )

    @staticmethod
    def _options(raw: dict, allowed, what) -> Dict[str, Option]:
        if tuple(raw) != tuple(allowed):
            raise ValueError(f"{what} must be exactly {allowed}, in order")
        return {key: Option(key, value["title"], tuple(a.lower() for a in value["aliases"])) for key, value in raw.items()}

    # -- wording ------------------------------------------------------------
    @staticmethod
    def _voice(respondent) -> str:
        return "adult" if respondent in (None, "adult") else "other"

    def question(self, key: str, respondent=None, simpler: bool = False) -> str:
        entry = self.raw["questions"][key]
        voice = self._voice(respondent)
        return entry[f"simpler_{voice}"] if simpler else entry[voice]

    def number_of(self, key: str) -> int:
        return self.raw["questions"][key]["number"]

    def key_for_number(self, number: int):
        return next((k for k in QUESTION_KEYS if self.number_of(k) == number), None)

    def prompt(self, step: str, respondent=None, simpler: bool = False, **values) -> str:
        """Wording of a non-question step (case_ref, respondent, outcomes_asked,
        outcomes, achieved, risk_result, other_comments)."""
        entry = self.raw[step]["simpler" if simpler else "ask"]
        if isinstance(entry, dict):
            entry = entry[self._voice(respondent)]
        return " ".join(entry.split()).format(**values)

    def message(self, name: str, **values) -> str:
        return self.raw["messages"][name].format(**values)

    def outcome_label(self, key: str) -> str:
        return self.outcome_items.get(key, key)

    def nothing_more(self) -> Tuple[str, ...]:
        return tuple(p.lower() for p in self.raw["other_comments"]["nothing"])


@lru_cache(maxsize=1)
def questionnaire() -> Questionnaire:
    return Questionnaire(yaml.safe_load(QUESTIONNAIRE_FILE.read_text(encoding="utf-8")))
