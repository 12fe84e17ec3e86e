"""Shared fixtures: a fresh database per test, on SQLite and on PostgreSQL.

PostgreSQL comes from TEST_POSTGRES_URL (CI sets it to the server on
127.0.0.1:5432). Without it those tests are skipped, unless
MSP_REQUIRE_POSTGRES=1 (CI), where a missing PostgreSQL is a failure.
"""
from __future__ import annotations

import os
import shutil
import uuid

import pytest
from sqlalchemy import create_engine, text

from bot.store import migrate
from bot.store.db import session_factory
from bot.store.repository import FeedbackRepository

POSTGRES_URL = os.environ.get("TEST_POSTGRES_URL")
REQUIRE_POSTGRES = os.environ.get("MSP_REQUIRE_POSTGRES") == "1"


def _postgres_schema_url():
    """A throwaway schema in the test database, so runs never see each other."""
    if not POSTGRES_URL:
        if REQUIRE_POSTGRES:
            pytest.fail("MSP_REQUIRE_POSTGRES=1 but TEST_POSTGRES_URL is not set")
        pytest.skip("TEST_POSTGRES_URL not set")
    schema = "t_" + uuid.uuid4().hex[:12]
    admin = create_engine(POSTGRES_URL, future=True)
    with admin.begin() as conn:
        conn.execute(text(f"CREATE SCHEMA {schema}"))
    sep = "&" if "?" in POSTGRES_URL else "?"
    return admin, schema, f"{POSTGRES_URL}{sep}options=-csearch_path%3D{schema}"


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def database_url(request, tmp_path):
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'msp.db'}"
        migrate(url)
        yield url
        session_factory(url).kw["bind"].dispose()
        return
    admin, schema, url = _postgres_schema_url()
    migrate(url)
    yield url
    session_factory(url).kw["bind"].dispose()
    with admin.begin() as conn:
        conn.execute(text(f"DROP SCHEMA {schema} CASCADE"))
    admin.dispose()


@pytest.fixture
def repo(database_url) -> FeedbackRepository:
    return FeedbackRepository(session_factory(database_url))


CHROMIUM = "/usr/bin/chromium"
CHROMIUM_FLAGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                  "--disable-background-networking", "--disable-component-update", "--disable-sync"]


@pytest.fixture(scope="module")
def browser():
    """Debian's Chromium driven by Playwright. Without it these tests skip,
    unless MSP_REQUIRE_BROWSER=1 (CI installs it), where that is a failure."""
    if not shutil.which(CHROMIUM):
        if os.environ.get("MSP_REQUIRE_BROWSER") == "1":
            pytest.fail(f"MSP_REQUIRE_BROWSER=1 but {CHROMIUM} is missing")
        pytest.skip(f"{CHROMIUM} not installed")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_FLAGS)
        yield chromium
        chromium.close()


@pytest.fixture(scope="session")
def _shared_server(tmp_path_factory):
    """The assistant started once, as `msp-bot run` starts it (tests/stack.py).
    If a test brings it down, that test fails showing its log (below) and the
    next test gets a fresh one, so one crash isn't twenty failures."""
    from contextlib import ExitStack

    from stack import running_assistant

    with ExitStack() as stack:
        current = {}

        def alive():
            if not current or current["running"]["process"].poll() is not None:
                if current:
                    current["stack"].close()
                inner = ExitStack()
                current["running"] = inner.enter_context(running_assistant(tmp_path_factory.mktemp("var")))
                current["stack"] = inner
                stack.callback(inner.close)
            return current["running"]

        yield alive


def _log_tail(log, lines=80) -> str:
    try:
        return "\n".join(log.read_text(errors="replace").splitlines()[-lines:])
    except OSError as error:
        return f"(no log: {error})"


@pytest.fixture
def server(_shared_server):
    """The shared assistant, running."""
    return _shared_server()


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    """A failing full-stack test shows the end of the assistant's log and
    whether it is still running, so a CI failure can be read from CI's output."""
    outcome = yield
    report = outcome.get_result()
    running = getattr(item, "funcargs", {}).get("server")
    if report.when == "call" and report.failed and isinstance(running, dict) and "log" in running:
        state = running["process"].poll()
        report.sections.append(("assistant", f"exit code: {state}\n{_log_tail(running['log'])}"))
