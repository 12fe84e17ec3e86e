"""Spotting identifying details people should not type: the assistant asks for
a case reference, never a name, address, date of birth or NHS number."""
from __future__ import annotations

import re
from typing import Optional

_MONTHS = r"(?:jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|jun(?:e)?|jul(?:y)?|aug(?:ust)?|sep(?:t(?:ember)?)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)"
_TITLES = r"(?:mr|mrs|ms|miss|mx|dr|sir|lady)\.?"

# Checked in this order; the first that matches names the kind in the reply.
DETECTORS = (
    ("an email address", re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+", re.I)),
    ("an NHS number", re.compile(r"(?<!\d)\d{3}[ -]?\d{3}[ -]?\d{4}(?!\d)")),
    ("a phone number", re.compile(r"(?<![\w+])(?:\+44\s?|0)(?:\d[\s-]?){9,10}(?!\d)")),
    ("a date of birth", re.compile(
        r"(?<!\d)\d{1,2}\s*[/.-]\s*\d{1,2}\s*[/.-]\s*\d{2,4}(?!\d)"
        rf"|\b\d{{1,2}}(?:st|nd|rd|th)?\s+{_MONTHS}\s+\d{{2,4}}\b"
        rf"|\b{_MONTHS}\s+\d{{1,2}}(?:st|nd|rd|th)?,?\s+\d{{4}}\b"
        r"|\b(?:dob|d\.o\.b\.?|date of birth|born on)\b", re.I)),
    ("a postcode", re.compile(r"\b[A-Z]{1,2}\d[A-Z\d]?\s*\d[A-Z]{2}\b", re.I)),
    ("an address", re.compile(r"\b\d{1,4}\s+[A-Za-z]+(?:\s+[A-Za-z]+)?\s+(?:road|rd|street|st|lane|ln|avenue|ave|close|drive|way|court|crescent|gardens|place|terrace)\b", re.I)),
)
_NAME = re.compile(rf"^\s*(?:{_TITLES}\s+)?[A-Z][a-z'’-]+(?:\s+[A-Z][a-z'’-]+){{0,3}}\s*$")
_TITLED_NAME = re.compile(rf"\b{_TITLES}\s+[A-Z][a-z'’-]+", re.I)


def identifier_kind(text: str) -> Optional[str]:
    """What kind of identifying detail the text seems to hold, or None."""
    for kind, pattern in DETECTORS:
        if pattern.search(text or ""):
            return kind
    return None


REDACTED = "[removed]"


def redact(text: str) -> str:
    """The text with every identifying detail the detectors know replaced."""
    for _, pattern in DETECTORS:
        text = pattern.sub(REDACTED, text)
    return text


def looks_like_a_name(text: str) -> bool:
    """A short run of capitalised words ("John Smith", "Mrs Jones") with no
    digits: what someone types when asked for a reference and gives a name."""
    text = text or ""
    return bool(_NAME.match(text) or _TITLED_NAME.search(text))
