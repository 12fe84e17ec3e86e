"""Turning answers as people really give them into the stored vocabulary,
keeping their own words exactly as typed."""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Dict, List, Optional, Tuple

from bot.feedback.questionnaire import Option, questionnaire

_APOSTROPHES = str.maketrans({"’": "'", "‘": "'", "`": "'"})
_FILLER = re.compile(r"^[\W_]*$")


def _plain(text: str) -> str:
    """Lower case, straight apostrophes, single spaces; "not_answered" (a stored
    value coming back from a draft) reads as "not answered"."""
    return re.sub(r"[\s_]+", " ", (text or "").translate(_APOSTROPHES).strip().lower())


def _starts_with(plain: str, phrase: str) -> Optional[int]:
    """End of the phrase when the answer opens with it as whole words."""
    match = re.match(rf"^\W*{re.escape(phrase)}(?=\W|$)", plain)
    return match.end() if match else None


@dataclass
class Answer:
    value: Optional[str]          # yes / partly / no / not_answered, or None when unclear
    comment: Optional[str] = None  # the person's own words, verbatim, when they said more


def closing_answer(text: str) -> Answer:
    """ "yeah, they really listened" -> yes, with the whole answer as comment;
    "sort of" -> partly; "I'd rather not say" -> not_answered; anything else is
    unclear (value None) and its words are kept for the next try."""
    original = (text or "").strip()
    plain = _plain(original)
    if not plain:
        return Answer(None)
    for phrase, value in questionnaire().answer_phrases:
        end = _starts_with(plain, phrase)
        if end is not None:
            rest = plain[end:]
            return Answer(value, None if _FILLER.match(rest) else original)
    return Answer(None, original)


def choose_option(text: str, options: Dict[str, Option]) -> Optional[str]:
    """The option a reply names: its key (button payloads), title or an alias;
    the longest phrase found wins ("asked but none" over "asked")."""
    plain = _plain(text)
    if not plain:
        return None
    best: Tuple[int, Optional[str]] = (0, None)
    for key, option in options.items():
        for phrase in (key.replace("_", " "), key, option.title.lower(), *option.aliases):
            if re.search(rf"(?<!\w){re.escape(phrase)}(?!\w)", plain) and len(phrase) > best[0]:
                best = (len(phrase), key)
    return best[1]


def respondent(text: str) -> Optional[str]:
    return choose_option(text, questionnaire().respondents)


def outcomes_asked(text: str) -> Optional[str]:
    return choose_option(text, questionnaire().outcomes_asked)


def achieved(text: str) -> Optional[str]:
    return choose_option(text, questionnaire().achieved)


def risk_result(text: str) -> Optional[str]:
    return choose_option(text, questionnaire().risk_results)


@dataclass
class OutcomeChoice:
    outcomes: List[str] = field(default_factory=list)  # keys of the nine, in the order listed
    own_words: Optional[str] = None                    # verbatim, when the person said more


_NUMBER_WORDS = {"one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8, "nine": 9}
_JOINERS = {"and", "&", "plus", "also", "number", "numbers", "no", "nos", "the", "ones", "one", "both", "all"}


def _own_words(original: str, labels: List[str]) -> Optional[str]:
    """What is left of the reply once the numbers and named outcomes are taken
    out: a verbatim stretch of the person's words, or None."""
    rest = re.sub(r"\b(\d+|" + "|".join(_NUMBER_WORDS) + r")\b", " ", original, flags=re.I)
    for label in labels:
        rest = re.sub(re.escape(label), " ", rest, flags=re.I)
    joiner = "|".join(re.escape(j) for j in sorted(_JOINERS, key=len, reverse=True))
    edge = rf"(?:[\s,;:.&+-]+|\b(?:{joiner})\b)+"
    rest = re.sub(rf"^{edge}", "", rest, flags=re.I)
    rest = re.sub(rf"{edge}$", "", rest, flags=re.I)
    return rest.strip() if re.search(r"[A-Za-z]", rest) else None


def outcome_choice(text: str) -> OutcomeChoice:
    """ "1, 4 and 9" -> three of the nine; "feel safer" -> that one; any other
    words are the adult's own, kept whole and verbatim."""
    items = list(questionnaire().outcome_items)
    original = (text or "").strip()
    plain = _plain(original)
    chosen = set()
    for token in re.findall(r"\b(\d+|" + "|".join(_NUMBER_WORDS) + r")\b", plain):
        number = int(token) if token.isdigit() else _NUMBER_WORDS[token]
        if 1 <= number <= len(items):
            chosen.add(items[number - 1])
    for key, label in questionnaire().outcome_items.items():
        if _plain(label) in plain or key.replace("_", " ") in plain:
            chosen.add(key)
    own = _own_words(original, [p for k in chosen for p in (questionnaire().outcome_items[k], k.replace("_", " "))])
    return OutcomeChoice([k for k in items if k in chosen], own)


def nothing_to_add(text: str) -> bool:
    plain = _plain(text).rstrip(".!")
    return plain in questionnaire().nothing_more()
