"""Startup, memory and latency under load: this assistant beside a stock Rasa
assistant (`rasa init` data, trained in a temporary folder), same machine,
same run, same messages, so every figure is also a ratio.

    make bench          (or: .venv/bin/python bench/load.py [--levels 1 10 50] [--messages 300] [--repeat 3])

Both servers run side by side; each level is run --repeat times, the two
assistants' runs interleaved, and the run with the median throughput is
reported (with every run beside it).

Figures go to bench/results/load.json and are printed as a table.
"""
from __future__ import annotations

import argparse
import asyncio
import itertools
import json
import os
import platform
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from datetime import datetime, timezone
from pathlib import Path
from typing import Dict, List, Optional

import aiohttp

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
TOKEN = "bench-token-" + "b" * 24

GUIDANCE = ["what does proportionality mean?", "when do I refer for an independent advocate?",
            "what are the six principles", "what is a s42 enquiry", "tell me more", "what is MSP",
            "can I override her wishes?", "what is substantial difficulty"]
FEEDBACK = ["record feedback for case BN-{n:07d}", "the adult", "yes", "1 and 9", "fully", "partly", "yes",
            "sort of", "no", "yes", "no", "a bit", "reduced", "nothing else", "/confirm_feedback"]
CASE_NUMBERS = itertools.count(int(time.time()) % 10_000 * 1_000)
QUIZ = ["quiz me", "b", "hint", "a", "skip", "true", "c"]


def script(n: int) -> List[str]:
    """One conversation's realistic mix (26 messages): guidance questions, a
    whole feedback conversation with its database writes, and quiz turns."""
    case = next(CASE_NUMBERS)  # every feedback its own case, as in life
    return [GUIDANCE[n % len(GUIDANCE)], GUIDANCE[(n + 3) % len(GUIDANCE)],
            *[m.format(n=case) for m in FEEDBACK], *QUIZ, "thanks"]


def _parents() -> Dict[int, int]:
    found = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
            found[int(stat.parent.name)] = int(fields[1])
        except (OSError, IndexError, ValueError):
            continue
    return found


def memory_mb(pid: int) -> Dict[str, float]:
    """Memory of a process and all its descendants, in MB: resident (RSS,
    counting pages shared between forked workers once per process) and
    proportional (PSS, each shared page split between its sharers: what the
    family really costs the machine)."""
    family = _family(pid)
    totals = {"rss_mb": 0, "pss_mb": 0}
    for member in family:
        for field, source, key in (("VmRSS:", "status", "rss_mb"), ("Pss:", "smaps_rollup", "pss_mb")):
            try:
                for line in Path(f"/proc/{member}/{source}").read_text().splitlines():
                    if line.startswith(field):
                        totals[key] += int(line.split()[1])
                        break
            except OSError:
                continue
    return {key: round(value / 1024, 1) for key, value in totals.items()} | {"processes": len(family)}


def _family(pid: int) -> set:
    parents = _parents()
    family, grew = {pid}, True
    while grew:
        more = {child for child, parent in parents.items() if parent in family} - family
        family |= more
        grew = bool(more)
    return family


def first_answer(url: str, process: subprocess.Popen, started: float, timeout: float = 600) -> float:
    body = json.dumps({"sender": "bench-start", "message": "hello"}).encode()
    while time.monotonic() - started < timeout:
        if process.poll() is not None:
            raise SystemExit(f"server exited early ({process.returncode})")
        try:
            request = urllib.request.Request(url, data=body, headers={"Content-Type": "application/json"})
            with urllib.request.urlopen(request, timeout=30) as response:
                if response.status == 200 and json.loads(response.read()):
                    return time.monotonic() - started
        except OSError:
            pass
        time.sleep(0.25)
    raise SystemExit("server did not answer in time")


def stop(process: Optional[subprocess.Popen]) -> None:
    if process and process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()


def percentile(values: List[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(share * (len(ordered) - 1))))]


async def _sender(session, url, name, messages, latencies, errors, per_turn=None):
    for turn, message in enumerate(messages):
        started = time.perf_counter()
        try:
            async with session.post(url, json={"sender": name, "message": message}) as response:
                body = await response.read()
                if response.status >= 500:
                    errors.append(response.status)
                elif not _has_reply(body):
                    # a fast server that stopped answering is not fast: counted, and
                    # this assistant must answer every message (main() checks)
                    errors.append("no reply")
        except aiohttp.ClientError as error:
            errors.append(type(error).__name__)
        elapsed = (time.perf_counter() - started) * 1000
        latencies.append(elapsed)
        if per_turn is not None:
            per_turn.setdefault(turn, []).append(elapsed)


def _has_reply(body: bytes) -> bool:
    try:
        replies = json.loads(body)
    except ValueError:
        return False
    return isinstance(replies, list) and any(r.get("text") or r.get("buttons") or r.get("custom") or r.get("image")
                                             for r in replies if isinstance(r, dict))


async def _practitioner(session, url, name, n, budget, latencies, errors):
    """One practitioner at a time on this line: whole conversations (the
    script), each under a new sender id, until the message budget is spent."""
    conversation = 0
    while budget > 0:
        messages = script(n + conversation)[:budget]
        await _sender(session, url, f"{name}-{conversation}", messages, latencies, errors)
        budget -= len(messages)
        conversation += 1


async def load(url: str, senders: int, messages_per_level: int, tag: str) -> dict:
    per_sender = max(1, messages_per_level // senders)
    latencies: List[float] = []
    errors: list = []
    timeout = aiohttp.ClientTimeout(total=300)
    async with aiohttp.ClientSession(timeout=timeout, connector=aiohttp.TCPConnector(limit=0)) as session:
        started = time.perf_counter()
        await asyncio.gather(*[
            _practitioner(session, url, f"{tag}-{senders}-{n}", n * 7, per_sender, latencies, errors)
            for n in range(senders)
        ])
        elapsed = time.perf_counter() - started
    return {"senders": senders, "messages": len(latencies), "errors": len(errors),
            "unanswered": errors.count("no reply"),
            "per_second": round(len(latencies) / elapsed, 1),
            "p50_ms": round(percentile(latencies, 0.5), 1), "p95_ms": round(percentile(latencies, 0.95), 1),
            "p99_ms": round(percentile(latencies, 0.99), 1)}


async def long_conversation(url: str, tag: str, conversations: int = 10, turns: int = 40) -> dict:
    per_turn: Dict[int, List[float]] = {}
    messages = (GUIDANCE * 10)[:turns]
    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=300)) as session:
        for n in range(conversations):
            await _sender(session, url, f"{tag}-long-{n}", messages, [], [], per_turn)
    first, last = statistics.median(per_turn[0]), statistics.median(per_turn[turns - 1])
    return {"turn_1_p50_ms": round(first, 1), "turn_40_p50_ms": round(last, 1), "ratio": round(last / first, 2)}


def _median_of(runs: List[dict]) -> dict:
    """The run with the median throughput, the others kept beside it: one
    run at a level swings by a fifth on a shared 2-core machine."""
    ranked = sorted(runs, key=lambda run: run["per_second"])
    middle = dict(ranked[(len(ranked) - 1) // 2])
    middle["errors"] = sum(run["errors"] for run in runs)  # every run's failures count
    middle["unanswered"] = sum(run["unanswered"] for run in runs)
    middle["runs"] = [{k: run[k] for k in ("per_second", "p50_ms", "p95_ms", "p99_ms", "errors")} for run in runs]
    return middle


class Server:
    """One assistant under test: started, timed to its first answer, stopped."""

    def __init__(self, name: str, command: List[str], cwd: Path, env: dict, url: str, logs: Path):
        self.name, self.command, self.cwd, self.env, self.url, self.logs = name, command, cwd, env, url, logs
        self.process: Optional[subprocess.Popen] = None
        self.result: dict = {}

    def start(self) -> None:
        self.log = open(self.logs / f"{self.name}-server.log", "ab")  # in the temporary folder, never the project
        started = time.monotonic()
        self.process = subprocess.Popen(self.command, cwd=self.cwd, env=self.env, stdout=self.log,
                                        stderr=subprocess.STDOUT, start_new_session=True)
        startup = round(first_answer(self.url, self.process, started), 1)
        self.result.setdefault("startup_s", startup)  # the first start, with nothing else loaded
        self.result.setdefault("memory_idle", memory_mb(self.process.pid))

    def stop(self) -> None:
        stop(self.process)
        if self.process is not None:
            self.log.close()
        self.process = None


def measure(servers: List[Server], levels, messages, repeat: int = 1) -> None:
    """Each server started in turn (startup timed with the others idle), then
    the levels with the servers' runs interleaved (stock, ours, stock, ours,
    ...): this machine's own speed drifts by a fifth within minutes, and
    interleaving puts both assistants under the same drift. Memory is
    measured with each server alone."""
    try:
        for server in servers:
            server.start()
        for server in servers:
            server.result["levels"] = []
        for level in levels:
            runs: Dict[str, list] = {server.name: [] for server in servers}
            for run in range(repeat):
                for server in servers:
                    runs[server.name].append(asyncio.run(load(server.url, level, messages, f"{server.name}-r{run}")))
            for server in servers:
                server.result["levels"].append(_median_of(runs[server.name]))
        for server in servers:
            server.result["conversation_length"] = asyncio.run(long_conversation(server.url, server.name))
        # Memory with each server alone: two servers from one virtualenv share
        # the libraries' pages, and PSS would split them between the two. The
        # last is measured as it is once the others stop; the others are
        # started again alone and given the same load first.
        *others, last = servers
        for server in others:
            server.stop()
        last.result["memory_after_load"] = memory_mb(last.process.pid)
        last.stop()
        for server in others:
            server.start()
            for level in levels:
                for run in range(repeat):
                    asyncio.run(load(server.url, level, messages, f"{server.name}-alone-r{run}"))
            asyncio.run(long_conversation(server.url, f"{server.name}-alone"))
            server.result["memory_after_load"] = memory_mb(server.process.pid)
            server.stop()
    finally:
        for server in servers:
            server.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--levels", type=int, nargs="+", default=[1, 10, 50])
    parser.add_argument("--messages", type=int, default=300, help="messages per concurrency level and run")
    parser.add_argument("--repeat", type=int, default=3,
                        help="runs per level, one after another on the same server; the median run is reported")
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "results" / "load.json")
    parser.add_argument("--reuse-stock", action="store_true",
                        help="take the stock assistant's figures from --out instead of measuring them again")
    parser.add_argument("--train", action="store_true",
                        help="also time a full training of this assistant (about 13 minutes on 2 cores)")
    parser.add_argument("--label", default="", help="what this run tries (kept in the results)")
    parser.add_argument("--workers", type=int, default=1, help="Sanic workers for this assistant (needs Redis if > 1)")
    parser.add_argument("--lock-store", default=os.environ.get("LOCK_STORE_URL", "redis://127.0.0.1:6379/0"),
                        help="Redis for the lock store when --workers > 1")
    args = parser.parse_args()

    env = dict(os.environ, RASA_TELEMETRY_ENABLED="false", TF_CPP_MIN_LOG_LEVEL="2")
    work = Path(tempfile.mkdtemp(prefix="msp-bench-"))
    try:
        servers = []
        if args.reuse_stock:
            stock = json.loads(args.out.read_text())["stock"]
        else:
            stock_dir = work / "stock"
            stock_dir.mkdir()  # rasa init wants the folder to exist
            started = time.monotonic()
            subprocess.run([str(BIN / "rasa"), "init", "--no-prompt", "--init-dir", str(stock_dir)], env=env,
                           check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            stock_train = round(time.monotonic() - started, 1)
            print(f"stock assistant trained in {stock_train} s", flush=True)
            servers.append(Server("stock", [str(BIN / "rasa"), "run", "--port", "5405", "--interface", "127.0.0.1"],
                                  stock_dir, env, "http://127.0.0.1:5405/webhooks/rest/webhook", work))
        ours_train = None
        if args.train:
            started = time.monotonic()
            subprocess.run([str(BIN / "msp-bot"), "train", "--force", "--out", str(work / "models")], cwd=ROOT,
                           env=env, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            ours_train = round(time.monotonic() - started, 1)
            print(f"this assistant trained in {ours_train} s", flush=True)
        ours_env = dict(env, RASA_PORT="5305", ACTION_PORT="5355", RASA_API_TOKEN=TOKEN,
                        DATABASE_URL=f"sqlite:///{work / 'msp.db'}", SANIC_WORKERS=str(args.workers))
        if args.workers > 1:
            ours_env["LOCK_STORE_URL"] = args.lock_store
        ours_env.pop("TRACKER_DATABASE_URL", None)
        servers.append(Server("ours", [str(BIN / "msp-bot"), "run"], ROOT, ours_env,
                              "http://127.0.0.1:5305/webhooks/rest/webhook", work))
        measure(servers, args.levels, args.messages, args.repeat)
        results = {server.name: server.result for server in servers}
        ours = results["ours"]
        if not args.reuse_stock:
            stock = results["stock"]
            stock["train_s"] = stock_train
        ours["train_s"] = ours_train
        ours["settings"] = {name: ours_env.get(name, "") for name in
                            ("SANIC_WORKERS", "LOCK_STORE_URL", "TF_INTRA_OP_PARALLELISM_THREADS")}
    finally:
        shutil.rmtree(work, ignore_errors=True)

    ratios = {
        "startup": round(ours["startup_s"] / stock["startup_s"], 2),
        "memory_after_load_pss": round(ours["memory_after_load"]["pss_mb"] / stock["memory_after_load"]["pss_mb"], 2),
        "memory_after_load_rss": round(ours["memory_after_load"]["rss_mb"] / stock["memory_after_load"]["rss_mb"], 2),
    }
    for mine, theirs in zip(ours["levels"], stock["levels"]):
        ratios[f"throughput_{mine['senders']}"] = round(mine["per_second"] / theirs["per_second"], 2)
        ratios[f"p95_{mine['senders']}"] = round(mine["p95_ms"] / theirs["p95_ms"], 2)
    result = {"measured_at": datetime.now(timezone.utc).isoformat(), "label": args.label,
              "machine": {"python": platform.python_version(), "cpus": os.cpu_count()},
              "ours": ours, "stock": stock, "ratios_ours_over_stock": ratios}
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=2))

    print(f"\n{'':24}{'ours':>12}{'stock':>12}{'ratio':>8}")
    print(f"{'startup to answer (s)':24}{ours['startup_s']:>12}{stock['startup_s']:>12}{ratios['startup']:>8}")
    for kind in ("pss", "rss"):
        print(f"{f'memory after load, {kind.upper()}':24}{ours['memory_after_load'][kind + '_mb']:>12}"
              f"{stock['memory_after_load'][kind + '_mb']:>12}{ratios['memory_after_load_' + kind]:>8}")
    for mine, theirs in zip(ours["levels"], stock["levels"]):
        n = mine["senders"]
        print(f"{f'{n} senders: msg/s':24}{mine['per_second']:>12}{theirs['per_second']:>12}"
              f"{ratios[f'throughput_{n}']:>8}")
        print(f"{f'{n} senders: p50/p95/p99':24}{mine['p50_ms']:>4}/{mine['p95_ms']}/{mine['p99_ms']}"
              f"{'':2}{theirs['p50_ms']}/{theirs['p95_ms']}/{theirs['p99_ms']}  p95 x{ratios[f'p95_{n}']}")
        if len(mine.get("runs", [])) > 1:
            print(f"{'':4}each run, msg/s: ours {', '.join(str(r['per_second']) for r in mine['runs'])}; "
                  f"stock {', '.join(str(r['per_second']) for r in theirs.get('runs', []))}")
    for label, data in (("ours", ours), ("stock", stock)):
        c = data["conversation_length"]
        print(f"{label}: turn 1 p50 {c['turn_1_p50_ms']} ms, turn 40 p50 {c['turn_40_p50_ms']} ms (x{c['ratio']})")
    print(f"training: stock rasa init {stock['train_s']} s, this assistant {ours['train_s'] or 'not timed'} s")
    for label, data in (("ours", ours), ("stock", stock)):
        print(f"{label}: errors " + ", ".join(f"{lv['senders']} senders {lv['errors']} ({lv.get('unanswered', 0)} "
                                              f"unanswered)" for lv in data["levels"]))
    print(f"\nWritten to {args.out.relative_to(ROOT) if args.out.is_relative_to(ROOT) else args.out}")
    if any(level["errors"] for level in ours["levels"]):
        raise SystemExit("this assistant failed or left messages unanswered under load: its figures don't count")


if __name__ == "__main__":
    main()
