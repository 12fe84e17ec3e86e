"""The assistant as `msp-bot run` starts it, on test ports and a throwaway
database, shared by the full-stack and the browser tests."""
from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
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


def _get(path, token=None):
    url = f"{BASE}{path}" + (f"?token={token}" if token else "")
    try:
        with urllib.request.urlopen(url, timeout=10) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.read()


def say(sender, message):
    request = urllib.request.Request(
        f"http://127.0.0.1:{RASA_PORT}/webhooks/rest/webhook",
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


@contextmanager
def running_assistant(var: Path):
    """Both servers on the test ports; yields where their log and data are."""
    log = var / "server.log"
    env = dict(os.environ)
    env.update(
        RASA_PORT=str(RASA_PORT), ACTION_PORT=str(ACTION_PORT), RASA_API_TOKEN=TOKEN,
        DATABASE_URL=f"sqlite:///{var / 'msp.db'}", LOG_LEVEL="INFO",
    )
    env.pop("TRACKER_DATABASE_URL", None)
    with open(log, "wb") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "bot.cli", "run"], cwd=PROJECT_ROOT, env=env, stdout=out, stderr=subprocess.STDOUT
        )
        deadline = time.monotonic() + 240
        while time.monotonic() < deadline:
            assert process.poll() is None, log.read_text()[-3000:]
            try:
                if _get("/status", TOKEN)[0] == 200:
                    break
            except OSError:
                pass
            time.sleep(1)
        else:
            process.kill()
            pytest.fail("server did not start:\n" + log.read_text()[-3000:])
        try:
            yield {"process": process, "log": log, "var": var}
        finally:
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(timeout=60)
            except subprocess.TimeoutExpired:
                process.kill()




def _export(server, fmt="json"):
    """What `msp-bot export` prints for the running assistant's database."""
    env = dict(os.environ, DATABASE_URL=f"sqlite:///{server['var'] / 'msp.db'}")
    out = subprocess.run([sys.executable, "-m", "bot.cli", "export", "--format", fmt], cwd=PROJECT_ROOT, env=env,
                         capture_output=True, text=True, timeout=120, check=True)
    return out.stdout
