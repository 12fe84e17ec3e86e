"""MSP reports over a known set of sessions (SQLite and PostgreSQL): every
figure in JSON, CSV and HTML, small numbers suppressed, purge and audit."""
from __future__ import annotations

import asyncio
import csv
import io
import json
import re
from datetime import datetime, timedelta, timezone

import pytest

from bot import cli
from bot.reports.figures import build_report, group
from bot.reports.render import to_csv, to_html, to_json
from bot.store import repository_for
from bot.store.retention import purge

NOW = datetime(2026, 6, 30, 12, 0, tzinfo=timezone.utc)
SINCE, UNTIL = datetime(2026, 1, 1, tzinfo=timezone.utc), datetime(2026, 7, 1, tzinfo=timezone.utc)


def _session(repo, n, respondent, asked, goals, risk, outcomes=(), completed=True, flagged=False, at=None):
    at = at or NOW - timedelta(days=n)
    sid = repo.open_session(f"c{n}", f"KN-{n:04d}", at=at)
    repo.save_snapshot(
        sid,
        fields={"respondent": respondent, "outcomes_asked": asked, "risk_result": risk},
        answers={"goals_achieved": (goals, None)},
        outcomes=[{"outcome": o, "own_words": None, "achieved": a} for o, a in outcomes],
    )
    if flagged:
        repo.flag_disclosure(sid)
    if completed:
        repo.complete(sid, at=at + timedelta(minutes=30))


@pytest.fixture
def known(database_url, monkeypatch):
    monkeypatch.setenv("DATABASE_URL", database_url)
    repo = repository_for(database_url)
    n = 1
    for _ in range(10):
        _session(repo, n, "adult", "asked_expressed", "yes", "reduced", [("feel_safer", "fully")]); n += 1
    for _ in range(6):
        _session(repo, n, "representative", "asked_none_expressed", "no", "removed"); n += 1
    for _ in range(3):
        _session(repo, n, "advocate", "not_asked", "not_answered", "remains"); n += 1
    _session(repo, n, "adult", "dont_know", "yes", "reduced", completed=False, flagged=True); n += 1
    _session(repo, n, "adult", "asked_expressed", "yes", "reduced", [("feel_safer", "not")],
             at=NOW - timedelta(days=800))  # outside the period
    return repo


def _cells(section):
    return {c["key"]: (c["count"], c["percent"]) for c in section}


EXPECTED = {
    "respondents": {"adult": ("10", "53%"), "representative": ("*", "withheld"), "advocate": ("<5", "withheld")},
    "outcomes_asked": {"asked_expressed": ("10", "53%"), "asked_none_expressed": ("*", "withheld"),
                       "not_asked": ("<5", "withheld"), "dont_know": ("0", "0%")},
    "outcomes_achieved": {"fully": ("10", "100%"), "partially": ("0", "0%"), "not": ("0", "0%")},
    "risk_result": {"removed": ("*", "withheld"), "reduced": ("10", "53%"), "remains": ("<5", "withheld"),
                    "none_identified": ("0", "0%")},
}


def test_every_figure_of_the_json_report(known):
    data = json.loads(to_json(build_report(known.export(), SINCE, UNTIL, NOW)))
    assert data["period"] == {"since": SINCE.isoformat(), "until": UNTIL.isoformat()}
    assert data["sessions"] == {"completed": "19", "drafts_never_completed": "<5", "disclosures_flagged": "<5"}
    for section, cells in EXPECTED.items():
        assert _cells(data[section]) == cells, section
    assert _cells(data["outcomes_achieved_by_outcome"]["To feel safer"]) == EXPECTED["outcomes_achieved"]
    assert _cells(data["outcomes_achieved_by_outcome"]["To know where to go for help"]) == {
        "fully": ("0", "-"), "partially": ("0", "-"), "not": ("0", "-")}
    goals = data["closing_questions"]["1. Have you achieved the goals you wanted?"]
    assert _cells(goals) == {"yes": ("10", "53%"), "partly": ("0", "0%"), "no": ("*", "withheld"),
                             "not_answered": ("<5", "withheld")}


def test_csv_and_html_carry_the_same_figures(known):
    report = build_report(known.export(), SINCE, UNTIL, NOW)
    rows = list(csv.reader(io.StringIO(to_csv(report))))
    assert ["sessions", "completed", "19", ""] in rows
    assert ["respondents", "The adult", "10", "53%"] in rows
    assert ["respondents", "Independent advocate", "<5", "withheld"] in rows
    assert ["risk_result", "Risk removed", "*", "withheld"] in rows
    page = to_html(report)
    images = re.findall(r"<img alt='([^']+)' src='data:image/png;base64,([A-Za-z0-9+/=]+)'>", page)
    assert len(images) == 4 and all(len(png) > 1000 for _, png in images)
    assert "Who answered: The adult: 10 (53%); Family, friend or carer: *; Independent advocate: &lt;5." in [a for a, _ in images]
    assert SINCE.isoformat() in page and NOW.isoformat() in page
    assert "<script" not in page and "http" not in page.replace("http-equiv", "")  # self-contained


def test_no_small_number_or_its_percentage_is_published_in_any_format(known):
    report = build_report(known.export(), SINCE, UNTIL, NOW)
    data = report.public()
    counts = [c["count"] for key in ("respondents", "outcomes_asked", "outcomes_achieved", "risk_result")
              for c in data[key]]
    counts += [c["count"] for cells in data["closing_questions"].values() for c in cells]
    assert not [c for c in counts if c in {"1", "2", "3", "4"}]
    for text in (to_json(report), to_csv(report), to_html(report)):
        assert "16%" not in text and "32%" not in text  # 3/19 and 6/19 would give them away


def test_a_group_with_one_small_count_withholds_a_second_so_it_cannot_be_worked_out():
    cells = group({"a": 20, "b": 2, "c": 9}, {"a": "A", "b": "B", "c": "C"})
    assert [(c.shown, c.percent) for c in cells] == [("20", "65%"), ("<5", "withheld"), ("*", "withheld")]
    everything_small = group({"a": 3}, {"a": "A", "b": "B"})
    assert [(c.shown, c.percent) for c in everything_small] == [("<5", "withheld"), ("0", "withheld")]


def test_report_command_writes_each_format_and_is_audited(known, tmp_path):
    for fmt in ("html", "csv", "json"):
        out = tmp_path / f"report.{fmt}"
        assert cli.main(["report", "--format", fmt, "--since", "2026-01-01", "--until", "2026-07-01",
                         "--out", str(out)]) == 0
        assert out.stat().st_size > 100
    entries = [e for e in known.audit_log() if e["action"] == "report"]
    assert len(entries) == 3 and "format=json" in entries[-1]["detail"]


def _tracker_events(url, old_sender, new_sender, old, new):
    from rasa.core.tracker_store import SQLTrackerStore
    from rasa.shared.core.domain import Domain
    from rasa.shared.core.events import ActionExecuted, UserUttered
    from rasa.shared.core.trackers import DialogueStateTracker

    store = SQLTrackerStore(Domain.empty(), host=url)
    for sender, at in ((old_sender, old), (new_sender, new)):
        tracker = DialogueStateTracker.from_events(sender, [
            ActionExecuted("action_listen", timestamp=at.timestamp()),
            UserUttered("my neighbour shouts at me", timestamp=at.timestamp()),
        ])
        asyncio.run(store.save(tracker))
    store.engine.dispose()


def _event_senders(url):
    from sqlalchemy import text

    from bot.store.db import make_engine
    engine = make_engine(url)
    with engine.connect() as conn:
        senders = {row[0] for row in conn.execute(text("select sender_id from events"))}
    engine.dispose()
    return senders


def test_purge_deletes_old_sessions_and_their_conversation_events_and_is_audited(known, database_url):
    _tracker_events(database_url, "old-chat", "new-chat", NOW - timedelta(days=400), NOW - timedelta(days=1))
    asked = []
    done = purge(known, database_url, 365, confirm=lambda plan: asked.append(plan) or True, actor="tester", now=NOW)
    assert asked[0].sessions == 1 and asked[0].tracker_events == 2
    assert (done.sessions, done.tracker_events) == (1, 2)
    assert [r["case_ref"] for r in known.export() if r["case_ref"] == "KN-0021"] == []
    assert len(known.export()) == 20
    assert _event_senders(database_url) == {"new-chat"}
    (entry,) = [e for e in known.audit_log() if e["action"] == "purge"]
    assert entry["actor"] == "tester" and entry["rows"] == 1 and "tracker_events=2" in entry["detail"]


def test_purge_without_confirmation_deletes_nothing(known, database_url):
    assert purge(known, database_url, 0, confirm=lambda plan: False, now=NOW) is None
    assert len(known.export()) == 21
    assert [e for e in known.audit_log() if e["action"] == "purge"] == []


def test_training_figures_by_topic_with_small_counts_suppressed(known, database_url, tmp_path):
    from bot.store import training_repository_for

    training = training_repository_for(database_url)
    for i in range(8):
        training.record_attempt("learner-a", "round-1", "principles", f"p{i}", correct=i < 6, at=NOW)
    training.record_attempt("learner-a", "round-1", "principles", "p0", correct=False, at=NOW)  # a retry
    for i in range(3):
        training.record_attempt("learner-b", "round-2", "capacity", f"c{i}", correct=True, at=NOW)
    out = tmp_path / "report.json"
    assert cli.main(["report", "--format", "json", "--since", "2026-01-01", "--until", "2026-07-01",
                     "--out", str(out)]) == 0
    assert json.loads(out.read_text())["training"] == [
        {"topic": "capacity", "attempts": "<5", "share_correct": "withheld"},
        {"topic": "principles", "attempts": "8", "share_correct": "75%"},
    ]


def _published(data):
    """Every (section, label, count, percent) the report publishes, from its JSON."""
    rows = [("sessions", name, value, "") for name, value in data["sessions"].items()]
    for key in ("respondents", "outcomes_asked", "outcomes_achieved", "risk_result"):
        rows += [(key, c["label"], c["count"], c["percent"]) for c in data[key]]
    for outcome, cells in data["outcomes_achieved_by_outcome"].items():
        rows += [(f"outcome: {outcome}", c["label"], c["count"], c["percent"]) for c in cells]
    for question, cells in data["closing_questions"].items():
        rows += [(f"question {question}", c["label"], c["count"], c["percent"]) for c in cells]
    return rows


def test_csv_and_html_publish_every_figure_of_the_json_report(known):
    import html as html_lib

    report = build_report(known.export(), SINCE, UNTIL, NOW)
    expected = _published(json.loads(to_json(report)))
    assert len(expected) == 3 + (3 + 4 + 3 + 4) + 10 * 3 + 6 * 4  # sessions, four groups, 10 outcomes, 6 questions
    csv_rows = [tuple(r) for r in csv.reader(io.StringIO(to_csv(report)))]
    for row in expected:
        assert row in csv_rows, row
    page = to_html(report)
    for section, label, count, percent in expected:
        if section == "sessions":
            continue
        cell = (f"<tr><th scope='row'>{html_lib.escape(label)}</th><td>{html_lib.escape(count)}</td>"
                f"<td>{html_lib.escape(percent)}</td></tr>")
        assert cell in page, (section, label)
