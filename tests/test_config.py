"""Configuration: safe defaults, a private token, one change to move to PostgreSQL."""
from __future__ import annotations

import os
import stat

import pytest

from bot import config


@pytest.fixture
def project(tmp_path, monkeypatch):
    (tmp_path / ".env.example").write_text(config.ENV_EXAMPLE.read_text())
    monkeypatch.setattr(config, "ENV_FILE", tmp_path / ".env")
    monkeypatch.setattr(config, "ENV_EXAMPLE", tmp_path / ".env.example")
    saved = dict(os.environ)  # load_dotenv writes into os.environ
    for name in ("DATABASE_URL", "TRACKER_DATABASE_URL", "RASA_HOST", "ACTION_HOST", "RASA_API_TOKEN",
                 "LOCK_STORE_URL", "SANIC_WORKERS"):
        os.environ.pop(name, None)
    yield tmp_path
    os.environ.clear()
    os.environ.update(saved)


def test_first_run_writes_a_private_env_with_a_random_token(project):
    assert config.ensure_env_file() is True
    text = (project / ".env").read_text()
    token = [l.split("=", 1)[1] for l in text.splitlines() if l.startswith("RASA_API_TOKEN=")][0]
    assert token != config.TOKEN_PLACEHOLDER and len(token) >= 32
    assert stat.S_IMODE((project / ".env").stat().st_mode) == 0o600
    assert config.ensure_env_file() is False  # never overwritten
    assert (project / ".env").read_text() == text


def test_defaults_bind_to_localhost_and_use_sqlite_files_under_var(project):
    config.ensure_env_file()
    settings = config.load_settings()
    assert settings.rasa_host == settings.action_host == "127.0.0.1"
    assert settings.database_url == f"sqlite:///{config.PROJECT_ROOT / 'var' / 'msp.db'}"
    assert settings.tracker_database_url == f"sqlite:///{config.PROJECT_ROOT / 'var' / 'msp-tracker.db'}"
    assert settings.action_endpoint == "http://127.0.0.1:5055/webhook"


def test_one_database_url_moves_both_stores_to_postgresql(project, monkeypatch):
    monkeypatch.setenv("DATABASE_URL", "postgresql://msp@db.internal:5432/msp")
    settings = config.load_settings()
    assert settings.database_url == settings.tracker_database_url == "postgresql://msp@db.internal:5432/msp"


def test_telemetry_is_off_in_the_example_configuration():
    assert "RASA_TELEMETRY_ENABLED=false" in config.ENV_EXAMPLE.read_text()


def test_replicas_get_rasas_redis_lock_store_from_one_url(project, monkeypatch):
    from bot import cli

    monkeypatch.setenv("LOCK_STORE_URL", "rediss://:s%40cret@cache.internal:6380/2")
    monkeypatch.setenv("SANIC_WORKERS", "2")
    monkeypatch.setenv("RASA_PORT", "5999")
    settings = config.load_settings()
    assert settings.sanic_workers == 2
    assert config.lock_store_endpoint(settings.lock_store_url) == {
        "type": "redis", "url": "cache.internal", "port": 6380, "db": 2, "key_prefix": "msp", "use_ssl": True,
        "password": "s@cret"}
    written = cli._endpoints_file(settings)
    try:
        import yaml

        endpoints = yaml.safe_load(open(written))
        assert endpoints["lock_store"]["url"] == "cache.internal"
        assert endpoints["tracker_store"] == {"type": "bot.store.conversations.KeptConversationsSQLTrackerStore",
                                              "url": "${TRACKER_DATABASE_URL}"}  # still from env
        assert stat.S_IMODE(os.stat(written).st_mode) == 0o600  # holds the password
    finally:
        os.remove(written)


def test_several_workers_without_a_shared_lock_store_are_refused_with_a_reason(project, monkeypatch):
    from bot import cli

    monkeypatch.setenv("SANIC_WORKERS", "3")
    with pytest.raises(SystemExit, match="LOCK_STORE_URL"):
        cli._endpoints_file(config.load_settings())
    monkeypatch.setenv("SANIC_WORKERS", "none")
    with pytest.raises(SystemExit, match="SANIC_WORKERS"):
        config.load_settings()
    monkeypatch.setenv("SANIC_WORKERS", "1")
    monkeypatch.setenv("LOCK_STORE_URL", "http://cache:6379")
    with pytest.raises(SystemExit, match="redis://"):
        config.lock_store_endpoint(config.load_settings().lock_store_url)
    monkeypatch.delenv("LOCK_STORE_URL")
    assert cli._endpoints_file(config.load_settings()) == "endpoints.yml"
