"""Rasa 3.6 work that doesn't need doing on every message, installed in the
Rasa server process (bot.rasa_entry).

Every reply from the action server is checked against Rasa's response schema
with `jsonschema.validate`, which first checks the schema itself against the
JSON Schema meta-schema: measured with py-spy under 10 concurrent senders,
that was half of the Rasa server's time. The same check with a validator
built once gives the same errors for a fraction of the work.

Reading a conversation from the tracker store turns each stored event back
into an object, and Rasa finds each event's class by walking every subclass
of Event afresh (7% of the server's time in the same profile, and more the
longer the conversation). The answer for a type name never changes once the
classes are imported, so it is remembered.
"""
from __future__ import annotations

from functools import lru_cache


@lru_cache(maxsize=1)
def _action_response_validator():
    from jsonschema.validators import validator_for
    from rasa.core.actions.action import RemoteAction

    schema = RemoteAction.action_response_format_spec()
    cls = validator_for(schema)
    cls.check_schema(schema)  # once, instead of once per action call
    return cls(schema)


def install() -> None:
    """Both fixes (idempotent)."""
    _install_action_result_validator()
    _install_event_class_lookup()


def _install_event_class_lookup() -> None:
    from rasa.shared.core.events import Event

    original = Event.resolve_by_type
    if getattr(original, "_msp_cached", False):
        return
    known = {}

    def resolve_by_type(type_name, default=None):
        found = known.get(type_name)
        if found is None:
            found = original(type_name, default)  # raises for an unknown name, as before
            if found is not None and found is not default:
                known[type_name] = found
        return found

    resolve_by_type._msp_cached = True  # type: ignore[attr-defined]
    Event.resolve_by_type = staticmethod(resolve_by_type)


def _install_action_result_validator() -> None:
    from rasa.core.actions.action import RemoteAction

    original = RemoteAction._validate_action_result
    if getattr(original, "_msp_cached", False):
        return

    def validate_action_result(self, result) -> bool:
        if _action_response_validator().is_valid(result):
            return True
        return original(self, result)  # raises, with Rasa's own message

    validate_action_result._msp_cached = True  # type: ignore[attr-defined]
    RemoteAction._validate_action_result = validate_action_result
