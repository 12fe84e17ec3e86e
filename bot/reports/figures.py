"""MSP figures for managers and the Safeguarding Adults Board, in the
categories of the national Safeguarding Adults Collection, with small numbers
suppressed so that no adult can be identified.

Rule: a count from 1 to 4 is shown as "<5" and its percentage is withheld.
Where only one count in a group is withheld, the next smallest non-zero count
is withheld too ("*"), or it could be worked out from the total.
"""
from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import datetime
from typing import Dict, Iterable, List, Optional, Sequence

from bot.feedback.questionnaire import questionnaire
from bot.store.models import ACHIEVED, ANSWER_VALUES, OUTCOMES_ASKED, QUESTION_KEYS, RESPONDENTS, RISK_RESULTS

SMALL_MAX = 4
SMALL_TEXT = "<5"
SECONDARY_TEXT = "*"
WITHHELD = "withheld"
ANSWER_LABELS = {"yes": "Yes", "partly": "Partly", "no": "No", "not_answered": "Not answered"}


@dataclass
class Cell:
    key: str
    label: str
    count: int        # the true count: never rendered, kept for charts of safe values only
    shown: str        # what may be published
    percent: str      # "37%", "-" (no total) or "withheld"

    @property
    def safe(self) -> bool:
        return self.shown not in (SMALL_TEXT, SECONDARY_TEXT)

    def public(self) -> dict:
        return {"key": self.key, "label": self.label, "count": self.shown, "percent": self.percent}


def show_total(count: int) -> str:
    return SMALL_TEXT if 1 <= count <= SMALL_MAX else str(count)


def group(counts: Dict[str, int], labels: Dict[str, str]) -> List[Cell]:
    """One suppressed group: counts of categories that add up to a total."""
    total = sum(counts.values())
    cells = []
    for key, label in labels.items():
        count = counts.get(key, 0)
        small = 1 <= count <= SMALL_MAX
        cells.append(Cell(key, label, count, SMALL_TEXT if small else str(count), WITHHELD if small else ""))
    withheld = [c for c in cells if not c.safe]
    if len(withheld) == 1:
        others = sorted((c for c in cells if c.safe and c.count > 0), key=lambda c: c.count)
        if others:
            others[0].shown, others[0].percent = SECONDARY_TEXT, WITHHELD
    small_total = 1 <= total <= SMALL_MAX
    for cell in cells:
        if cell.percent == WITHHELD:
            continue
        if total == 0:
            cell.percent = "-"
        elif small_total:
            cell.percent = WITHHELD
        else:
            cell.percent = f"{round(100 * cell.count / total)}%"
    return cells


def training_figures(attempts: Iterable[dict]) -> List[dict]:
    """Attempts and share correct by quiz topic, small counts suppressed."""
    by_topic: Dict[str, List[bool]] = {}
    for attempt in attempts:
        by_topic.setdefault(attempt["quiz_topic"], []).append(bool(attempt["correct"]))
    rows = []
    for topic in sorted(by_topic):
        results = by_topic[topic]
        small = len(results) <= SMALL_MAX
        share = WITHHELD if small else f"{round(100 * sum(results) / len(results))}%"
        rows.append({"topic": topic, "attempts": show_total(len(results)), "share_correct": share})
    return rows


def _in_period(value: Optional[datetime], since: Optional[datetime], until: Optional[datetime]) -> bool:
    if value is None:
        return False
    return (since is None or value >= since) and (until is None or value < until)


@dataclass
class Report:
    since: Optional[datetime]
    until: Optional[datetime]
    generated_at: datetime
    completed: str
    drafts_never_completed: str
    disclosures_flagged: str
    respondents: List[Cell]
    outcomes_asked: List[Cell]
    achieved_overall: List[Cell]
    achieved_by_outcome: Dict[str, List[Cell]]
    closing_questions: Dict[str, List[Cell]]
    risk_result: List[Cell]
    training: List[dict]

    def public(self) -> dict:
        """Only publishable values: suppressed counts never leave this object."""
        def cells(items):
            return [c.public() for c in items]

        return {
            "period": {"since": _iso(self.since), "until": _iso(self.until)},
            "generated_at": _iso(self.generated_at),
            "sessions": {
                "completed": self.completed,
                "drafts_never_completed": self.drafts_never_completed,
                "disclosures_flagged": self.disclosures_flagged,
            },
            "respondents": cells(self.respondents),
            "outcomes_asked": cells(self.outcomes_asked),
            "outcomes_achieved": cells(self.achieved_overall),
            "outcomes_achieved_by_outcome": {k: cells(v) for k, v in self.achieved_by_outcome.items()},
            "closing_questions": {k: cells(v) for k, v in self.closing_questions.items()},
            "risk_result": cells(self.risk_result),
            "training": self.training,
        }


def _iso(value: Optional[datetime]) -> Optional[str]:
    return value.isoformat() if value else None


def build_report(
    sessions: Sequence[dict],
    since: Optional[datetime],
    until: Optional[datetime],
    generated_at: datetime,
    training: Iterable[dict] = (),
) -> Report:
    """Figures over sessions completed in [since, until); drafts and
    disclosures over sessions started in that period."""
    q = questionnaire()
    completed = [s for s in sessions if s["status"] == "completed" and _in_period(s["completed_at"], since, until)]
    started = [s for s in sessions if _in_period(s["started_at"], since, until)]
    drafts = [s for s in started if s["status"] == "draft"]
    flagged = [s for s in started if s["disclosure_flag"]]

    def count(values):
        return Counter(v for v in values if v is not None)

    expressed = [o for s in completed if s["outcomes_asked"] == "asked_expressed" for o in s["outcomes"]]
    outcome_labels = {**q.outcome_items, "own_words": "In the adult's own words"}
    achieved_labels = {k: q.achieved[k].title for k in ACHIEVED}
    by_outcome = {}
    for key, label in outcome_labels.items():
        chosen = [o["achieved"] for o in expressed if o["outcome"] == key]
        by_outcome[label] = group(count(chosen), achieved_labels)
    return Report(
        since=since,
        until=until,
        generated_at=generated_at,
        completed=show_total(len(completed)),
        drafts_never_completed=show_total(len(drafts)),
        disclosures_flagged=show_total(len(flagged)),
        respondents=group(count(s["respondent"] for s in completed), {k: q.respondents[k].title for k in RESPONDENTS}),
        outcomes_asked=group(count(s["outcomes_asked"] for s in completed),
                             {k: q.outcomes_asked[k].title for k in OUTCOMES_ASKED}),
        achieved_overall=group(count(o["achieved"] for o in expressed), achieved_labels),
        achieved_by_outcome=by_outcome,
        closing_questions={
            f"{q.number_of(key)}. {q.question(key, 'adult')}": group(
                count(s[key] for s in completed), {v: ANSWER_LABELS[v] for v in ANSWER_VALUES})
            for key in QUESTION_KEYS
        },
        risk_result=group(count(s["risk_result"] for s in completed), {k: q.risk_results[k].title for k in RISK_RESULTS}),
        training=list(training),
    )
