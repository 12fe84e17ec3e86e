"""The safety net: a check on every message, apart from intent classification.

`assess(text)` says which safety categories a message raises (bot/safety/check.py),
from the phrase list a safeguarding lead maintains (bot/content/safety.yml).
"""
from bot.safety.check import Assessment, assess, safety_check
from bot.safety.rules import IMMEDIATE, SafetyRules, safety_rules

__all__ = ["Assessment", "assess", "safety_check", "safety_rules", "SafetyRules", "IMMEDIATE"]
