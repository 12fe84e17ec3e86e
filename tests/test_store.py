"""The repository keeps every answer exactly once, in UTC, on SQLite and PostgreSQL."""
from __future__ import annotations

from datetime import timedelta, timezone

import pytest
from sqlalchemy import inspect

from bot.store import EXPORT_FIELDS, UnknownSession, migrate
from bot.store.db import session_factory


def test_migrations_create_the_tables_and_can_run_again(database_url):
    migrate(database_url)  # second time: nothing to do, no error
    engine = session_factory(database_url).kw["bind"]
    tables = set(inspect(engine).get_table_names())
    assert {"feedback_session", "feedback_answer", "desired_outcome", "audit_log", "alembic_version"} <= tables


def test_an_answer_given_twice_is_stored_once_with_the_latest_value(repo):
    session_id = repo.open_session("conv-1", "ABC-1234")
    repo.record_answer(session_id, "listened_to", "partly", "They listened, mostly.")
    repo.record_answer(session_id, "listened_to", "yes", "They listened.")  # a retried or changed answer
    row = repo.get(session_id)
    assert row["listened_to"] == "yes"
    assert row["listened_to_comment"] == "They listened."
    assert [r for r in repo.export() if r["case_ref"] == "ABC-1234"] == [row]


def test_the_adults_words_are_kept_exactly_as_given(repo):
    words = "  I felt they didn't listen at first — then they did 😊 <b>really</b> '; DROP TABLE x; --\n"
    session_id = repo.open_session("conv-1", "ABC-1234")
    repo.record_answer(session_id, "feels_safe", "partly", words)
    repo.update_session(session_id, other_comments=words)
    row = repo.get(session_id)
    assert row["feels_safe_comment"] == words
    assert row["other_comments"] == words


def test_reopening_a_case_resumes_its_draft_instead_of_starting_again(repo):
    first = repo.open_session("conv-1", "ABC-1234")
    repo.record_answer(first, "goals_achieved", "yes")
    again = repo.open_session("conv-2", "ABC-1234")
    assert again == first
    assert repo.get(again)["goals_achieved"] == "yes"
    repo.complete(first)
    assert repo.open_session("conv-3", "ABC-1234") != first  # a completed session is not reopened


def test_completing_marks_the_time_in_utc_and_twice_keeps_the_first(repo):
    session_id = repo.open_session("conv-1", "12345678")
    repo.complete(session_id)
    first = repo.get(session_id)
    repo.complete(session_id)
    second = repo.get(session_id)
    assert first["status"] == second["status"] == "completed"
    assert second["completed_at"] == first["completed_at"]
    assert first["completed_at"].utcoffset() == timedelta(0)
    assert first["started_at"].tzinfo is not None and first["started_at"] <= first["completed_at"]


def test_values_outside_the_fixed_vocabulary_are_refused_and_nothing_changes(repo):
    session_id = repo.open_session("conv-1", "ABC-1234")
    repo.record_answer(session_id, "feels_safe", "no")
    with pytest.raises(ValueError):
        repo.record_answer(session_id, "feels_safe", "maybe")
    with pytest.raises(ValueError):
        repo.record_answer(session_id, "favourite_colour", "yes")
    with pytest.raises(ValueError):
        repo.update_session(session_id, respondent="neighbour")
    with pytest.raises(ValueError):
        repo.set_outcomes(session_id, [{"outcome": "feel_safer", "achieved": "mostly"}])
    row = repo.get(session_id)
    assert row["feels_safe"] == "no" and row["respondent"] is None and row["outcomes"] == []


def test_unknown_session_is_an_error_not_a_silent_insert(repo):
    with pytest.raises(UnknownSession):
        repo.record_answer("no-such-session", "feels_safe", "yes")
    assert repo.export() == []


def test_outcomes_are_replaced_in_order_with_the_adults_own_words(repo):
    session_id = repo.open_session("conv-1", "ABC-1234")
    repo.set_outcomes(session_id, [{"outcome": "feel_safer", "achieved": "partially"}])
    repo.set_outcomes(
        session_id,
        [
            {"outcome": "maintain_relationship", "achieved": "fully"},
            {"outcome": "own_words", "own_words": "I want my garden back", "achieved": "not"},
        ],
    )
    assert repo.get(session_id)["outcomes"] == [
        {"outcome": "maintain_relationship", "own_words": None, "achieved": "fully"},
        {"outcome": "own_words", "own_words": "I want my garden back", "achieved": "not"},
    ]


def test_export_has_exactly_the_agreed_fields_and_filters_by_start_date(repo):
    a = repo.open_session("conv-1", "ABC-0001")
    repo.update_session(a, respondent="advocate", outcomes_asked="asked_expressed", risk_result="reduced")
    repo.flag_disclosure(a)
    rows = repo.export()
    assert list(rows[0]) == EXPORT_FIELDS
    assert rows[0]["respondent"] == "advocate" and rows[0]["disclosure_flag"] is True
    started = rows[0]["started_at"]
    assert repo.export(since=started + timedelta(seconds=1)) == []
    assert len(repo.export(since=started - timedelta(days=1), until=started + timedelta(days=1))) == 1
    assert started.tzinfo == timezone.utc or started.utcoffset() == timedelta(0)


def test_a_snapshot_saved_twice_writes_each_row_once(repo):
    sid = repo.open_session("conv-1", "ABC-1234")
    snapshot = dict(
        fields={"respondent": "adult", "outcomes_asked": "asked_expressed"},
        answers={"goals_achieved": ("yes", None), "listened_to": ("partly", "Mostly, yes")},
        outcomes=[{"outcome": "feel_safer", "own_words": None, "achieved": "fully"}],
    )
    repo.save_snapshot(sid, **snapshot)
    repo.save_snapshot(sid, **snapshot)  # a retry after a timeout
    row = repo.get(sid)
    assert row["listened_to_comment"] == "Mostly, yes" and row["goals_achieved"] == "yes"
    assert row["outcomes"] == [{"outcome": "feel_safer", "own_words": None, "achieved": "fully"}]
    engine = session_factory_for(repo)
    with engine.connect() as conn:
        from sqlalchemy import text
        assert conn.execute(text("select count(*) from feedback_answer")).scalar() == 2
        assert conn.execute(text("select count(*) from desired_outcome")).scalar() == 1


def test_a_snapshot_with_a_bad_value_stores_nothing_of_it(repo):
    sid = repo.open_session("conv-1", "ABC-1234")
    repo.save_snapshot(sid, fields={"respondent": "adult"}, answers={"feels_safe": ("yes", None)})
    with pytest.raises(ValueError):
        repo.save_snapshot(sid, fields={"respondent": "advocate"}, answers={"feels_safe": ("sometimes", None)})
    row = repo.get(sid)
    assert row["respondent"] == "adult" and row["feels_safe"] == "yes"


def session_factory_for(repo):
    return repo._sessions.kw["bind"]


@pytest.mark.postgres
def test_replicas_starting_together_on_an_empty_postgresql_all_get_the_schema():
    """Four servers of one deployment migrating and creating the conversation
    table at the same moment: none fails, the schema is there once."""
    import subprocess
    import sys

    from sqlalchemy import text

    from conftest import _postgres_schema_url

    admin, schema, url = _postgres_schema_url()
    start = ("import sys; from bot.store import migrate; from bot.store.db import prepare_conversation_store; "
             "migrate(sys.argv[1]); prepare_conversation_store(sys.argv[1])")
    try:
        starters = [subprocess.Popen([sys.executable, "-c", start, url], stderr=subprocess.PIPE, text=True)
                    for _ in range(4)]
        failures = [p.stderr.read()[-800:] for p in starters if p.wait(timeout=120) != 0]
        assert failures == []
        with admin.connect() as conn:
            tables = set(conn.execute(text("SELECT tablename FROM pg_tables WHERE schemaname = :s"),
                                      {"s": schema}).scalars())
            versions = conn.execute(text(f"SELECT count(*) FROM {schema}.alembic_version")).scalar()
    finally:
        with admin.begin() as conn:
            conn.execute(text(f"DROP SCHEMA {schema} CASCADE"))
        admin.dispose()
    assert {"feedback_session", "quiz_attempt", "audit_log", "events"} <= tables and versions == 1
