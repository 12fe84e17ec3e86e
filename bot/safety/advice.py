"""What the assistant says when the safety check raises: the leading
category's reply, then one line for each other category raised, with the
council's contacts filled in (bot/local.py)."""
from __future__ import annotations

from typing import Dict, Iterable, Optional

from bot.safety.rules import SafetyRules, safety_rules


def advice(categories: Iterable[str], placeholders: Dict[str, str], rules: Optional[SafetyRules] = None) -> str:
    rules = rules or safety_rules()
    categories = [c for c in categories if c in rules.categories]
    if not categories:
        return ""
    lead, *others = categories
    lines = [rules.categories[lead].reply] + [rules.categories[c].also for c in others]
    return " ".join(line.format(**placeholders) for line in lines)


def feedback_message(name: str, rules: Optional[SafetyRules] = None, **values) -> str:
    """One of the feedback-conversation messages of safety.yml."""
    return (rules or safety_rules()).feedback[name].format(**values)
