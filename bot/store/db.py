"""Engine and session factory from DATABASE_URL, with migrations applied."""
from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from sqlalchemy import create_engine, event
from sqlalchemy.engine import Engine
from sqlalchemy.orm import sessionmaker
from sqlalchemy.pool import QueuePool

MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"


def make_engine(url: str) -> Engine:
    """hide_parameters: errors never quote the values (the adult's words).

    A SQLite file gets a pool of open connections (SQLAlchemy 1.4 opens a new
    one for every session, re-reading the schema each time) and the WAL
    journal (one sync per commit instead of three; still durable at commit)."""
    if url.startswith("sqlite"):
        path = url.split(":///", 1)[-1]
        pooled = {}
        if path and path != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
            # the pool hands a connection to one thread at a time
            pooled = {"poolclass": QueuePool, "pool_size": 5, "max_overflow": 10}
        engine = create_engine(url, future=True, hide_parameters=True,
                               connect_args={"timeout": 30, "check_same_thread": not pooled}, **pooled)

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_connection, _record):  # pragma: no cover - driver hook
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.close()

        return engine
    return create_engine(url, future=True, hide_parameters=True, pool_pre_ping=True)


def alembic_config(url: str):
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    cfg.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return cfg


# Several servers starting together on one PostgreSQL take turns to change its
# schema (a transaction-level advisory lock, released at commit).
SCHEMA_LOCK_KEY = 0x4D5350


def hold_schema_lock(connection) -> None:
    if connection.dialect.name == "postgresql":
        connection.exec_driver_sql(f"SELECT pg_advisory_xact_lock({SCHEMA_LOCK_KEY})")


def prepare_conversation_store(url: str) -> None:
    """Create Rasa's tracker table before the servers start: two replicas that
    find an empty PostgreSQL would otherwise both create it and one would fail."""
    if not url.startswith("postgresql"):
        return  # SQLite: one server per file, Rasa creates it
    from rasa.core.tracker_store import SQLTrackerStore

    engine = make_engine(url)
    try:
        with engine.begin() as connection:
            hold_schema_lock(connection)
            SQLTrackerStore.Base.metadata.create_all(connection)
    finally:
        engine.dispose()


def migrate(url: str) -> None:
    """Bring the schema to the newest revision (idempotent, safe to run from
    several servers at once on PostgreSQL)."""
    from alembic import command

    make_engine(url).dispose()  # creates the SQLite directory
    command.upgrade(alembic_config(url), "head")


@lru_cache(maxsize=8)
def session_factory(url: str) -> sessionmaker:
    """One pool per database URL per process; sessions are short-lived."""
    return sessionmaker(bind=make_engine(url), future=True, expire_on_commit=False)
