"""The report as JSON, CSV or one self-contained HTML file (charts embedded as
PNG made with matplotlib, each with a text alternative; readable printed).
Only publishable values are rendered: charts draw safe counts and mark
withheld ones, so a bar never reveals a suppressed number."""
from __future__ import annotations

import base64
import csv
import html
import io
import json
from typing import List

from bot.reports.figures import Cell, Report

SECTIONS = (
    ("respondents", "Who answered"),
    ("outcomes_asked", "Desired outcomes: were they asked?"),
    ("achieved_overall", "Expressed outcomes: how far achieved"),
    ("risk_result", "Risk at the end of the enquiry"),
)


def to_json(report: Report) -> str:
    return json.dumps(report.public(), indent=2, ensure_ascii=False) + "\n"


def _rows(report: Report):
    data = report.public()
    for name, value in data["sessions"].items():
        yield ("sessions", name, value, "")
    for key, title in (("respondents", None), ("outcomes_asked", None), ("outcomes_achieved", None), ("risk_result", None)):
        for cell in data[key]:
            yield (key, cell["label"], cell["count"], cell["percent"])
    for outcome, cells in data["outcomes_achieved_by_outcome"].items():
        for cell in cells:
            yield (f"outcome: {outcome}", cell["label"], cell["count"], cell["percent"])
    for question, cells in data["closing_questions"].items():
        for cell in cells:
            yield (f"question {question}", cell["label"], cell["count"], cell["percent"])
    for item in data["training"]:
        yield ("training", item["topic"], item["attempts"], item["share_correct"])


def to_csv(report: Report) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["section", "category", "count", "percent"])
    data = report.public()
    writer.writerow(["period", "since", data["period"]["since"] or "", ""])
    writer.writerow(["period", "until", data["period"]["until"] or "", ""])
    writer.writerow(["period", "generated_at", data["generated_at"], ""])
    for row in _rows(report):
        writer.writerow(row)
    return out.getvalue()


def _chart(title: str, cells: List[Cell]) -> str:
    """A bar chart of the safe counts, as a base64 PNG."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    labels = [c.label for c in cells]
    values = [c.count if c.safe else 0 for c in cells]
    fig, ax = plt.subplots(figsize=(7, 0.5 + 0.45 * len(cells)), dpi=110)
    bars = ax.barh(labels, values, color="#1d70b8")
    for bar, cell in zip(bars, cells):
        ax.text(bar.get_width(), bar.get_y() + bar.get_height() / 2, f" {cell.shown}", va="center", fontsize=9)
    ax.invert_yaxis()
    ax.set_title(title, fontsize=11, loc="left")
    ax.spines[["top", "right"]].set_visible(False)
    ax.tick_params(labelsize=9)
    fig.tight_layout()
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png")
    plt.close(fig)
    return base64.b64encode(buffer.getvalue()).decode("ascii")


def _alt(title: str, cells: List[Cell]) -> str:
    parts = [f"{c.label}: {c.shown}" + (f" ({c.percent})" if c.percent not in ("", "-", "withheld") else "") for c in cells]
    return f"{title.rstrip('.?')}: " + "; ".join(parts) + "."


def _table(cells: List[Cell]) -> str:
    rows = "".join(
        f"<tr><th scope='row'>{html.escape(c.label)}</th><td>{html.escape(c.shown)}</td><td>{html.escape(c.percent)}</td></tr>"
        for c in cells
    )
    return f"<table><thead><tr><th scope='col'>Category</th><th scope='col'>Count</th><th scope='col'>Percent</th></tr></thead><tbody>{rows}</tbody></table>"


def to_html(report: Report) -> str:
    data = report.public()
    period = f"{data['period']['since'] or 'the start'} to {data['period']['until'] or 'now'}"
    parts = [
        "<!doctype html><html lang='en'><head><meta charset='utf-8'>",
        "<meta name='viewport' content='width=device-width, initial-scale=1'>",
        "<title>Making Safeguarding Personal report</title><style>",
        "body{font-family:Arial,sans-serif;max-width:60rem;margin:1rem auto;padding:0 1rem;color:#0b0c0c}",
        "table{border-collapse:collapse;margin:.5rem 0 1.5rem}th,td{border:1px solid #b1b4b6;padding:.25rem .6rem;text-align:left}",
        "img{max-width:100%;height:auto}figure{margin:0 0 1rem}figcaption{font-size:.9rem}",
        "@media print{section{break-inside:avoid}a{color:inherit}}",
        "</style></head><body><main>",
        "<h1>Making Safeguarding Personal report</h1>",
        f"<p>Period: {html.escape(period)}. Made {html.escape(data['generated_at'])} (UTC). Completed sessions: "
        f"{html.escape(data['sessions']['completed'])}; drafts never completed: {html.escape(data['sessions']['drafts_never_completed'])}; "
        f"new disclosures flagged: {html.escape(data['sessions']['disclosures_flagged'])}.</p>",
        "<p>Counts from 1 to 4 are shown as &lt;5 and their percentages withheld; * marks a count withheld so the "
        "others cannot reveal it.</p>",
    ]
    for attribute, title in SECTIONS:
        cells = getattr(report, attribute)
        alt = _alt(title, cells)
        parts.append(f"<section><h2>{html.escape(title)}</h2><figure><img alt='{html.escape(alt, quote=True)}' "
                     f"src='data:image/png;base64,{_chart(title, cells)}'><figcaption>{html.escape(alt)}</figcaption></figure>"
                     f"{_table(cells)}</section>")
    parts.append("<section><h2>Expressed outcomes, one by one</h2>")
    for outcome, cells in report.achieved_by_outcome.items():
        parts.append(f"<h3>{html.escape(outcome)}</h3>{_table(cells)}")
    parts.append("</section><section><h2>The six closing questions</h2>")
    for question, cells in report.closing_questions.items():
        parts.append(f"<h3>{html.escape(question)}</h3>{_table(cells)}")
    parts.append("</section><section><h2>Training</h2>")
    if data["training"]:
        rows = "".join(f"<tr><th scope='row'>{html.escape(t['topic'])}</th><td>{html.escape(str(t['attempts']))}</td>"
                       f"<td>{html.escape(str(t['share_correct']))}</td></tr>" for t in data["training"])
        parts.append(f"<table><thead><tr><th scope='col'>Topic</th><th scope='col'>Attempts</th><th scope='col'>Share correct</th></tr></thead><tbody>{rows}</tbody></table>")
    else:
        parts.append("<p>No training attempts are recorded yet.</p>")
    parts.append("</section></main></body></html>\n")
    return "".join(parts)


RENDERERS = {"json": to_json, "csv": to_csv, "html": to_html}
