"""The HTML report, opened in Chromium: its charts load and each has a text
alternative carrying the same figures as the JSON report."""
from __future__ import annotations

import json
import re

from bot import cli
from bot.config import PROJECT_ROOT


def test_the_html_report_shows_its_charts_with_text_alternatives(browser, tmp_path, monkeypatch):
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'msp.db'}")
    assert cli.main(["demo-data", "--sessions", "60"]) == 0
    assert cli.main(["report", "--format", "html", "--out", str(tmp_path / "report.html")]) == 0
    assert cli.main(["report", "--format", "json", "--out", str(tmp_path / "report.json")]) == 0
    figures = json.loads((tmp_path / "report.json").read_text())

    page = browser.new_page()
    page.goto((tmp_path / "report.html").as_uri())
    charts = page.evaluate(
        "Array.from(document.images).map(i => ({alt: i.alt, loaded: i.complete && i.naturalWidth > 100,"
        " caption: i.closest('figure').querySelector('figcaption').textContent}))"
    )
    assert len(charts) == 4
    assert all(chart["loaded"] for chart in charts)
    assert all(chart["alt"] == chart["caption"] for chart in charts)
    adult = next(c for c in figures["respondents"] if c["key"] == "adult")
    assert f"The adult: {adult['count']}" in charts[0]["alt"]
    risk = next(c for c in figures["risk_result"] if c["key"] == "reduced")
    assert f"Risk reduced: {risk['count']}" in charts[3]["alt"]
    text = page.inner_text("main")
    assert "Period: the start to now." in text and re.search(r"Made \d{4}-\d\d-\d\dT[\d:.]+\+00:00 \(UTC\)", text)
    (PROJECT_ROOT / "results").mkdir(exist_ok=True)
    page.screenshot(path=str(PROJECT_ROOT / "results" / "report.png"), full_page=True)
    page.close()
