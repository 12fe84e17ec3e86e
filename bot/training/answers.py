"""Reading a learner's typed answer: "b", "(b)", "the second one", "2",
"proportionality", "it's false". Nothing is guessed: an answer that could mean
two options is not an answer."""
from __future__ import annotations

import difflib
import re
from typing import Optional, Sequence

LETTERS = "abcdefghij"
ORDINALS = {
    "first": 0, "1st": 0, "one": 0, "second": 1, "2nd": 1, "two": 1, "third": 2, "3rd": 2, "three": 2,
    "fourth": 3, "4th": 3, "four": 3, "fifth": 4, "5th": 4, "five": 4,
}
_LEAD = r"(?:(?:i think|i'd say|i would say|my answer is|the answer is|answer|option|it's|it is|its|is it|maybe|probably)\s*:?\s*)*"
_LETTER = re.compile(rf"^{_LEAD}\(?([a-j])\)?[.)]?(?:\s*[-:.]\s*.*)?$")
_NUMBER = re.compile(rf"^{_LEAD}(?:the\s+|number\s+|no\.?\s*)?(\d|{'|'.join(ORDINALS)})(?:\s+(?:one|option|answer))?$")
_LAST = re.compile(rf"^{_LEAD}(?:the\s+)?last(?:\s+(?:one|option|answer))?$")
TRUE_WORDS = ("true", "yes", "correct", "right", "t", "y", "yeah", "yep")
FALSE_WORDS = ("false", "no", "incorrect", "wrong", "f", "n", "nope", "not true", "untrue", "isn't true", "not correct")


def plain(text: str) -> str:
    text = (text or "").lower().replace("’", "'").replace("‘", "'")
    text = re.sub(r"[^\w\s'()./:-]", " ", text)
    return re.sub(r"\s+", " ", text).strip().rstrip(".!")


def _words(text: str) -> str:
    return " " + re.sub(r"[^\w']+", " ", text).strip() + " "


def read_choice(text: str, options: Sequence[str]) -> Optional[int]:
    """The index of the option meant, or None when it isn't clear."""
    said = plain(text)
    if not said:
        return None
    match = _LETTER.match(said)
    if match and LETTERS.index(match.group(1)) < len(options):
        # "a" alone is a letter; "a. empowerment" must agree with its option's words
        index = LETTERS.index(match.group(1))
        rest = said[match.end(1):].strip(" ).:-")
        named = _matches_option(rest, options) if rest else None
        return index if named in (None, index) else None  # "a. <option b's words>" is a contradiction
    match = _NUMBER.match(said)
    if match:
        token = match.group(1)
        index = int(token) - 1 if token.isdigit() else ORDINALS[token]
        return index if 0 <= index < len(options) else None
    if _LAST.match(said):
        return len(options) - 1
    return _matches_option(said, options)


def _matches_option(said: str, options: Sequence[str]) -> Optional[int]:
    normalised = [plain(option) for option in options]
    if said in normalised:
        return normalised.index(said)
    # the option's words inside the answer ("I think it's proportionality")
    inside = [i for i, option in enumerate(normalised) if _words(option) in _words(said)]
    if len(inside) == 1 and not _negated(said, normalised[inside[0]]):
        return inside[0]
    # the start of a long option, or a small typo ("proportionallity")
    if len(said) >= 4:
        starts = [i for i, option in enumerate(normalised) if option.startswith(said) and len(said) >= len(option) // 3]
        if len(starts) == 1:
            return starts[0]
        ratios = sorted(((difflib.SequenceMatcher(None, said, option).ratio(), i) for i, option in enumerate(normalised)),
                        reverse=True)
        best, runner_up = ratios[0], ratios[1] if len(ratios) > 1 else (0.0, None)
        if best[0] >= 0.85 and best[0] - runner_up[0] >= 0.1:
            return best[1]
    return None


def _negated(said: str, option: str) -> bool:
    return bool(re.search(rf"\b(?:not|isn't|never)\s+(?:the\s+)?{re.escape(option)}", said))


def read_true_false(text: str) -> Optional[bool]:
    said = plain(text)
    if not said:
        return None
    said = re.sub(rf"^{_LEAD}", "", said).strip()
    said = re.sub(r"^(?:that's|that is|it's|i think it's|i'd say)\s+", "", said).strip()
    if said in FALSE_WORDS or said.startswith(("false", "not true", "no,", "no ", "incorrect", "wrong")):
        return False
    if said in TRUE_WORDS or said.startswith(("true", "yes,", "yes ", "correct", "right,")):
        return True
    return None
