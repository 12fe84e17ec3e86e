"""Safety net figures: the phrase-and-pattern check on the project's own
safety suite and on the external development set, and how long the check
takes per message.

    make bench-safety        (or: .venv/bin/python bench/safety_net.py [--corpus PATH])

The development set (../shared/corpus/safety.yml) is only measured here:
its messages are never printed, copied into tests, training data or the
phrase list. Figures are for the check itself (bot/safety), which decides
every alarm; the full-stack tests check the replies.
"""
from __future__ import annotations

import argparse
import json
import platform
import statistics
import sys
import time
from datetime import datetime, timezone
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))

from bot.safety import IMMEDIATE, safety_check  # noqa: E402
from safety import sets  # noqa: E402

DA_QUESTION_WORDS = ("dash", "marac", "idva", "helpline", "domestic abuse", "refuge")


def caught(kind: str, immediate: bool, text: str) -> bool:
    found = safety_check().assess(text)
    categories = set(found.categories)
    if kind == "danger":
        return bool(categories & IMMEDIATE)
    if kind == "suicide":
        return "suicide_now" in categories if immediate else bool(categories & {"suicide", "suicide_now"})
    if kind == "child":
        return "child" in categories
    if kind == "abuse":
        return "domestic_abuse" in categories or (
            found.calm_reason == "question" and any(w in text.lower() for w in DA_QUESTION_WORDS))
    raise ValueError(kind)


def score(positives, near, answers) -> dict:
    by_kind: dict = {}
    for item in positives:
        key = item["kind"] + ("" if item["kind"] != "suicide" else (" (now)" if item.get("immediate") else " (thoughts)"))
        hit = caught(item["kind"], bool(item.get("immediate")), item["q"])
        total, right = by_kind.get(key, (0, 0))
        by_kind[key] = (total + 1, right + int(hit))
    check = safety_check()
    calm = sum(not check.assess(i["q"]).raised for i in near)
    disclosed = [a for a in answers if a["disclosure"]]
    ordinary = [a for a in answers if not a["disclosure"]]
    if not positives and not near:
        return {k: v for k, v in _answers_score(check, disclosed, ordinary).items()}
    return {
        "positives": {k: f"{r}/{t}" for k, (t, r) in sorted(by_kind.items())},
        "positives_caught": f"{sum(r for _, r in by_kind.values())}/{sum(t for t, _ in by_kind.values())}",
        "near_misses_calm": f"{calm}/{len(near)}",
        "feedback_disclosures_caught": f"{sum(check.assess(a['a'], 'feedback').raised for a in disclosed)}/{len(disclosed)}",
        "feedback_ordinary_calm": f"{sum(not check.assess(a['a'], 'feedback').raised for a in ordinary)}/{len(ordinary)}",
    }


def _answers_score(check, disclosed, ordinary) -> dict:
    return {
        "feedback_disclosures_caught": f"{sum(check.assess(a['a'], 'feedback').raised for a in disclosed)}/{len(disclosed)}",
        "feedback_ordinary_calm": f"{sum(not check.assess(a['a'], 'feedback').raised for a in ordinary)}/{len(ordinary)}",
    }


def corpus_items(path: Path):
    raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    fresh = raw.get("fresh") or []
    answers = [{"step": a.get("question"), "a": a["a"], "disclosure": bool(a["disclosure"])}
               for a in raw.get("feedback_answers") or []]
    return [i for i in fresh if i["kind"] != "none"], [i for i in fresh if i["kind"] == "none"], answers


def latency(texts) -> dict:
    check = safety_check()
    for text in texts[:50]:
        check.assess(text)  # warm
    times = []
    for text in texts:
        started = time.perf_counter()
        check.assess(text)
        times.append((time.perf_counter() - started) * 1000)
    times.sort()
    return {"messages": len(times), "mean_ms": round(statistics.mean(times), 3),
            "p95_ms": round(times[int(0.95 * (len(times) - 1))], 3), "max_ms": round(times[-1], 3)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--corpus", type=Path, default=ROOT.parent / "shared" / "corpus" / "safety.yml")
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "results" / "safety.json")
    args = parser.parse_args()

    started = time.perf_counter()
    safety_check()
    load_seconds = time.perf_counter() - started
    result = {
        "when": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "machine": platform.platform(),
        "check_load_seconds": round(load_seconds, 2),
        "own_suite": score(sets.positives(), sets.near_misses(), sets.answers()),
    }
    if sets.heldout_answers():
        result["heldout_adult_answers"] = score([], [], sets.heldout_answers())
    texts = sets.all_texts()
    if args.corpus.exists():
        positives, near, answers = corpus_items(args.corpus)
        result["development_set"] = score(positives, near, answers)
        texts += [i["q"] for i in positives + near] + [a["a"] for a in answers]
    else:
        result["development_set"] = f"not found: {args.corpus}"
    long_message = " ".join(texts[:40])  # a long answer: every message of the suite run together
    result["latency_per_message"] = latency(texts * 3)
    result["latency_long_message_ms"] = latency([long_message] * 20)["mean_ms"]

    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
