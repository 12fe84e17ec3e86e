"""`msp-bot`: every project command, so the Makefile stays a list of steps."""
from __future__ import annotations

import argparse
import os
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import List, Optional

from bot import config

ROOT = config.PROJECT_ROOT
MODELS_DIR = ROOT / "models"
MODEL_NAME = "msp"


def _env(settings: config.Settings) -> dict:
    """The environment every Rasa process gets: endpoints.yml reads it."""
    env = os.environ.copy()
    env.update(
        RASA_TELEMETRY_ENABLED="false",
        SQLALCHEMY_SILENCE_UBER_WARNING="1",
        TF_DETERMINISTIC_OPS="1",  # seeds fixed and deterministic ops: training repeats
        TF_CPP_MIN_LOG_LEVEL=env.get("TF_CPP_MIN_LOG_LEVEL", "2"),
        PYTHONWARNINGS=env.get("PYTHONWARNINGS", "ignore"),
        ACTION_ENDPOINT_URL=settings.action_endpoint,
        TRACKER_DATABASE_URL=settings.tracker_database_url,
        DATABASE_URL=settings.database_url,
        RASA_API_TOKEN=settings.api_token,
        SANIC_WORKERS=str(settings.sanic_workers),
    )
    return env


def _rasa(args: List[str]) -> List[str]:
    return [sys.executable, "-m", "bot.rasa_entry", *args]


def _run_rasa(args: List[str], settings: config.Settings) -> int:
    return subprocess.call(_rasa(args), cwd=ROOT, env=_env(settings))


def _endpoints_file(settings: config.Settings) -> str:
    """endpoints.yml, plus the Redis lock store when LOCK_STORE_URL is set:
    replicas (or several Sanic workers) must share one lock per conversation."""
    lock_store = config.lock_store_endpoint(settings.lock_store_url)
    if settings.sanic_workers > 1 and not lock_store:
        raise SystemExit("SANIC_WORKERS > 1 needs LOCK_STORE_URL (Redis): without a shared lock two workers "
                         "could handle one conversation at the same time.")
    if not lock_store:
        return "endpoints.yml"
    import yaml

    endpoints = yaml.safe_load((ROOT / "endpoints.yml").read_text(encoding="utf-8"))
    endpoints["lock_store"] = lock_store
    target = ROOT / "var" / f"endpoints-{settings.rasa_port}.yml"
    target.parent.mkdir(parents=True, exist_ok=True)
    scratch = target.with_suffix(f".{os.getpid()}.tmp")
    scratch.write_text(yaml.safe_dump(endpoints, sort_keys=False), encoding="utf-8")
    scratch.chmod(0o600)  # may hold the Redis password
    scratch.replace(target)
    return str(target)


def latest_model() -> Optional[Path]:
    models = sorted(MODELS_DIR.glob("*.tar.gz"), key=lambda p: p.stat().st_mtime)
    return models[-1] if models else None


# -- setup steps -----------------------------------------------------------
def cmd_init_env(_args) -> int:
    if config.ensure_env_file():
        print("Wrote .env from .env.example with a new random RASA_API_TOKEN.", flush=True)
    return 0


def cmd_build_data(_args) -> int:
    from bot.content.training_data import write_training_data

    for path in write_training_data(ROOT / "data"):
        print(f"Wrote {path.relative_to(ROOT)}")
    return 0


def cmd_build_nlp(_args) -> int:
    from bot.nlp.pipeline import save_pipeline

    print(f"Built the spaCy pipeline in {save_pipeline().relative_to(ROOT)}")
    return 0


def cmd_migrate(_args) -> int:
    from bot.store import migrate

    migrate(config.load_settings().database_url)
    return 0


def cmd_train(args) -> int:
    settings = config.load_settings()
    out = Path(args.out or MODELS_DIR)
    cmd = ["train", "--fixed-model-name", MODEL_NAME, "--out", str(out)]
    if args.force:
        cmd.append("--force")
    code = _run_rasa(cmd, settings)
    if code == 0 and (out / f"{MODEL_NAME}.tar.gz").exists():
        (out / f"{MODEL_NAME}.tar.gz").touch()  # Make sees it is up to date
    return code


def cmd_validate(_args) -> int:
    return _run_rasa(["data", "validate", "--fail-on-warnings"], config.load_settings())


def cmd_test_stories(_args) -> int:
    """Rasa replays the test stories against the model's predictions; it
    runs no custom action, so no action server or tracker store is needed."""
    return _run_rasa(
        [
            "test", "core",
            "--stories", "tests/stories",
            "--model", str(latest_model()),
            "--out", "results",
            "--fail-on-prediction-errors",
        ],
        config.load_settings(),
    )


# -- servers ---------------------------------------------------------------
class _action_server:
    """The action server as a child process, bound to ACTION_HOST (127.0.0.1)."""

    def __init__(self, settings: config.Settings, wait: bool = True):
        self.settings = settings
        self.wait = wait  # False: the caller starts Rasa meanwhile, then calls wait_until_ready()
        self.process: Optional[subprocess.Popen] = None

    def __enter__(self) -> subprocess.Popen:
        env = _env(self.settings)
        env["SANIC_HOST"] = self.settings.action_host  # rasa_sdk binds to this
        self.process = subprocess.Popen(
            [sys.executable, "-m", "rasa_sdk", "--actions", "actions", "--port", str(self.settings.action_port)],
            cwd=ROOT,
            env=env,
        )
        if self.wait:
            self.wait_until_ready()
        return self.process

    def wait_until_ready(self) -> None:
        try:
            _wait_for(f"http://{self.settings.action_host}:{self.settings.action_port}/health", self.process, 60)
        except BaseException:  # Ctrl-C/SIGTERM while starting: __exit__ won't run, so stop it here
            _stop(self.process)
            raise

    def __exit__(self, *exc) -> None:
        _stop(self.process)


def _wait_for(url: str, process: subprocess.Popen, timeout: float, headers: dict = None) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"A server stopped while starting (exit code {process.returncode}).")
        try:
            with urllib.request.urlopen(urllib.request.Request(url, headers=headers or {}), timeout=2):
                return
        except (urllib.error.URLError, ConnectionError, OSError):
            time.sleep(0.5)
    raise SystemExit(f"Timed out waiting for {url}")


def _stop(process: Optional[subprocess.Popen]) -> None:
    if process is None or process.poll() is not None:
        return
    process.terminate()  # Sanic shuts down cleanly on SIGTERM
    try:
        process.wait(timeout=15)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def _interrupt(*_) -> None:
    raise KeyboardInterrupt


def _stop_on_signals() -> None:
    """Ctrl-C or SIGTERM stops the servers, even when started in the background
    (where a shell makes the process ignore SIGINT)."""
    signal.signal(signal.SIGINT, _interrupt)
    signal.signal(signal.SIGTERM, _interrupt)


def cmd_run(_args) -> int:
    """Both servers; Ctrl-C (or SIGTERM) stops both."""
    config.ensure_env_file()
    settings = config.load_settings()
    if not settings.api_token or settings.api_token == config.TOKEN_PLACEHOLDER:
        raise SystemExit("RASA_API_TOKEN is not set in .env: the HTTP API needs a token.")
    from bot.store import migrate
    from bot.store.db import prepare_conversation_store

    migrate(settings.database_url)
    prepare_conversation_store(settings.tracker_database_url)
    model = latest_model()
    if model is None:
        if cmd_train(argparse.Namespace(force=False, out=None)) != 0:
            return 1
        model = latest_model()
    endpoints = _endpoints_file(settings)
    _stop_on_signals()
    rasa: Optional[subprocess.Popen] = None
    try:
        actions = _action_server(settings, wait=False)  # both start at once: Rasa doesn't call it until a message
        with actions:
            rasa = subprocess.Popen(
                _rasa(
                    [
                        "run", "--enable-api",
                        "--interface", settings.rasa_host,
                        "--port", str(settings.rasa_port),
                        "--model", str(model),
                        "--endpoints", endpoints,
                        "--credentials", "credentials.yml",
                    ],
                ),
                cwd=ROOT,
                env=_env(settings),
            )
            base = f"http://{settings.rasa_host}:{settings.rasa_port}"
            actions.wait_until_ready()
            _wait_for(f"{base}/status?token={settings.api_token}", rasa, 180)
            print(
                "\nThe MSP Assistant is running.\n"
                f"  Page:  {base}/webhooks/web/\n"
                f"  REST:  POST {base}/webhooks/rest/webhook  {{\"sender\": \"me\", \"message\": \"hi\"}}\n"
                f"  API:   {base}/status?token=<RASA_API_TOKEN from .env>\n"
                "  Shell: make shell (in another terminal)\n"
                "Press Ctrl-C to stop both servers.\n",
                flush=True,
            )
            return rasa.wait()
    except KeyboardInterrupt:
        return 0
    finally:
        _stop(rasa)


def cmd_actions(_args) -> int:
    settings = config.load_settings()
    _stop_on_signals()
    try:
        with _action_server(settings) as process:
            return process.wait()
    except KeyboardInterrupt:
        return 0


def cmd_shell(_args) -> int:
    settings = config.load_settings()
    from bot.store import migrate

    migrate(settings.database_url)
    with _action_server(settings):
        return _run_rasa(["shell", "--model", str(latest_model()), "--endpoints", "endpoints.yml"], settings)


def cmd_export(args) -> int:
    from bot.store.export import export_sessions

    return export_sessions(args)


def _repository(settings: config.Settings):
    from bot.store import migrate, repository_for

    migrate(settings.database_url)
    return repository_for(settings.database_url)


def cmd_report(args) -> int:
    """MSP figures for managers and the SAB, small numbers suppressed."""
    import getpass
    from datetime import datetime, timezone

    from bot.reports.figures import build_report
    from bot.reports.render import RENDERERS
    from bot.store.export import parse_day

    from bot.reports.figures import training_figures
    from bot.store import training_repository_for

    settings = config.load_settings()
    repo = _repository(settings)
    since, until = parse_day(args.since), parse_day(args.until)
    training = training_figures(training_repository_for(settings.database_url).attempts(since, until))
    report = build_report(repo.export(), since, until, datetime.now(timezone.utc), training)
    text = RENDERERS[args.format](report)
    if args.out:
        Path(args.out).write_text(text, encoding="utf-8")
        print(f"Wrote {args.out}")
    else:
        sys.stdout.write(text)
    repo.audit(getpass.getuser(), "report", f"format={args.format} since={args.since} until={args.until}",
               int(report.completed) if report.completed.isdigit() else 0)
    return 0


def cmd_purge(args) -> int:
    from bot.store.retention import purge

    settings = config.load_settings()
    repo = _repository(settings)

    def confirm(plan) -> bool:
        print(f"Older than {args.older_than} days (before {plan.cutoff:%Y-%m-%d %H:%M} UTC): "
              f"{plan.sessions} feedback sessions and {plan.tracker_events} conversation events.")
        if args.yes:
            return True
        try:
            return input("Delete them? Type yes to confirm: ").strip().lower() == "yes"
        except EOFError:  # no terminal to answer: never delete without --yes
            return False

    done = purge(repo, settings.tracker_database_url, args.older_than, confirm)
    if done is None:
        print("Nothing deleted.")
        return 1
    print(f"Deleted {done.sessions} feedback sessions and {done.tracker_events} conversation events.")
    return 0


def cmd_demo_data(args) -> int:
    from bot.reports.demo import generate

    count = generate(_repository(config.load_settings()), sessions=args.sessions, seed=args.seed)
    print(f"Added {count} clearly fake feedback sessions (case references DEMO-0001...).")
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="msp-bot", description="The MSP Assistant's commands.")
    sub = parser.add_subparsers(dest="command", required=True)
    simple = {
        "init-env": (cmd_init_env, "write .env from .env.example with a random API token"),
        "build-data": (cmd_build_data, "write Rasa training data and responses from bot/content"),
        "build-nlp": (cmd_build_nlp, "build the project's spaCy pipeline"),
        "migrate": (cmd_migrate, "apply database migrations"),
        "validate": (cmd_validate, "rasa data validate --fail-on-warnings"),
        "test-stories": (cmd_test_stories, "run the test stories with --fail-on-prediction-errors"),
        "run": (cmd_run, "start the action server and the Rasa server"),
        "actions": (cmd_actions, "start the action server only"),
        "shell": (cmd_shell, "talk to the assistant in this terminal"),
    }
    for name, (func, help_text) in simple.items():
        sub.add_parser(name, help=help_text).set_defaults(func=func)
    train = sub.add_parser("train", help="train the model (skipped by Rasa when nothing changed)")
    train.add_argument("--force", action="store_true")
    train.add_argument("--out", help="folder for the model (default: models/, where `run` looks)")
    train.set_defaults(func=cmd_train)
    export = sub.add_parser("export", help="write feedback sessions as CSV or JSON")
    export.add_argument("--format", choices=["csv", "json"], default="csv")
    export.add_argument("--since", help="YYYY-MM-DD, sessions started on or after")
    export.add_argument("--until", help="YYYY-MM-DD, sessions started before")
    export.add_argument("--out", help="file to write (default: standard output)")
    export.set_defaults(func=cmd_export)
    report = sub.add_parser("report", help="MSP report over completed sessions (small numbers suppressed)")
    report.add_argument("--format", choices=["html", "csv", "json"], default="html")
    report.add_argument("--since", help="YYYY-MM-DD, sessions completed on or after")
    report.add_argument("--until", help="YYYY-MM-DD, sessions completed before")
    report.add_argument("--out", help="file to write (default: standard output)")
    report.set_defaults(func=cmd_report)
    purge = sub.add_parser("purge", help="delete feedback and conversations older than DAYS")
    purge.add_argument("--older-than", type=int, required=True, metavar="DAYS")
    purge.add_argument("--yes", action="store_true", help="do not ask for confirmation")
    purge.set_defaults(func=cmd_purge)
    demo = sub.add_parser("demo-data", help="add a realistic, clearly fake set of sessions")
    demo.add_argument("--sessions", type=int, default=120)
    demo.add_argument("--seed", type=int, default=7)
    demo.set_defaults(func=cmd_demo_data)
    return parser


def main(argv: Optional[List[str]] = None) -> int:
    args = build_parser().parse_args(argv)
    return args.func(args) or 0


if __name__ == "__main__":
    sys.exit(main())
