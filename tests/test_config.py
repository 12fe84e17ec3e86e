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
    for name in ("DATABASE_URL", "TRACKER_DATABASE_URL", "RASA_HOST", "ACTION_HOST", "RASA_API_TOKEN"):
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
