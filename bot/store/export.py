"""`msp-bot export`: feedback sessions as CSV or JSON, audited."""
from __future__ import annotations

import csv
import getpass
import io
import json
import sys
from datetime import date, datetime, time, timezone
from typing import List, Optional

from bot import config
from bot.store import EXPORT_FIELDS, migrate, repository_for


def parse_day(text: Optional[str]) -> Optional[datetime]:
    if not text:
        return None
    return datetime.combine(date.fromisoformat(text), time.min, tzinfo=timezone.utc)


def _jsonable(value):
    if isinstance(value, list):
        return [_jsonable(v) for v in value]
    if isinstance(value, dict):
        return {k: _jsonable(v) for k, v in value.items()}
    return value.isoformat() if isinstance(value, datetime) else value


def render(rows: List[dict], fmt: str) -> str:
    if fmt == "json":
        return json.dumps([{k: _jsonable(r[k]) for k in EXPORT_FIELDS} for r in rows], indent=2, ensure_ascii=False) + "\n"
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=EXPORT_FIELDS, lineterminator="\n")
    writer.writeheader()
    for row in rows:
        flat = {k: _jsonable(row[k]) for k in EXPORT_FIELDS}
        flat["outcomes"] = json.dumps(row["outcomes"], ensure_ascii=False)
        flat["disclosures"] = json.dumps(_jsonable(row["disclosures"]), ensure_ascii=False)
        writer.writerow(flat)
    return out.getvalue()


def export_sessions(args) -> int:
    settings = config.load_settings()
    migrate(settings.database_url)
    repo = repository_for(settings.database_url)
    rows = repo.export(parse_day(args.since), parse_day(args.until))
    text = render(rows, args.format)
    if args.out:
        with open(args.out, "w", encoding="utf-8", newline="") as handle:
            handle.write(text)
    else:
        sys.stdout.write(text)
    repo.audit(getpass.getuser(), "export", f"format={args.format} since={args.since} until={args.until}", len(rows))
    return 0
