"""The chat page practitioners open in a browser: served by the assistant
itself (bot/web), checked over HTTP and in Debian's Chromium driven by
Playwright, with axe-core for accessibility. Screenshots go to results/."""
from __future__ import annotations

import json
import time
import urllib.error
import urllib.request
from http.cookies import SimpleCookie

import pytest

from bot.config import PROJECT_ROOT
from stack import BASE, PAGE, PLANTED, _export

pytestmark = pytest.mark.slow

RESULTS = PROJECT_ROOT / "results"
WCAG_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]


# -- over HTTP ----------------------------------------------------------------
def _request(path, data=None, cookie=None, headers=None, method=None):
    request = urllib.request.Request(BASE + path, data=data, method=method)
    if cookie:
        request.add_header("Cookie", f"msp_chat={cookie}")
    for name, value in (headers or {}).items():
        request.add_header(name, value)
    try:
        with urllib.request.urlopen(request, timeout=60) as response:
            return response.status, response.headers, response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.headers, error.read()


def _new_session():
    status, headers, _ = _request("/webhooks/web/")
    assert status == 200
    cookie = SimpleCookie(headers["Set-Cookie"])["msp_chat"]
    return cookie.value, cookie


PAGE_HEADERS = {"Content-Type": "application/json", "X-Requested-With": "msp-web-chat"}


def _send(cookie, message, **extra):
    body = json.dumps({"message": message, **extra}).encode()
    return _request("/webhooks/web/webhook", body, cookie, PAGE_HEADERS)


def test_the_page_comes_with_a_strict_policy_and_a_private_session_cookie(server):
    status, headers, body = _request("/webhooks/web/")
    assert status == 200 and b'role="log"' in body
    policy = headers["Content-Security-Policy"]
    assert "default-src 'none'" in policy and "script-src 'self'" in policy and "unsafe" not in policy
    assert headers["X-Content-Type-Options"] == "nosniff" and headers["X-Frame-Options"] == "DENY"
    value, cookie = _new_session()
    assert len(value) >= 40 and cookie["httponly"] and cookie["samesite"] == "Strict"
    assert _new_session()[0] != value
    for asset, kind in (("app.css", "text/css"), ("app.js", "text/javascript")):
        status, headers, _ = _request(f"/webhooks/web/static/{asset}")
        assert status == 200 and headers["Content-Type"].startswith(kind)
    assert _request("/webhooks/web/static/../../credentials.yml")[0] == 404
    assert _request("/webhooks/web/static/index.py")[0] == 404
    status, _, body = _request("/webhooks/web")  # followed to the page with the slash
    assert status == 200 and b'role="log"' in body


def test_messages_need_the_pages_session_and_origin(server):
    body = json.dumps({"message": "hi"}).encode()
    assert _request("/webhooks/web/webhook", body, None, PAGE_HEADERS)[0] == 401
    cookie, _ = _new_session()
    assert _request("/webhooks/web/webhook", body, cookie, {"Content-Type": "application/json"})[0] == 403
    cross = {**PAGE_HEADERS, "Origin": "https://evil.example"}
    assert _request("/webhooks/web/webhook", body, cookie, cross)[0] == 403
    status, _, reply = _send(cookie, "hi")
    assert status == 200 and "MSP Assistant" in json.loads(reply)[0]["text"]


def test_one_browser_session_cannot_read_or_continue_anothers_conversation(server):
    mine, _ = _new_session()
    theirs, _ = _new_session()
    _send(mine, "start closing feedback")
    _send(mine, "WEB-5511")
    # naming a sender in the body changes nothing: the cookie decides
    status, _, reply = _send(theirs, "the adult", sender="whatever-mine-is")
    assert status == 200 and "Who is answering" not in reply.decode()
    _, _, history = _request("/webhooks/web/history", cookie=theirs, headers=PAGE_HEADERS)
    assert "WEB-5511" not in history.decode()
    _, _, history = _request("/webhooks/web/history", cookie=mine, headers=PAGE_HEADERS)
    turns = json.loads(history)
    assert {"who": "user", "text": "WEB-5511"} in turns and "Who is answering" in turns[-1]["text"]
    assert _request("/webhooks/web/history", cookie="x" * 43, headers=PAGE_HEADERS)[2] == b"[]"


@pytest.mark.parametrize("body, status", [
    (b"not json", 400), (b"[1, 2]", 400), (json.dumps({"message": 7}).encode(), 400),
    (json.dumps({"message": "x" * 100_000}).encode(), 413),
])
def test_malformed_messages_get_a_clear_4xx(server, body, status):
    cookie, _ = _new_session()
    code, _, reply = _request("/webhooks/web/webhook", body, cookie, PAGE_HEADERS)
    assert code == status and json.loads(reply)["error"]


# -- in the browser -----------------------------------------------------------
# (Playwright's string predicates run through eval, which the page's policy
# forbids, so the waits here go through locators.)
@pytest.fixture
def page(browser):
    context = browser.new_context(viewport={"width": 1024, "height": 900})
    tab = context.new_page()
    tab.goto(PAGE)
    yield tab
    context.close()


def _bot_messages(page):
    return page.locator(".msp-message--bot")


def _send_typed(page, text):
    count = _bot_messages(page).count()
    page.locator("#message").fill(text)
    page.keyboard.press("Enter") if page.locator("#message").evaluate("e => e === document.activeElement") \
        else page.locator("#send").click()
    _bot_messages(page).nth(count).wait_for(timeout=60_000)
    return _bot_messages(page).nth(count)


def _axe(page):
    from axe_playwright_python.sync_playwright import Axe

    results = Axe().run(page, options={"runOnly": {"type": "tag", "values": WCAG_TAGS}})
    return [v for v in results.response["violations"] if v.get("impact") in ("serious", "critical")]


def test_the_empty_page_is_labelled_accessible_and_reflows_at_320px(page):
    RESULTS.mkdir(exist_ok=True)
    assert page.locator("label[for=message]").inner_text() == "Your message"
    log = page.locator("#log")
    assert log.get_attribute("role") == "log" and log.get_attribute("aria-live") == "polite"
    notice = page.locator("#notice").inner_text()
    assert "automated assistant" in notice and "names" in notice and "NHS numbers" in notice
    assert _axe(page) == []
    page.screenshot(path=str(RESULTS / "web-empty.png"), full_page=True)
    page.set_viewport_size({"width": 320, "height": 640})
    assert page.evaluate("document.documentElement.scrollWidth") <= 320
    assert page.evaluate("getComputedStyle(document.body).fontFamily").lower().startswith("arial")


def test_a_guidance_question_is_answered_with_its_source_and_a_button_reply_works(page):
    answer = _send_typed(page, "what does proportionality mean?")
    assert "least intrusive" in answer.inner_text()
    assert answer.locator(".msp-message__source").inner_text().startswith("Source: ")
    buttons = answer.locator("button")
    assert buttons.count() == 3
    for i in range(3):
        box = buttons.nth(i).bounding_box()
        assert box["width"] >= 24 and box["height"] >= 24
    title = buttons.first.inner_text()
    count = _bot_messages(page).count()
    buttons.first.click()
    _bot_messages(page).nth(count).wait_for(timeout=60_000)
    assert page.locator(".msp-message--user").last.inner_text().endswith(title)
    assert "Source: " in _bot_messages(page).nth(count).inner_text()
    assert page.locator("#status").inner_text() == ""


def test_markup_typed_by_a_user_is_shown_as_text(page):
    typed = '<script>window.pwned = 1</script><img src=x onerror="window.pwned = 2"><b>bold</b>'
    _send_typed(page, typed)
    said = page.locator(".msp-message--user").last
    assert said.inner_text().endswith(typed)
    assert said.locator("script, img, b").count() == 0
    assert page.evaluate("window.pwned") is None


def test_a_server_that_cannot_be_reached_is_reported_and_the_message_kept(page):
    page.route("**/webhooks/web/webhook", lambda route: route.abort())
    page.locator("#message").fill("what is empowerment?")
    page.locator("#message").press("Enter")
    error = page.locator("#error")
    error.wait_for(state="visible")
    assert "can't be reached" in error.inner_text()
    assert page.locator("#message").input_value() == "what is empowerment?"
    assert page.locator(".msp-message").count() == 0
    page.unroute("**/webhooks/web/webhook")
    _send_typed(page, page.locator("#message").input_value())
    assert error.is_hidden() and page.locator("#message").input_value() == ""


def test_a_closing_feedback_conversation_by_keyboard_alone_is_stored(page, server):
    """Tab from the top of the page to the message box, then type and press
    Enter for every answer; the last step is a button reached with Tab."""
    page.keyboard.press("Tab")  # the skip link
    assert page.evaluate("document.activeElement.className").startswith("govuk-skip-link")
    page.keyboard.press("Enter")
    page.keyboard.press("Tab") if page.evaluate("document.activeElement.id") != "message" else None
    assert page.evaluate("document.activeElement.id") == "message"
    answers = ["record feedback for case WEB-2024-0077", "the adult", "yes", "1 and 9", "fully", "partly",
               "yes", "yes, they listened", "sort of", "no", "yes", "a bit", "reduced", "nothing else"]
    for text in answers:
        count = _bot_messages(page).count()
        page.keyboard.type(text)
        page.keyboard.press("Enter")
        _bot_messages(page).nth(count).wait_for(timeout=60_000)
        assert page.evaluate("document.activeElement.id") == "message"
    summary = _bot_messages(page).last
    assert "Is this right?" in summary.inner_text()
    # to the confirm button by keyboard: Shift+Tab back from the message box
    confirm = summary.locator("button", has_text="Confirm and save")
    for _ in range(12):
        page.keyboard.press("Shift+Tab")
        if page.evaluate("document.activeElement.textContent") == "Confirm and save":
            break
    assert confirm.first.evaluate("b => b === document.activeElement")
    count = _bot_messages(page).count()
    page.keyboard.press("Enter")
    _bot_messages(page).nth(count).wait_for(timeout=60_000)
    assert "Saved" in _bot_messages(page).last.inner_text()
    rows = [r for r in json.loads(_export(server)) if r["case_ref"] == "WEB-2024-0077"]
    assert len(rows) == 1 and rows[0]["status"] == "completed" and rows[0]["respondent"] == "adult"
    assert [o["outcome"] for o in rows[0]["outcomes"]] == ["maintain_relationship", "feel_safer"]
    assert rows[0]["had_chance_to_say"] == "yes" and rows[0]["had_chance_to_say_comment"] == "yes, they listened"
    assert (rows[0]["listened_to"], rows[0]["acted_on_wishes"], rows[0]["feels_happier"]) == ("partly", "no", "partly")
    assert rows[0]["risk_result"] == "reduced"


def test_the_populated_page_is_accessible_and_survives_a_reload(page, server):
    RESULTS.mkdir(exist_ok=True)
    _send_typed(page, "hello")
    _send_typed(page, "what does proportionality mean?")
    _send_typed(page, f"my neighbour {PLANTED} shouts")
    violations = _axe(page)
    assert violations == [], [(v["id"], v["impact"]) for v in violations]
    page.screenshot(path=str(RESULTS / "web-conversation.png"), full_page=True)
    before = page.locator(".msp-message").count()
    page.reload()
    page.locator(".msp-message").nth(before - 1).wait_for(timeout=30_000)
    assert "least intrusive" in page.locator("#log").inner_text()
    time.sleep(1)
    assert PLANTED not in server["log"].read_text(errors="replace")
