"""The safety phrase list (bot/content/safety.yml), loaded and checked.

A safeguarding lead edits the YAML; loading refuses a file that would
silently weaken the net (a rule naming a list that doesn't exist, a category
with no reply, a broken regular expression, an unknown placeholder).
"""
from __future__ import annotations

import itertools
import re
import string
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Dict, List, Optional, Tuple

import yaml

from bot.content import CONTENT_DIR, ContentError

SAFETY_FILE = CONTENT_DIR / "safety.yml"
PROGRESSIVE_SUFFIX = "+ing"
# The council's own contacts that replies may name (bot/local.py fills them).
LOCAL_PLACEHOLDERS = {
    "local_adult_social_care",
    "local_out_of_hours",
    "local_childrens_services",
    "local_domestic_abuse_service",
}
IMMEDIATE = {"danger", "emergency", "suicide_now"}
CONTEXTS = ("feedback",)  # where a rule marked `in:` applies
CALM_LISTS = ("phrases", "commands", "question_openers", "hypothetical", "practitioner_frames", "negations")


@dataclass(frozen=True)
class Category:
    id: str
    title: str
    reply: str
    disclosure: bool
    also: str  # one line added when another category leads the reply
    covers: Tuple[str, ...] = ()


@dataclass(frozen=True)
class Rule:
    category: str
    all: Tuple[str, ...]
    calm_when_resolved: bool = False
    even_in_questions: bool = False
    context: Optional[str] = None  # "feedback": only for answers in the closing feedback


@dataclass(frozen=True)
class Term:
    """One entry of a word list: a phrase (with its choices expanded) or a regex."""
    phrases: Tuple[str, ...] = ()
    regex: Optional[str] = None


@dataclass(frozen=True)
class SafetyRules:
    categories: Dict[str, Category]
    terms: Dict[str, Tuple[Term, ...]]
    rules: Tuple[Rule, ...]
    calm: Dict[str, Tuple[str, ...]]
    calm_regexes: Tuple[str, ...]
    feedback: Dict[str, str]
    restart: str
    spellings: Dict[str, str]
    source: Path = field(default=SAFETY_FILE)

    def category_order(self) -> List[str]:
        return list(self.categories)


_PIECE = re.compile(r"\(([^()]*)\)(\?)?|[^\s()]+")


def expand(phrase: str) -> List[str]:
    """ "(scared|frightened) of (him|her)" -> the four phrases it stands for;
    "(in)?" makes a bracket optional."""
    phrase = " ".join(str(phrase).split())
    if phrase.count("(") != phrase.count(")"):
        raise ContentError(f"unbalanced brackets in {phrase!r}")
    choices: List[List[str]] = []
    position = 0
    for match in _PIECE.finditer(phrase):
        if phrase[position:match.start()].strip():
            raise ContentError(f"can't read {phrase!r}")
        position = match.end()
        if match.group(1) is not None:
            options = [o.strip() for o in match.group(1).split("|")]
            if match.group(2):
                options.append("")
            choices.append(options)
        else:
            choices.append([match.group(0)])
    expanded = {" ".join(w for w in combo if w).strip() for combo in itertools.product(*choices)}
    expanded.discard("")
    if not expanded:
        raise ContentError(f"empty phrase {phrase!r}")
    return sorted(expanded)


def _term(entry, where: str) -> Term:
    if isinstance(entry, dict):
        if set(entry) != {"regex"}:
            raise ContentError(f"{where}: an entry is a phrase or {{regex: ...}}, not {entry!r}")
        try:
            re.compile(entry["regex"], re.I)
        except re.error as error:
            raise ContentError(f"{where}: regex {entry['regex']!r} doesn't compile: {error}") from None
        return Term(regex=entry["regex"])
    if not isinstance(entry, str) or not entry.strip():
        raise ContentError(f"{where}: empty or non-text phrase {entry!r}")
    return Term(phrases=tuple(expand(entry)))


def _placeholders(text: str) -> set:
    return {name for _, name, _, _ in string.Formatter().parse(text) if name}


def parse(raw: dict, source: Path = SAFETY_FILE) -> SafetyRules:
    """Build and check the rules from the YAML document."""
    if not isinstance(raw, dict):
        raise ContentError(f"{source}: not a YAML mapping")
    for key in ("categories", "terms", "rules", "calm", "feedback", "restart"):
        if key not in raw:
            raise ContentError(f"{source}: missing section {key!r}")
    categories = {}
    for cid, body in raw["categories"].items():
        if not isinstance(body, dict) or not all(str(body.get(k) or "").strip() for k in ("title", "reply", "also")):
            raise ContentError(f"{source}: category {cid!r} needs a title, a reply and an also line")
        unknown = (_placeholders(body["reply"]) | _placeholders(body["also"])) - LOCAL_PLACEHOLDERS
        if unknown:
            raise ContentError(f"{source}: category {cid!r} uses unknown placeholders {sorted(unknown)}")
        categories[cid] = Category(cid, body["title"], " ".join(body["reply"].split()), bool(body.get("disclosure", True)),
                                   " ".join(body["also"].split()), tuple(body.get("covers") or ()))
    for category in categories.values():
        for covered in category.covers:
            if covered not in categories:
                raise ContentError(f"{source}: category {category.id!r} covers unknown {covered!r}")
    terms: Dict[str, Tuple[Term, ...]] = {}
    for name, entries in raw["terms"].items():
        if not entries:
            raise ContentError(f"{source}: word list {name!r} is empty")
        terms[name] = tuple(_term(e, f"{source}: terms.{name}") for e in entries)
    rules = []
    for i, body in enumerate(raw["rules"]):
        where = f"{source}: rule {i + 1}"
        if body.get("category") not in categories:
            raise ContentError(f"{where}: unknown category {body.get('category')!r}")
        names = tuple(body.get("all") or ())
        if not names:
            raise ContentError(f"{where}: names no word lists")
        for name in names:
            if name.removesuffix(PROGRESSIVE_SUFFIX) not in terms:
                raise ContentError(f"{where}: unknown word list {name!r}")
        context = body.get("in")
        if context not in (None, *CONTEXTS):
            raise ContentError(f"{where}: 'in' must be one of {', '.join(CONTEXTS)}, not {context!r}")
        rules.append(Rule(body["category"], names, bool(body.get("calm_when_resolved")), bool(body.get("even_in_questions")),
                          context))
    for needed in ("resolved", "ongoing", "someone_in_particular"):
        if needed not in terms:
            raise ContentError(f"{source}: the word list {needed!r} is needed")
    for cid in categories:
        if not any(r.category == cid and r.context is None for r in rules):
            raise ContentError(f"{source}: no rule raises category {cid!r}")
    calm = {}
    calm_regexes = []
    for key in CALM_LISTS:
        entries = [_term(e, f"{source}: calm.{key}") for e in (raw["calm"] or {}).get(key) or []]
        if key != "phrases" and any(t.regex for t in entries):
            raise ContentError(f"{source}: calm.{key} takes phrases only")
        calm[key] = tuple(sorted({p for t in entries for p in t.phrases}))
        calm_regexes += [t.regex for t in entries if t.regex]
    feedback = {k: " ".join(str(v).split()) for k, v in (raw["feedback"] or {}).items()}
    for key in ("to_the_person", "to_the_practitioner", "summary_disclosure", "safety_plan_reason_disclosure", "flagged", "not_flagged", "carry_on_button", "safety_plan",
                "safety_plan_reason_unsafe", "safety_plan_reason_risk", "safety_plan_reason_both",
                "safety_plan_button", "safety_plan_recorded"):
        if key not in feedback:
            raise ContentError(f"{source}: feedback.{key} is missing")
    spellings = {}
    for typed, meant in (raw.get("spellings") or {}).items():
        if not str(typed).strip() or not str(meant).strip() or " " in str(typed).strip():
            raise ContentError(f"{source}: spellings: {typed!r} -> {meant!r} must be one word -> words")
        spellings[str(typed).strip().lower()] = str(meant).strip().lower()
    return SafetyRules(categories, terms, tuple(rules), calm, tuple(calm_regexes), feedback,
                       " ".join(str(raw["restart"]).split()), spellings, source)


def load(path: Path = SAFETY_FILE) -> SafetyRules:
    try:
        raw = yaml.safe_load(Path(path).read_text(encoding="utf-8"))
    except yaml.YAMLError as error:
        raise ContentError(f"{path}: not valid YAML: {error}") from None
    return parse(raw, Path(path))


@lru_cache(maxsize=1)
def safety_rules() -> SafetyRules:
    return load()
