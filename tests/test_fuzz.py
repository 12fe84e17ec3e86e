"""Bad input on the REST and web channels: over a thousand hostile messages,
no 5xx, no crash, and the feedback tables unchanged (none of them starts a
feedback conversation or answers one)."""
from __future__ import annotations

import json
import random
import sqlite3
import urllib.error
import urllib.request
from http.cookies import SimpleCookie

import pytest

from stack import BASE, TOKEN, _get

pytestmark = pytest.mark.slow

TABLES = ("feedback_session", "feedback_answer", "desired_outcome", "audit_log")


def _post(path, body: bytes, headers):
    request = urllib.request.Request(BASE + path, data=body, headers=headers, method="POST")
    try:
        with urllib.request.urlopen(request, timeout=120) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.read()


def _hostile_messages(count: int, seed: int = 20261123):
    """Deterministic: the same 1,000+ messages every run."""
    rng = random.Random(seed)
    fixed = [
        "", " ", "\n\t", "\x00", "\x00\x01\x02\x1b[31m", "\u202e\u200b\ufeff", "🙂" * 50, "x" * 100_000,
        "a" * 4_999, "'; DROP TABLE feedback_session; --", "\" OR 1=1 --", "<script>alert(1)</script>",
        "<img src=x onerror=alert(1)>", "{{7*7}}", "${jndi:ldap://x}", "../../etc/passwd", "%s%s%s%n",
        "/nonexistent_intent", "/guidance", "/guidance{", '/guidance{"topic": 123}', '/start_quiz{"quiz_topic": "x"}',
        "/start_quiz{" + '"quiz_topic": "' + "a" * 50_000 + '"}', "/confirm_feedback", "/change_answer{}",
        "/affirm@2.5", "/restart", "/session_start", "topic:" + "z" * 59, "topic:../../x", "/" * 1000,
        "\ud800", "lone \udfff surrogate",
    ]
    alphabet = [chr(c) for c in range(32, 127)] + ["\x00", "\x7f", "é", "漢", "🙂", "\u202e", "\n", "<", ">", "&", "'"]
    messages = list(fixed)
    while len(messages) < count:
        length = rng.choice([1, 3, 10, 50, 300, 2000])
        messages.append("".join(rng.choice(alphabet) for _ in range(length)))
    return messages


def _counts(server):
    with sqlite3.connect(server["var"] / "msp.db") as db:
        return {t: db.execute(f"select count(*) from {t}").fetchone()[0] for t in TABLES}


def _web_cookie():
    with urllib.request.urlopen(BASE + "/webhooks/web/", timeout=30) as response:
        return SimpleCookie(response.headers["Set-Cookie"])["msp_chat"].value


RAW_BODIES = [b"", b"not json", b"[]", b"[1,2]", b"null", b"42", b'"hi"', b'{"message": null}',
              b'{"message": ["a"]}', b'{"message": {"a": 1}}', b'{"message": "\xff\xfe invalid utf-8"}',
              b'\xff\xfe\xfd', b'{"message": "hi"' + b" " * 10, b"{" * 10_000]
BAD_SENDERS = [b'{"sender": 5, "message": "hi"}', b'{"sender": "", "message": "hi"}',
               b'{"sender": "' + b"s" * 500 + b'", "message": "hi"}', b'{"message": "no sender"}']


def test_a_thousand_hostile_messages_get_no_5xx_and_change_nothing(server):
    before = _counts(server)
    rest = {"Content-Type": "application/json"}
    statuses = {}
    messages = _hostile_messages(1000)
    for i, message in enumerate(messages):
        if i % 10 == 0:  # short conversations: this is about bad input, not long chats
            web = {"Content-Type": "application/json", "X-Requested-With": "msp-web-chat",
                   "Cookie": f"msp_chat={_web_cookie()}"}
        body = json.dumps({"sender": f"fuzz-{i // 10}", "message": message}).encode()
        for name, path, headers in (("rest", "/webhooks/rest/webhook", rest), ("web", "/webhooks/web/webhook", web)):
            status, reply = _post(path, body, headers)
            statuses.setdefault(status, []).append((name, message[:60]))
            assert status < 500, (name, message[:200], reply[:300])
            if status == 200:
                assert isinstance(json.loads(reply), list)
    for raw in RAW_BODIES:
        for path, headers in (("/webhooks/rest/webhook", rest), ("/webhooks/web/webhook", web)):
            status, reply = _post(path, raw, headers)
            assert 400 <= status < 500 and json.loads(reply)["error"], (path, raw[:80], status, reply[:200])
    for raw in BAD_SENDERS:  # the web page's sender comes from its cookie, never the body
        assert _post("/webhooks/rest/webhook", raw, rest)[0] == 400
        assert _post("/webhooks/web/webhook", raw, web)[0] == 200
    assert server["process"].poll() is None
    assert _get("/status", TOKEN)[0] == 200
    assert _counts(server) == before
    assert sum(len(v) for v in statuses.values()) == 2 * len(messages)
    assert len(statuses.get(200, [])) > len(messages)  # most are answered, not refused
