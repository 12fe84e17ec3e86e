"""The assistant as `msp-bot run` starts it, on test ports and a throwaway
database, shared by the full-stack and the browser tests."""
from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from contextlib import contextmanager
from pathlib import Path

import pytest

from bot.config import PROJECT_ROOT

RASA_PORT, ACTION_PORT = 5105, 5155
TOKEN = "test-token-" + "x" * 24
PLANTED = "Zebedee Quackenbush of 4 Privet Lane"
BASE = f"http://127.0.0.1:{RASA_PORT}"
PAGE = f"{BASE}/webhooks/web/"


def _get(path, token=None, base=BASE):
    url = f"{base}{path}" + (f"?token={token}" if token else "")
    try:
        with urllib.request.urlopen(url, timeout=10) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.read()


def say(sender, message, base=BASE):
    request = urllib.request.Request(
        f"{base}/webhooks/rest/webhook",
        data=json.dumps({"sender": sender, "message": message}).encode(),
        headers={"Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=60) as response:
        assert response.status == 200
        return json.loads(response.read())


def _listening_addresses(port):
    """Local addresses with a listening socket on the port, from /proc/net/tcp{,6}."""
    found = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        for line in Path(table).read_text().splitlines()[1:]:
            local, state = line.split()[1], line.split()[3]
            address, hex_port = local.split(":")
            if int(hex_port, 16) == port and state == "0A":
                found.add(address)
    return found


def _wait_ready(running, deadline_seconds=240):
    process, log, base = running["process"], running["log"], running["base"]
    deadline = time.monotonic() + deadline_seconds
    while time.monotonic() < deadline:
        assert process.poll() is None, log.read_text()[-3000:]
        try:
            if _get("/status", TOKEN, base)[0] == 200:
                return
        except OSError:
            pass
        time.sleep(1)
    process.kill()
    pytest.fail("server did not start:\n" + log.read_text()[-3000:])


@contextmanager
def running_assistants(*specs):
    """Several assistants started at once (each spec: var, rasa_port,
    action_port, log_name, extra_env); yields them when all answer."""
    started = []
    try:
        for var, rasa_port, action_port, log_name, extra_env in specs:
            env = dict(os.environ)
            env.update(
                RASA_PORT=str(rasa_port), ACTION_PORT=str(action_port), RASA_API_TOKEN=TOKEN,
                DATABASE_URL=f"sqlite:///{var / 'msp.db'}", LOG_LEVEL="INFO",
            )
            env.pop("TRACKER_DATABASE_URL", None)
            env.update(extra_env or {})
            log = var / log_name
            with open(log, "wb") as out:
                process = subprocess.Popen([sys.executable, "-m", "bot.cli", "run"], cwd=PROJECT_ROOT, env=env,
                                           stdout=out, stderr=subprocess.STDOUT)
            started.append({"process": process, "log": log, "var": var, "base": f"http://127.0.0.1:{rasa_port}",
                            "env": env, "action_port": action_port})
        for running in started:
            _wait_ready(running)
        yield started
    finally:
        for running in started:
            running["process"].send_signal(signal.SIGTERM)
        for running in started:
            try:
                running["process"].wait(timeout=60)
            except subprocess.TimeoutExpired:
                running["process"].kill()


@contextmanager
def running_assistant(var: Path, rasa_port: int = RASA_PORT, action_port: int = ACTION_PORT, log_name="server.log",
                      extra_env=None):
    """Both servers on the test ports; yields where their log and data are."""
    with running_assistants((var, rasa_port, action_port, log_name, extra_env)) as (running,):
        yield running


def _export(server, fmt="json"):
    """What `msp-bot export` prints for the running assistant's database."""
    env = dict(os.environ, DATABASE_URL=server["env"]["DATABASE_URL"])
    out = subprocess.run([sys.executable, "-m", "bot.cli", "export", "--format", fmt], cwd=PROJECT_ROOT, env=env,
                         capture_output=True, text=True, timeout=120, check=True)
    return out.stdout


def action_server_pids(server) -> list:
    """The action server started by this assistant (`python -m rasa_sdk ... --port N`)."""
    found = []
    for cmdline in Path("/proc").glob("[0-9]*/cmdline"):
        try:
            args = cmdline.read_bytes().split(b"\0")
        except OSError:
            continue
        if b"rasa_sdk" in args and str(server["action_port"]).encode() in args:
            found.append(int(cmdline.parent.name))
    return found


@contextmanager
def standalone_action_server(server):
    """An action server like the one `msp-bot run` starts, on the same port."""
    env = dict(server["env"], SANIC_HOST="127.0.0.1")
    with open(server["var"] / "actions.log", "ab") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "rasa_sdk", "--actions", "actions", "--port", str(server["action_port"])],
            cwd=PROJECT_ROOT, env=env, stdout=out, stderr=subprocess.STDOUT)
        try:
            deadline = time.monotonic() + 60
            while time.monotonic() < deadline:
                try:
                    urllib.request.urlopen(f"http://127.0.0.1:{server['action_port']}/health", timeout=2)
                    break
                except OSError:
                    time.sleep(0.5)
            yield process
        finally:
            process.terminate()
            process.wait(timeout=30)


class CuttableLink:
    """A TCP forwarder to a real server that a test can cut and restore, so
    'the database is down' is a refused or dropped connection, as in life."""

    def __init__(self, target_port: int, target_host: str = "127.0.0.1"):
        self.target = (target_host, target_port)
        probe = socket.socket()
        probe.bind(("127.0.0.1", 0))
        self.port = probe.getsockname()[1]
        probe.close()
        self._listener = None
        self._open = []
        self._lock = threading.Lock()
        self.restore()

    def restore(self) -> None:
        listener = socket.socket()
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind(("127.0.0.1", self.port))
        listener.listen(64)
        self._listener = listener
        threading.Thread(target=self._accept, args=(listener,), daemon=True).start()

    def cut(self) -> None:
        """Refuse new connections and drop the open ones."""
        try:
            self._listener.shutdown(socket.SHUT_RDWR)  # wakes the accepting thread
        except OSError:
            pass
        self._listener.close()
        with self._lock:
            for conn in self._open:
                try:
                    conn.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass
                conn.close()
            self._open.clear()

    def _accept(self, listener) -> None:
        while True:
            try:
                client, _ = listener.accept()
            except OSError:
                return  # cut
            try:
                server = socket.create_connection(self.target, timeout=5)
                server.settimeout(None)
            except OSError:
                client.close()
                continue
            with self._lock:
                self._open += [client, server]
            for source, sink in ((client, server), (server, client)):
                threading.Thread(target=self._pump, args=(source, sink), daemon=True).start()

    @staticmethod
    def _pump(source, sink) -> None:
        try:
            while True:
                data = source.recv(65536)
                if not data:
                    break
                sink.sendall(data)
        except OSError:
            pass
        finally:
            for end in (source, sink):
                try:
                    end.close()
                except OSError:
                    pass
