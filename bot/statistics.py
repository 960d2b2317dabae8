"""Statistics for commissioners in the bot and on the command line: `/stats` for supervisors,
and the text, CSV and JSON renderings of `conversations.statistics`.

Labels are in the reader's language (the command line's in English); CSV and JSON carry the
stable keys, for a spreadsheet or a script. A suppressed count reads "<5"; a figure hidden so
that a small one cannot be worked out, or a time from fewer than five, reads "*".
"""

from __future__ import annotations

import csv
import io
import json
import re
from datetime import date
from typing import Any

from telegram import Update

from bot import notices
from bot.content import journey_content
from bot.gate import to_staff
from bot.i18n import N_, SUPPORTED, Translator
from bot.runtime import AlongsideContext
from conversations.disclosure import HIDDEN, UNDER_5, Cell
from conversations.errors import AccessDenied
from conversations.journey import parse_stage
from conversations.outgoing import Outgoing
from conversations.statistics import NOT_RECORDED, NOT_SET, Period, Section, Statistics
from conversations.statistics import for_staff as statistics_for_staff

MARKS = {UNDER_5: "<5", HIDDEN: "*"}
MONTH = re.compile(r"^(\d{4})-(\d{2})(?:-(\d{2}))?$")
# The chart's few words: matplotlib's own font has no Ethiopic letters and it does not join
# Arabic script, so those readers' charts are labelled in English (their text is not).
CHART_FALLBACK = frozenset({"ar", "prs", "fa", "ps", "ckb", "ti", "am"})

TITLES = {
    "supported": N_("Young people supported"),
    "languages": N_("Language"),
    "age_bands": N_("Age band"),
    "stages": N_("Journey stage"),
    "alerts": N_("Alerts"),
    "check_ins": N_("Check-ins"),
    "responses": N_("Answers to young people's messages"),
    "missing": N_("Missing episodes"),
    "months": N_("By month"),
}
LABELS = {
    "young_people": N_("Young people supported"),
    NOT_RECORDED: N_("not recorded"),
    NOT_SET: N_("not set"),
    "raised": N_("raised"),
    "urgent": N_("urgent"),
    "concern": N_("concern"),
    "acknowledged_p50": N_("first acknowledgement, median minutes"),
    "acknowledged_p90": N_("first acknowledgement, 90th percentile minutes"),
    "never_acknowledged": N_("never acknowledged"),
    "sent": N_("sent"),
    "answered": N_("answered"),
    "not_answered": N_("not answered"),
    "answered_percent": N_("answered, per cent"),
    "waits": N_("messages waiting for an answer"),
    "first_answer_p50": N_("first answer, median minutes"),
    "first_answer_p90": N_("first answer, 90th percentile minutes"),
    "alerts": N_("Alerts"),
    "episodes": N_("episodes opened"),
    "young_people_missing": N_("young people missing at least once"),
    "episodes_per_young_person": N_("episodes per young person missing"),
    "missing_percent": N_("of those supported, per cent"),
    "missing_p50": N_("time missing, median minutes"),
    "not_found": N_("not yet found"),
    "interviews_due": N_("found (a return interview due)"),
    "interviews_in_time": N_("return interviews done within 72 hours"),
}


def parse_month(raw: str) -> date | None:
    """A month as YYYY-MM (a full date is taken as its month: nothing finer is reported)."""
    found = MONTH.match(raw.strip())
    if found is None:
        return None
    try:
        return date(int(found[1]), int(found[2]), int(found[3] or 1)).replace(day=1)
    except ValueError:
        return None


def last_months(today: date, count: int = 12) -> tuple[date, date]:
    index = today.year * 12 + today.month - 1 - (count - 1)
    return date(index // 12, index % 12 + 1, 1), today.replace(day=1)


def mark(cell: Cell) -> str:
    if cell.value is not None:
        return str(cell.value)
    return MARKS.get(cell.hidden or "", "-")


def label(tr: Translator, section: str, key: str, region: str = "uk") -> str:
    if section == "languages" and key in SUPPORTED:
        return SUPPORTED[key].native
    if section == "stages" and (stage := parse_stage(key)) is not None:
        return journey_content(region).stages[stage].title.render(tr)
    return tr._(LABELS[key]) if key in LABELS else key


def as_text(tr: Translator, stats: Statistics, region: str = "uk") -> str:
    first, last = f"{stats.period.first:%Y-%m}", f"{stats.period.last:%Y-%m}"
    lines = [
        tr._("Statistics, {first} to {last}", first=first, last=last),
        tr._("<5: fewer than 5. *: hidden, so that a small number cannot be worked out."),
    ]
    for section in stats.sections:
        title = tr._(TITLES[section.key]) if section.key in TITLES else section.key
        if section.columns != ("value",):
            title += " (" + " / ".join(label(tr, "", c) for c in section.columns) + ")"
        lines += ["", title]
        for row in section.rows:
            values = " / ".join(mark(cell) for cell in row.cells)
            lines.append(f"  {label(tr, section.key, row.key, region)}: {values}")
    return "\n".join(lines)


def as_csv(stats: Statistics) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["from", "to", "section", "row", "column", "unit", "value"])
    period = (f"{stats.period.first:%Y-%m}", f"{stats.period.last:%Y-%m}")
    for section in stats.sections:
        for row in section.rows:
            for column, cell in zip(section.columns, row.cells, strict=True):
                writer.writerow([*period, section.key, row.key, column, row.unit, mark(cell)])
    return out.getvalue()


def _json_value(cell: Cell) -> int | float | str | None:
    return cell.value if cell.value is not None else MARKS.get(cell.hidden or "")


def as_json(stats: Statistics) -> str:
    return json.dumps(
        {
            "from": f"{stats.period.first:%Y-%m}",
            "to": f"{stats.period.last:%Y-%m}",
            "marks": {
                "<5": "fewer than 5",
                "*": "hidden so that a small number cannot be worked out",
            },
            "sections": [_section_json(s) for s in stats.sections],
        },
        ensure_ascii=False,
        indent=2,
    )


def _section_json(section: Section) -> dict[str, Any]:
    return {
        "key": section.key,
        "columns": list(section.columns),
        "rows": [
            {"key": r.key, "unit": r.unit, "values": [_json_value(c) for c in r.cells]}
            for r in section.rows
        ],
    }


def chart(tr: Translator, stats: Statistics) -> Outgoing:
    """The monthly trend, drawn when it is sent (`bot.charts`) from these figures alone."""
    months = stats.section("months")
    rows = months.rows if months is not None else ()
    return Outgoing(
        kind="chart",
        extra={
            "title": tr._("By month"),
            "months": [row.key for row in rows],
            "series": [
                [tr._(LABELS["young_people"]), [_json_value(row.cells[0]) for row in rows]],
                [tr._(LABELS["alerts"]), [_json_value(row.cells[1]) for row in rows]],
            ],
        },
    )


async def stats_command(update: Update, ctx: AlongsideContext) -> None:
    """``/stats`` for the last 12 months, ``/stats FROM TO`` (months) for others."""
    staff, tr = ctx.staff, ctx.tr
    args = [a for a in (ctx.args or ()) if a]
    settings = ctx.runtime.settings
    zone = settings.zone
    first, last = last_months(ctx.uow.now.astimezone(zone).date())
    if args:
        months = [parse_month(a) for a in args]
        if len(args) > 2 or None in months:
            await to_staff(ctx, staff, Outgoing(text=notices.statistics_usage(tr)))
            return
        first, last = months[0] or first, months[-1] or last
    if last < first:
        first, last = last, first
    try:
        stats = await statistics_for_staff(ctx.uow, staff, Period.of(first, last, zone))
    except AccessDenied:
        # Routing lets only supervisors in; one who left the staff since is told the same.
        await to_staff(ctx, staff, Outgoing(text=tr._("Only a supervisor can do that.")))
        return
    chart_tr = ctx.runtime.tr("en") if staff.locale in CHART_FALLBACK else tr
    await to_staff(ctx, staff, Outgoing(text=as_text(tr, stats, settings.region)))
    await to_staff(ctx, staff, chart(chart_tr, stats))
