"""The safety check: does this message tell of danger, risk to life, a child
at risk, domestic abuse or other harm happening now?

It reads the phrase list (bot/content/safety.yml) with spaCy's PhraseMatcher
on base forms (lemmas), so "hitting", "hits" and "hit" are one word, and runs
on the raw text of every message: it never depends on which intent won.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Dict, Iterable, List, Optional, Set, Tuple

import spacy
from spacy.language import Language
from spacy.matcher import PhraseMatcher
from spacy.tokens import Doc

from bot.safety.rules import IMMEDIATE, PROGRESSIVE_SUFFIX, SafetyRules, safety_rules

# Longer messages are read in full, up to this many characters: a disclosure
# can come at the end of a long answer.
MAX_CHARS = 20_000
NEGATION_WINDOW = 4  # tokens before a phrase in which "not", "never"... cancel it
BE_FORMS = {"is", "are", "am", "'s", "'re", "'m", "s", "re", "was", "were", "be", "been", "being", "keeps", "keep", "kept", "still"}
CLAUSE_BREAKS = {".", ",", ";", ":", "!", "?", "but", "and", "though", "although", "-", "–"}
# "never stops hitting", "never told them he choked me": the negation is of these words
NOT_A_NEGATION_AFTER = {"stop", "stops", "stopped", "stopping", "quit", "ends", "told", "tell", "tells", "said", "say",
                        "mentioned", "mention", "admitted", "admit", "knew", "know", "realised", "thought", "think", "asked", "ask",
                        # a new subject starts a new clause: "not really, he's still here"
                        "he", "she", "they", "i", "we", "you", "it", "there"}
ANSWER_WORDS = {"no", "nope", "nah", "not"}  # first word of a reply to a yes/no question
NEW_CLAUSE = {"my", "his", "her", "their", "our", "he", "she", "i", "they", "we", "it", "you", "the", "mum", "dad"}
# word lists that say who, when or how, not harm: no signal on their own
NEUTRAL_LISTS = {"goes_on", "third_person", "someone_in_particular", "ongoing", "resolved", "now", "connected", "child", "child_risk", "farewell", "contemplate",
                 "weapon_use", "means"}
NEVER_NEGATED = {"someone_in_particular", "third_person", "child", "connected"}  # "not at all, he's still here" still names him
_APOSTROPHES = str.maketrans({"’": "'", "‘": "'", "`": "'", "“": '"', "”": '"'})


@dataclass(frozen=True)
class Assessment:
    """What the check found. `categories` in priority order; empty when calm."""
    categories: Tuple[str, ...] = ()
    calm_reason: Optional[str] = None  # why a possible alarm was held back
    matched: Tuple[Tuple[str, str], ...] = ()  # (word list, words) that counted
    # word lists of harm, danger or risk found (not negated, not idioms) even if
    # no rule fired: what lets the classifier's own alarm through
    signals: Tuple[str, ...] = ()

    @property
    def raised(self) -> bool:
        return bool(self.categories)

    @property
    def primary(self) -> Optional[str]:
        return self.categories[0] if self.categories else None

    @property
    def immediate(self) -> bool:
        return self.primary in IMMEDIATE

    def as_dict(self) -> dict:
        return {"categories": list(self.categories), "primary": self.primary, "immediate": self.immediate}


def normalise(text: str, spellings: Optional[Dict[str, str]] = None) -> str:
    """Lower case, straight apostrophes, one space; words people type on phones
    ("hes", "dont", "threatning") read as meant."""
    text = (text or "")[:MAX_CHARS].translate(_APOSTROPHES).lower()
    text = " ".join(_QUOTE.sub(" ", text).split())  # 'disciplines' her: quotes, not apostrophes
    if spellings:
        text = _WORD.sub(lambda m: spellings.get(m.group(0), m.group(0)), text)
    return text


_QUOTE = re.compile(r"(?<![a-z0-9])'|'(?![a-z0-9])|\"")
_WORD = re.compile(r"(?<![\w'])[a-z]+(?![\w'])")


@dataclass
class _Found:
    # word list -> spans (start, end) in tokens that count
    spans: Dict[str, List[Tuple[int, int]]] = field(default_factory=dict)

    def add(self, name: str, start: int, end: int) -> None:
        self.spans.setdefault(name, []).append((start, end))

    def has(self, name: str) -> bool:
        return bool(self.spans.get(name))


class SafetyCheck:
    def __init__(self, rules: SafetyRules, nlp: Language):
        self.rules = rules
        self.nlp = nlp
        self.order = {cid: i for i, cid in enumerate(rules.categories)}
        self.terms = PhraseMatcher(nlp.vocab, attr="LEMMA")
        self.regexes: Dict[str, List[re.Pattern]] = {}
        self.progressive = {name.removesuffix(PROGRESSIVE_SUFFIX) for r in rules.rules for name in r.all
                            if name.endswith(PROGRESSIVE_SUFFIX)}
        for name, entries in rules.terms.items():
            phrases = [p for e in entries for p in e.phrases]
            if phrases:
                self.terms.add(name, list(nlp.pipe(phrases)))
            self.regexes[name] = [re.compile(e.regex, re.I) for e in entries if e.regex]
        self.calm = PhraseMatcher(nlp.vocab, attr="LEMMA")
        self.calm.add("calm", list(nlp.pipe(rules.calm["phrases"])))
        self.calm_regexes = [re.compile(r, re.I) for r in rules.calm_regexes]
        self.hypothetical = PhraseMatcher(nlp.vocab, attr="LEMMA")
        self.hypothetical.add("hypothetical", list(nlp.pipe(rules.calm["hypothetical"])))
        self.frames = PhraseMatcher(nlp.vocab, attr="LOWER")
        self.frames.add("frame", list(nlp.pipe(rules.calm["practitioner_frames"])))
        self.negations = PhraseMatcher(nlp.vocab, attr="LEMMA")
        self.negations.add("negation", list(nlp.pipe(rules.calm["negations"])))
        self.commands = {_bare(c) for c in rules.calm["commands"]}
        self.openers = sorted(rules.calm["question_openers"], key=len, reverse=True)

    # -- the check ---------------------------------------------------------------
    def assess(self, text: str, context: Optional[str] = None) -> Assessment:
        """What the text raises. `context="feedback"` adds the rules for an
        adult's answer in the closing feedback."""
        plain = normalise(text, self.rules.spellings)
        if not plain or _bare(plain) in self.commands:
            return Assessment(calm_reason="command" if plain else None)
        doc = self.nlp(plain)
        found = self._find(doc, plain)
        fired: List[str] = []
        held: Optional[str] = None
        general = None
        resolved = found.has("resolved") and not found.has("ongoing")
        matched: List[Tuple[str, str]] = []
        for rule in self.rules.rules:
            if rule.context is not None and rule.context != context:
                continue
            if not all(found.has(name) for name in rule.all):
                continue
            if general is None:
                general = self._general_question(doc, plain, found)
            if general and not rule.even_in_questions:
                held = held or "question"
                continue
            if rule.category not in IMMEDIATE and not found.has("now") and self._about_practice(doc, plain):
                held = held or "question"
                continue
            if rule.calm_when_resolved and resolved:
                held = held or "resolved"
                continue
            if rule.category not in fired:
                fired.append(rule.category)
                for name in rule.all:
                    for start, end in found.spans.get(name.removesuffix(PROGRESSIVE_SUFFIX), [])[:1]:
                        matched.append((name, doc[start:end].text))
        if "suicide" in fired and any(c in IMMEDIATE for c in fired) and "suicide_now" in self.order:
            # thoughts of suicide beside an emergency happening now: a risk to life now
            fired = [c for c in fired if c != "suicide"] + ["suicide_now"]
        covered = {c for cid in fired for c in self.rules.categories[cid].covers}
        categories = tuple(sorted((c for c in fired if c not in covered), key=self.order.__getitem__))
        signals = tuple(sorted(n for n in found.spans
                               if found.spans[n] and n.removesuffix(PROGRESSIVE_SUFFIX) not in NEUTRAL_LISTS))
        if held is None and not categories and found.has("resolved") and not found.has("ongoing"):
            held = "resolved"
        return Assessment(categories, None if categories else held, tuple(matched), signals)

    def _find(self, doc: Doc, plain: str) -> _Found:
        masked = [False] * len(doc)
        for _, start, end in self.calm(doc):
            for i in range(start, end):
                masked[i] = True
        for pattern in self.calm_regexes:
            for m in pattern.finditer(plain):
                span = doc.char_span(m.start(), m.end(), alignment_mode="expand")
                for i in range(span.start, span.end) if span is not None else ():
                    masked[i] = True
        negated_before = self._negation_ends(doc)
        found = _Found()
        for match_id, start, end in self.terms(doc):
            name = self.nlp.vocab.strings[match_id]
            if any(masked[start:end]) or (name not in NEVER_NEGATED and self._negated(doc, start, negated_before)):
                continue
            found.add(name, start, end)
            if name in self.progressive and doc[start].lower_.endswith("ing") and self._after_be(doc, start):
                found.add(name + PROGRESSIVE_SUFFIX, start, end)
        for name, patterns in self.regexes.items():
            for pattern in patterns:
                for m in pattern.finditer(plain):
                    span = doc.char_span(m.start(), m.end(), alignment_mode="expand")
                    if span is not None and not any(masked[span.start:span.end]):
                        found.add(name, span.start, span.end)
        # "now" inside "safer now" is part of the resolved phrase, not news
        for resolved_start, resolved_end in found.spans.get("resolved", []):
            for name in ("ongoing", "now"):
                found.spans[name] = [(s, e) for s, e in found.spans.get(name, [])
                                     if e <= resolved_start or s >= resolved_end]
        return found

    def _negation_ends(self, doc: Doc) -> Set[int]:
        """Token positions just after a negation ("not", "no sign of"...)."""
        return {end for _, _, end in self.negations(doc)}

    def _negated(self, doc: Doc, start: int, negation_ends: Set[int]) -> bool:
        if doc[start].lemma_ in ("not", "no", "never") or doc[start].lower_ in ("n't", "no", "never"):
            return False  # the phrase itself says "not breathing", "no one feeds me"
        if doc[start].lower_ in NOT_A_NEGATION_AFTER:
            return False  # "not really, he's still here": a new clause
        for i in range(start - 1, max(-1, start - 1 - NEGATION_WINDOW), -1):
            token = doc[i]
            if i == 0 and token.lower_ in ANSWER_WORDS and len(doc) > 1 and doc[1].lower_ in NEW_CLAUSE:
                return False  # "no my son still takes my money": an answer, then what happened
            if token.lower_ in CLAUSE_BREAKS or token.is_punct:
                return False
            if token.lower_ in NOT_A_NEGATION_AFTER:
                return False
            if (i + 1) in negation_ends:
                return True
        return False

    @staticmethod
    def _after_be(doc: Doc, start: int) -> bool:
        return any(doc[i].lower_ in BE_FORMS for i in range(max(0, start - 2), start))

    def _asks(self, plain: str) -> bool:
        return plain.rstrip().endswith("?") or any(
            plain == opener or plain.startswith(opener + " ") for opener in self.openers)

    def _about_practice(self, doc: Doc, plain: str) -> bool:
        """A question about practice even if it names someone: "what if she
        says no", "does it count as abuse if her son..."."""
        return self._asks(plain) and bool(self.hypothetical(doc))

    def _general_question(self, doc: Doc, plain: str, found: _Found) -> bool:
        """A question about practice with nobody in particular in it."""
        if not self._asks(plain):
            return False
        framed = [False] * len(doc)
        for _, start, end in self.frames(doc):
            for i in range(start, end):
                framed[i] = True
        people = [(s, e) for s, e in found.spans.get("someone_in_particular", []) if not any(framed[s:e])]
        return not people


def _bare(text: str) -> str:
    """The words of a message without punctuation: how commands are compared."""
    return " ".join(re.sub(r"[^\w\s']", " ", text.lower()).split())


def build_nlp() -> Language:
    """A tokenizer and lookup lemmatizer (tables from spacy-lookups-data,
    installed with the project: nothing is downloaded)."""
    nlp = spacy.blank("en")
    nlp.add_pipe("lemmatizer", config={"mode": "lookup"})
    nlp.initialize()
    return nlp


@lru_cache(maxsize=1)
def safety_check() -> SafetyCheck:
    """The check, built once per process."""
    return SafetyCheck(safety_rules(), build_nlp())


def assess(text: str, context: Optional[str] = None) -> Assessment:
    return safety_check().assess(text, context)


def assess_many(texts: Iterable[str]) -> List[Assessment]:
    check = safety_check()
    return [check.assess(t) for t in texts]
