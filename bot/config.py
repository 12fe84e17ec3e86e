"""Settings from the environment (a `.env` file via python-dotenv).

Every default works on a laptop with nothing else installed: SQLite files
under `var/`, servers on 127.0.0.1.
"""
from __future__ import annotations

import os
import re
import secrets
from dataclasses import dataclass
from pathlib import Path

from dotenv import load_dotenv

PROJECT_ROOT = Path(__file__).resolve().parent.parent
ENV_FILE = PROJECT_ROOT / ".env"
ENV_EXAMPLE = PROJECT_ROOT / ".env.example"
TOKEN_PLACEHOLDER = "change-me"

# By default accept the common shapes of a council case reference:
# letters-dash-digits (ABC-1234, SG-2024-00123) or 6-10 digits (12345678).
DEFAULT_CASE_REF_PATTERN = r"[A-Za-z]{2,5}-\d{2,8}(?:-\d{1,8})?|\d{6,9}"


@dataclass(frozen=True)
class Settings:
    database_url: str
    tracker_database_url: str
    rasa_host: str
    rasa_port: int
    action_host: str
    action_port: int
    api_token: str
    case_ref_pattern: str
    lock_store_url: str = ""
    sanic_workers: int = 1

    @property
    def action_endpoint(self) -> str:
        return f"http://{self.action_host}:{self.action_port}/webhook"


def _sqlite_url(path: Path) -> str:
    return f"sqlite:///{path}"


def _tracker_url_for(database_url: str) -> str:
    """The tracker shares the database, except SQLite: there it gets a sibling
    file so the Rasa server and the action server never wait on one writer lock."""
    if database_url.startswith("sqlite:///"):
        path = Path(database_url[len("sqlite:///"):])
        return _sqlite_url(path.with_name(path.stem + "-tracker" + (path.suffix or ".db")))
    return database_url


def ensure_env_file() -> bool:
    """Write `.env` from `.env.example` with a fresh random API token. Returns
    True when a file was written."""
    if ENV_FILE.exists():
        return False
    text = ENV_EXAMPLE.read_text(encoding="utf-8")
    token = secrets.token_urlsafe(32)
    text = re.sub(rf"^RASA_API_TOKEN={TOKEN_PLACEHOLDER}$", f"RASA_API_TOKEN={token}", text, flags=re.M)
    ENV_FILE.write_text(text, encoding="utf-8")
    ENV_FILE.chmod(0o600)
    return True


def load_settings() -> Settings:
    """Read `.env` (never overriding variables already set) and the environment."""
    load_dotenv(ENV_FILE, override=False)
    env = os.environ
    default_db = _sqlite_url(PROJECT_ROOT / "var" / "msp.db")
    database_url = env.get("DATABASE_URL") or default_db
    if database_url.startswith("sqlite:///") and not database_url.startswith("sqlite:////"):
        # A relative SQLite path is relative to the project, whatever the cwd.
        database_url = _sqlite_url(PROJECT_ROOT / database_url[len("sqlite:///"):])
    return Settings(
        database_url=database_url,
        tracker_database_url=env.get("TRACKER_DATABASE_URL") or _tracker_url_for(database_url),
        rasa_host=env.get("RASA_HOST", "127.0.0.1"),
        rasa_port=int(env.get("RASA_PORT", "5005")),
        action_host=env.get("ACTION_HOST", "127.0.0.1"),
        action_port=int(env.get("ACTION_PORT", "5055")),
        api_token=env.get("RASA_API_TOKEN", ""),
        case_ref_pattern=env.get("CASE_REF_PATTERN") or DEFAULT_CASE_REF_PATTERN,
        lock_store_url=env.get("LOCK_STORE_URL", "").strip(),
        sanic_workers=_positive_int(env.get("SANIC_WORKERS", "1"), "SANIC_WORKERS"),
    )


def _positive_int(value: str, name: str) -> int:
    try:
        number = int(value)
    except ValueError:
        number = 0
    if number < 1:
        raise SystemExit(f"{name} must be a whole number of at least 1, not {value!r}.")
    return number


def lock_store_endpoint(url: str) -> dict:
    """Rasa's `lock_store` section for a redis:// or rediss:// URL
    (redis://[:password@]host[:port][/db]); {} when no URL is set."""
    from urllib.parse import unquote, urlsplit

    if not url:
        return {}
    parts = urlsplit(url)
    if parts.scheme not in ("redis", "rediss") or not parts.hostname:
        raise SystemExit("LOCK_STORE_URL must look like redis://host:6379/0 (or rediss:// for TLS).")
    try:
        db = int(parts.path.strip("/") or 0)
        port = parts.port or 6379
    except ValueError:
        raise SystemExit("LOCK_STORE_URL: the port and the database must be numbers, e.g. redis://host:6379/0.")
    section = {"type": "redis", "url": parts.hostname, "port": port, "db": db, "key_prefix": "msp",
               "use_ssl": parts.scheme == "rediss"}
    if parts.username:
        section["username"] = unquote(parts.username)
    if parts.password:
        section["password"] = unquote(parts.password)
    return section
