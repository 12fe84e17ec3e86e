"""Held-out topic accuracy and macro-F1: the trained pipeline beside a
TF-IDF + logistic-regression baseline, on the same split, in one run.

    make bench-nlu          (or: .venv/bin/python bench/nlu.py [--heldout PATH])
"""
from __future__ import annotations

import argparse
import json
import platform
import time
from datetime import datetime, timezone
from pathlib import Path

from bot.cli import latest_model
from bot.nlp.evaluation import (
    baseline_predictions,
    load_heldout,
    misses,
    pipeline_predictions,
    score,
    training_examples,
)

ROOT = Path(__file__).resolve().parents[1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--heldout", type=Path, default=ROOT / "tests" / "nlu" / "heldout.yml")
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "results" / "nlu.json")
    args = parser.parse_args()

    questions = load_heldout(args.heldout)
    texts, expected = [t for t, _ in questions], [topic for _, topic in questions]
    train = training_examples()

    started = time.perf_counter()
    ours = pipeline_predictions(latest_model(), texts)
    ours_seconds = time.perf_counter() - started
    started = time.perf_counter()
    base = baseline_predictions(train, texts)
    base_seconds = time.perf_counter() - started

    rows = [("Rasa pipeline (models/msp.tar.gz)", score(expected, ours), ours_seconds),
            ("TF-IDF + logistic regression", score(expected, base), base_seconds)]
    print(f"Held-out questions: {len(questions)}; training examples: {len(train)}")
    print(f"{'model':<36} {'accuracy':>9} {'macro-F1':>9} {'seconds':>8}")
    for name, result, seconds in rows:
        print(f"{name:<36} {result.accuracy:>9.3f} {result.macro_f1:>9.3f} {seconds:>8.1f}")
    wrong = misses(questions, ours)
    if wrong:
        print("\nPipeline misses:")
        for miss in wrong:
            print(f"  {miss['text']!r}: expected {miss['expected']}, got {miss['got']}")

    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps({
        "measured_at": datetime.now(timezone.utc).isoformat(),
        "machine": {"python": platform.python_version(), "processor": platform.machine()},
        "heldout": len(questions),
        "training_examples": len(train),
        "pipeline": {**vars(rows[0][1]), "seconds": round(ours_seconds, 2), "misses": wrong},
        "baseline": {**vars(rows[1][1]), "seconds": round(base_seconds, 2), "misses": misses(questions, base)},
    }, indent=2))
    print(f"\nWritten to {args.out.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
