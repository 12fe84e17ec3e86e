"""The council's own settings (local.yml): its board's name and contacts.

One file a board's business unit edits, checked when loaded. Without it the
assistant uses national routes and neutral wording ("your council's adult
social care team"). The path can be changed with LOCAL_SETTINGS in .env.
"""
from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Dict, Optional

import yaml

from bot.config import PROJECT_ROOT

DEFAULT_FILE = PROJECT_ROOT / "local.yml"
CONTACT_KEYS = ("adult_social_care", "out_of_hours", "childrens_services", "domestic_abuse_service")
TOP_KEYS = {"board_name", "contacts", "procedures_url"}
_PHONE = re.compile(r"^\+?[0-9][0-9 ()-]{5,20}$")


class LocalSettingsError(ValueError):
    """local.yml breaks a rule; the message names the file and the field."""


@dataclass(frozen=True)
class Contact:
    name: str
    phone: str


@dataclass(frozen=True)
class LocalSettings:
    board_name: Optional[str] = None
    contacts: Dict[str, Contact] = field(default_factory=dict)
    procedures_url: Optional[str] = None
    source: Optional[Path] = None

    def placeholders(self) -> Dict[str, str]:
        """Values for the {local_...} placeholders in replies (bot/content/safety.yml)."""
        def named(key: str, neutral: str) -> str:
            c = self.contacts.get(key)
            return f"{c.name} ({c.phone})" if c else neutral

        da = self.contacts.get("domestic_abuse_service")
        return {
            "local_adult_social_care": named("adult_social_care", "your council's adult social care team"),
            "local_out_of_hours": named("out_of_hours", "your council's emergency duty team"),
            "local_childrens_services": named("childrens_services", "your council's children's services"),
            "local_domestic_abuse_service": f", or {da.name} on {da.phone}" if da else "",
        }


def settings_path() -> Path:
    configured = os.environ.get("LOCAL_SETTINGS", "").strip()
    path = Path(configured) if configured else DEFAULT_FILE
    return path if path.is_absolute() else PROJECT_ROOT / path


def parse(raw, source: Path) -> LocalSettings:
    if raw is None:
        return LocalSettings(source=source)
    if not isinstance(raw, dict):
        raise LocalSettingsError(f"{source}: expected settings as 'name: value' lines")
    unknown = set(raw) - TOP_KEYS
    if unknown:
        raise LocalSettingsError(f"{source}: unknown setting(s) {', '.join(sorted(unknown))}; "
                                 f"known: {', '.join(sorted(TOP_KEYS))}")
    contacts = {}
    for key, body in (raw.get("contacts") or {}).items():
        if key not in CONTACT_KEYS:
            raise LocalSettingsError(f"{source}: contacts.{key} is not known; known: {', '.join(CONTACT_KEYS)}")
        if not isinstance(body, dict) or not str(body.get("name") or "").strip() or not body.get("phone"):
            raise LocalSettingsError(f"{source}: contacts.{key} needs a name and a phone")
        phone = str(body["phone"]).strip()
        if not _PHONE.match(phone):
            raise LocalSettingsError(f"{source}: contacts.{key}.phone {phone!r} doesn't look like a phone number")
        contacts[key] = Contact(" ".join(str(body["name"]).split()), phone)
    board = raw.get("board_name")
    return LocalSettings(str(board).strip() if board else None, contacts, raw.get("procedures_url"), source)


def load(path: Optional[Path] = None) -> LocalSettings:
    path = path or settings_path()
    if not path.exists():
        return LocalSettings()
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as error:
        raise LocalSettingsError(f"{path}: not valid YAML: {error}") from None
    return parse(raw, path)


@lru_cache(maxsize=1)
def local_settings() -> LocalSettings:
    """Read once per process: a change to local.yml takes effect on restart."""
    return load()
