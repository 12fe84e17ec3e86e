"""The Rasa entry point wires the fixes each command needs: a server that
never resumed garbage collection after loading its model would grow without
bound, and test stories without the speed-ups would not check what the
server predicts."""
from __future__ import annotations

import json
import subprocess
import sys

import pytest

from bot.config import PROJECT_ROOT

PROBE = """
import gc, json, sys
import rasa.__main__ as rasa_cli
rasa_cli.main = lambda: None  # everything before Rasa's own command line, nothing of it
sys.argv = ["msp"] + sys.argv[1:]
from bot import rasa_entry
rasa_entry.main()
import rasa.core.run
from rasa.engine.runner.dask import DaskGraphRunner
from rasa.core.actions.action import RemoteAction
print(json.dumps({
    "gc_resumes_after_loading": getattr(rasa.core.run.load_agent_on_start, "_msp_gc", False),
    "gc_paused_now": gc.get_threshold()[0] == 0,
    "speedups": getattr(DaskGraphRunner.run, "_msp_sequential", False),
    "outage_said": getattr(RemoteAction.run, "_msp_outage", False),
}))
"""


def _wired(*args):
    done = subprocess.run([sys.executable, "-c", PROBE, *args], cwd=PROJECT_ROOT, capture_output=True, text=True,
                          timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
    return json.loads(done.stdout.strip().splitlines()[-1])


@pytest.mark.parametrize("args, expected", [
    (["run", "--enable-api"], {"gc_resumes_after_loading": True, "gc_paused_now": True, "speedups": True,
                               "outage_said": True}),
    (["test", "core"], {"gc_resumes_after_loading": False, "gc_paused_now": False, "speedups": True,
                        "outage_said": False}),
])
def test_each_command_gets_the_fixes_it_needs(args, expected):
    assert _wired(*args) == expected
