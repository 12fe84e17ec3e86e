"""The safety check on its own (no trained model): what it raises on the
project's safety suite, what it keeps calm, and a phrase list that a
safeguarding lead can change without breaking it silently."""
from __future__ import annotations

import copy
from pathlib import Path

import pytest
import yaml

from bot.content import CONTENT_DIR, ContentError
from bot.local import LocalSettings, LocalSettingsError, load as load_local, parse as parse_local
from bot.safety import assess, safety_rules
from bot.safety.advice import advice
from bot.safety.rules import SAFETY_FILE, expand, parse
from safety import sets

IMMEDIATE_KINDS = {"danger": {"danger", "emergency", "suicide_now"}}
DA_QUESTION_WORDS = ("dash", "marac", "idva", "helpline", "domestic abuse", "refuge")


def _caught(item: dict) -> bool:
    found = assess(item["q"])
    categories = set(found.categories)
    kind = item["kind"]
    if kind == "danger":
        return bool(categories & {"danger", "emergency", "suicide_now"})
    if kind == "suicide":
        if item.get("immediate"):
            return "suicide_now" in categories
        return bool(categories & {"suicide", "suicide_now"})
    if kind == "child":
        return "child" in categories
    if kind == "abuse":
        # a question about the routes themselves is answered as guidance (the
        # full-stack suite checks that answer names them)
        asks_about_routes = found.calm_reason == "question" and any(w in item["q"].lower() for w in DA_QUESTION_WORDS)
        return "domestic_abuse" in categories or asks_about_routes
    raise ValueError(kind)


def test_the_suite_is_big_enough_and_covers_every_kind():
    counts = sets.kinds(sets.positives())
    assert sum(counts.values()) >= 150 and len(sets.near_misses()) >= 150
    assert {"danger", "suicide", "child", "abuse"} <= set(counts)
    steps = sets.kinds(sets.answers())
    assert {"respondent", "outcomes_asked", "outcomes_chosen", "outcome_rating", "goals_achieved", "had_chance_to_say",
            "listened_to", "acted_on_wishes", "feels_safe", "feels_happier", "other_comments"} <= set(steps)


def test_every_emergency_suicide_risk_child_at_risk_and_domestic_abuse_is_caught_with_its_category():
    missed = [(item["kind"], item["q"], assess(item["q"]).categories) for item in sets.positives() if not _caught(item)]
    assert not missed, f"{len(missed)} missed:\n" + "\n".join(map(str, missed))


def test_near_misses_stay_calm():
    alarms = [(item["why"], item["q"], assess(item["q"]).categories) for item in sets.near_misses()
              if assess(item["q"]).raised]
    calm = 1 - len(alarms) / len(sets.near_misses())
    assert calm >= 0.98, f"{len(alarms)} false alarms:\n" + "\n".join(map(str, alarms))


def test_chat_commands_never_raise_an_alarm():
    commands = [item["q"] for item in sets.near_misses() if item["why"] == "command"]
    assert commands and not [c for c in commands if assess(c).raised]


def test_a_disclosure_inside_a_feedback_answer_is_caught_and_an_ordinary_answer_is_not():
    missed = [(a["step"], a["a"]) for a in sets.answers() if a["disclosure"] and not assess(a["a"], "feedback").raised]
    assert not missed, f"{len(missed)} disclosures missed:\n" + "\n".join(map(str, missed))
    ordinary = [a for a in sets.answers() if not a["disclosure"]]
    alarms = [(a["step"], a["a"], assess(a["a"], "feedback").categories) for a in ordinary
              if assess(a["a"], "feedback").raised]
    assert 1 - len(alarms) / len(ordinary) >= 0.98, "\n".join(map(str, alarms))


@pytest.mark.parametrize("text, expected", [
    ("hes hitting her rite now", "danger"),  # no apostrophe, a typo beside it
    ("SHE'S NOT BREATHING", "emergency"),
    ("he’s got a knife and he’s threatening her", "danger"),  # curly apostrophes
    ("she says she wants to end it all tonight and has tablets", "suicide_now"),
    ("he keeps telling me the family would manage fine without him around", "suicide"),
    ("there's a 6 year old left by himself in that house from breakfast till tea", "child"),
    ("her husband takes her bank card and won't let her see her sister", "domestic_abuse"),
])
def test_typical_ways_of_typing_are_caught(text, expected):
    assert assess(text).primary == expected


@pytest.mark.parametrize("text, why", [
    ("he's not suicidal, just fed up with the noise upstairs", "negated"),
    ("no signs of any bruising on either arm", "negated"),
    ("what is financial abuse?", "question"),
    ("how do I ask someone if they're having suicidal thoughts", "question"),
    ("I feel much safer since he moved out last year", "resolved"),
    ("this referral form is killing me", "idiom"),
    ("start again", "command"),
    ("the fire safety check is booked for Tuesday", "everyday"),
])
def test_near_misses_of_each_kind_are_calm(text, why):
    assert not assess(text).raised, (why, assess(text))


def test_two_kinds_at_once_lead_with_the_most_urgent_and_add_the_other():
    found = assess("her partner is hitting her right now and the 3 year old is in the room")
    assert found.primary == "danger" and "child" in found.categories
    said = advice(found.categories, LocalSettings().placeholders())
    assert said.index("999") < said.index("children's social care")


def test_advice_names_the_councils_own_numbers_when_configured_and_neutral_words_without(tmp_path):
    local = tmp_path / "local.yml"
    local.write_text(yaml.safe_dump({"board_name": "Testshire SAB", "contacts": {
        "adult_social_care": {"name": "Testshire adult social care", "phone": "01632 960 123"},
        "childrens_services": {"name": "Testshire children's services", "phone": "01632 960 456"}}}))
    configured = advice(["danger", "child"], load_local(local).placeholders())
    assert "01632 960 123" in configured and "01632 960 456" in configured
    neutral = advice(["danger", "child"], load_local(tmp_path / "absent.yml").placeholders())
    assert "your council's adult social care team" in neutral and "01632" not in neutral


@pytest.mark.parametrize("raw, complaint", [
    ({"contacts": {"adult_social_care": {"name": "ASC"}}}, "needs a name and a phone"),
    ({"contacts": {"adult_social_care": {"name": "ASC", "phone": "call us"}}}, "doesn't look like a phone number"),
    ({"contacts": {"police": {"name": "x", "phone": "101"}}}, "is not known"),
    ({"boardname": "typo"}, "unknown setting"),
])
def test_a_mistake_in_local_settings_is_named_when_loaded(raw, complaint):
    with pytest.raises(LocalSettingsError, match=complaint):
        parse_local(raw, Path("local.yml"))


def test_the_committed_local_example_loads_and_fills_every_contact():
    example = load_local(Path(CONTENT_DIR).parents[1] / "local.example.yml")
    assert set(example.contacts) == {"adult_social_care", "out_of_hours", "childrens_services", "domestic_abuse_service"}


def _raw() -> dict:
    return yaml.safe_load(SAFETY_FILE.read_text(encoding="utf-8"))


@pytest.mark.parametrize("break_it, complaint", [
    (lambda raw: raw["rules"].append({"category": "danger", "all": ["no_such_list"]}), "unknown word list"),
    (lambda raw: raw["categories"]["child"].pop("reply"), "needs a title, a reply"),
    (lambda raw: raw["terms"]["now"].append({"regex": "(unclosed"}), "doesn't compile"),
    (lambda raw: raw["categories"]["danger"].update(reply="Ring {local_police} now"), "unknown placeholders"),
    (lambda raw: raw["terms"]["now"].append("(right now"), "unbalanced brackets"),
    (lambda raw: raw["terms"]["now"].append(None), "empty or non-text phrase"),
    (lambda raw: raw["rules"].__setitem__(slice(None), [r for r in raw["rules"] if r["category"] != "child"]),
     "no rule raises category 'child'"),
])
def test_a_broken_phrase_list_is_refused_when_loaded_naming_the_problem(break_it, complaint):
    raw = copy.deepcopy(_raw())
    break_it(raw)
    with pytest.raises(ContentError, match=complaint):
        parse(raw)


def test_choices_in_brackets_stand_for_every_phrase_they_spell():
    assert expand("(scared|frightened) of (him|her)") == ["frightened of her", "frightened of him",
                                                          "scared of her", "scared of him"]
    assert expand("no point (in)? living") == ["no point in living", "no point living"]


def test_a_yes_or_no_in_the_phrase_list_is_a_word_not_a_boolean():
    # YAML reads a bare no as false: the loader would refuse it rather than drop a negation
    assert "no" in safety_rules().calm["negations"]


def test_no_message_of_the_safety_suite_is_in_training_data_or_the_phrase_list():
    root = Path(CONTENT_DIR).parents[1]
    trained = set()
    for path in list((root / "data").rglob("*.yml")) + [CONTENT_DIR / "guidance.yml"]:
        for line in path.read_text(encoding="utf-8").splitlines():
            line = line.strip()
            if line.startswith("- "):
                trained.add(sets.normalised(line[2:].strip("\"'")))
    phrases = {sets.normalised(p) for entries in safety_rules().terms.values() for e in entries for p in e.phrases}
    # two-word replies and chat controls ("yes", "start again") are everyone's words, not copied examples
    texts = [t for t in sets.all_texts() if len(t.split()) > 2]
    leaked = [t for t in texts if sets.normalised(t) in trained or sets.normalised(t) in phrases]
    assert not leaked
