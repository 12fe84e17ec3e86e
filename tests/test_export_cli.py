"""`msp-bot export` writes one row per session with the agreed fields, and is audited."""
from __future__ import annotations

import csv
import io
import json

import pytest

from bot import cli
from bot.store import EXPORT_FIELDS, repository_for


@pytest.fixture
def stored(database_url, monkeypatch):
    monkeypatch.setenv("DATABASE_URL", database_url)
    repo = repository_for(database_url)
    sid = repo.open_session("conv-1", "ABC-1234")
    repo.update_session(sid, respondent="adult", outcomes_asked="asked_expressed", risk_result="removed",
                        other_comments='She said: "thank you, all of you"')
    repo.record_answer(sid, "feels_safe", "yes", "Much safer, ta")
    repo.set_outcomes(sid, [{"outcome": "feel_safer", "achieved": "fully"}])
    repo.complete(sid)
    repo.open_session("conv-2", "XYZ-9999")
    return repo


def test_json_export_is_a_list_of_objects_with_exactly_the_fields(stored, tmp_path):
    out = tmp_path / "out.json"
    assert cli.main(["export", "--format", "json", "--out", str(out)]) == 0
    rows = json.loads(out.read_text())
    assert [list(r) for r in rows] == [EXPORT_FIELDS, EXPORT_FIELDS]
    done = next(r for r in rows if r["case_ref"] == "ABC-1234")
    assert done["status"] == "completed" and done["feels_safe"] == "yes"
    assert done["feels_safe_comment"] == "Much safer, ta"
    assert done["other_comments"] == 'She said: "thank you, all of you"'
    assert done["outcomes"] == [{"outcome": "feel_safer", "own_words": None, "achieved": "fully"}]
    assert done["completed_at"].endswith("+00:00")
    draft = next(r for r in rows if r["case_ref"] == "XYZ-9999")
    assert draft["status"] == "draft" and draft["completed_at"] is None


def test_csv_export_round_trips_commas_quotes_and_outcomes(stored, capsys):
    assert cli.main(["export", "--format", "csv"]) == 0
    rows = list(csv.DictReader(io.StringIO(capsys.readouterr().out)))
    assert list(rows[0]) == EXPORT_FIELDS
    done = next(r for r in rows if r["case_ref"] == "ABC-1234")
    assert done["other_comments"] == 'She said: "thank you, all of you"'
    assert json.loads(done["outcomes"])[0]["achieved"] == "fully"


def test_date_filters_and_the_audit_entry(stored, capsys):
    assert cli.main(["export", "--format", "json", "--since", "2000-01-01", "--until", "2000-01-02"]) == 0
    assert json.loads(capsys.readouterr().out) == []
    entries = stored.audit_log()
    assert entries[-1]["action"] == "export" and entries[-1]["rows"] == 0
    assert "since=2000-01-01" in entries[-1]["detail"]
