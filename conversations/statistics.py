"""Statistics for commissioners: what the service sees, with nothing that identifies anyone.

The report is a list of sections (`SECTIONS`), each made by its own function from the store for
a period of whole months, in plain data that `bot.statistics_texts` renders. No id, reference,
nickname or date finer than a month leaves this module; counts go through
`conversations.disclosure` (under 5 suppressed, totals that would give one away handled).

Definitions, in the deployment's time zone:
- a young person is *supported* while their case is open: from linking until it is closed,
  and again from each reopening. They are supported in a month when they are linked to an
  advocate by its end and were linked or reopened in it, or a message went either way in it
  while their case was open; in the period, when they were in any of its months. Their
  language is their language in the bot now, their journey stage the last one set before the
  period ended. An erased young person is in no figure.
- an *alert* counts in the month it was raised (unlinked senders' alerts too); its time to
  acknowledgement is from raising to the first acknowledgement, whoever gave it.
- a *check-in* counts in the month it was sent; answered whenever it was.
- a *wait* starts at a linked young person's message when no earlier one is waiting, in the
  period, and ends at the next message staff (not an interpreter) sent them, whenever that was.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Awaitable, Callable
from datetime import date, datetime

from sqlalchemy import exists, select

from conversations import disclosure
from conversations.access import may_see_statistics
from conversations.errors import AccessDenied
from conversations.journey import STAGE_ORDER
from conversations.models import (
    Alert,
    CaseClosure,
    Child,
    ClosedSpan,
    Invite,
    Message,
    MissingEpisode,
    StageChange,
)
from conversations.people import StaffView
from conversations.report import (
    NOT_RECORDED,
    NOT_SET,
    Period,
    Population,
    Row,
    Section,
    Statistics,
    next_month,
    one,
    rows_of,
)
from conversations.service_figures import alerts, check_ins, responses
from conversations.store import UnitOfWork

__all__ = ["NOT_RECORDED", "NOT_SET", "SECTIONS", "Period", "Section", "Statistics"]

# The sections -------------------------------------------------------------------------------

Builder = Callable[[UnitOfWork, Period, Population], Awaitable[Section | None]]


async def supported(uow: UnitOfWork, period: Period, people: Population) -> Section:
    cell = disclosure.total(people.total, people.languages, people.stages, people.age_bands)
    return Section("supported", (one("young_people", cell),))


async def languages(uow: UnitOfWork, period: Period, people: Population) -> Section:
    return Section("languages", rows_of(disclosure.partition(people.languages)[0]))


async def age_bands(uow: UnitOfWork, period: Period, people: Population) -> Section:
    """No age is kept: every young person is "not recorded" until an age band is."""
    return Section("age_bands", rows_of(disclosure.partition(people.age_bands)[0]))


async def stages(uow: UnitOfWork, period: Period, people: Population) -> Section:
    return Section("stages", rows_of(disclosure.partition(people.stages)[0]))


async def missing_episodes(uow: UnitOfWork, period: Period, people: Population) -> Section:
    """Episodes opened in the period: how many, how many young people, episodes per young
    person missing, their share of those supported, the median time missing (of those found),
    how many are not yet found, and the return interviews done within their 72 hours (of those
    found in the period)."""
    rows = (
        await uow.session.execute(
            select(
                MissingEpisode.child_id,
                MissingEpisode.opened_at,
                MissingEpisode.closed_at,
                MissingEpisode.interview,
                MissingEpisode.interview_at,
                MissingEpisode.interview_due_at,
            ).where(MissingEpisode.opened_at >= period.start, MissingEpisode.opened_at < period.end)
        )
    ).all()
    found = [r for r in rows if r.closed_at is not None and r.closed_at < period.end]
    durations = [(r.closed_at - r.opened_at).total_seconds() / 60 for r in found]
    in_time = sum(
        r.interview == "done"
        and r.interview_at is not None
        and r.interview_due_at is not None
        and r.interview_at <= r.interview_due_at
        for r in found
    )
    episodes = disclosure.count(len(rows))
    young_people = disclosure.count(len({r.child_id for r in rows}))
    supported = disclosure.total(people.total, people.languages, people.stages, people.age_bands)
    return Section(
        "missing",
        (
            one("episodes", episodes),
            one("young_people_missing", young_people),
            one("episodes_per_young_person", disclosure.ratio(episodes, young_people), "ratio"),
            one("missing_percent", disclosure.share(young_people, supported), "percent"),
            one("missing_p50", disclosure.minutes(durations, 50), "minutes"),
            one("not_found", disclosure.count(len(rows) - len(found))),
            one("interviews_due", disclosure.count(len(found))),
            one("interviews_in_time", disclosure.count(in_time)),
        ),
    )


async def months(uow: UnitOfWork, period: Period, people: Population) -> Section:
    raised = (
        (
            await uow.session.execute(
                select(Alert.raised_at).where(
                    Alert.raised_at >= period.start, Alert.raised_at < period.end
                )
            )
        )
        .scalars()
        .all()
    )
    alerts_by = Counter(period.month_of(at) for at in raised)
    alert_cells, _ = disclosure.partition({f"{m:%Y-%m}": alerts_by[m] for m in period.months})
    return Section(
        "months",
        tuple(
            Row(
                f"{m:%Y-%m}",
                (disclosure.count(people.by_month.get(m, 0)), alert_cells[f"{m:%Y-%m}"]),
            )
            for m in period.months
        ),
        columns=("young_people", "alerts"),
    )


# The order of the report. Missing episodes follow the journey stages.
SECTIONS: tuple[Builder, ...] = (
    supported,
    languages,
    age_bands,
    stages,
    missing_episodes,
    alerts,
    check_ins,
    responses,
    months,
)


# The population ----------------------------------------------------------------------------


# A message sent while its young person's case was open: not in a span it was closed for, nor
# after the closure that still stands.
_case_open = ~exists().where(
    ClosedSpan.child_id == Message.child_id,
    ClosedSpan.closed_at <= Message.created_at,
    ClosedSpan.reopened_at > Message.created_at,
) & ~exists().where(
    CaseClosure.child_id == Message.child_id, CaseClosure.closed_at <= Message.created_at
)


async def population(uow: UnitOfWork, period: Period) -> Population:
    linked = (
        await uow.session.execute(
            select(Child.id, Child.locale, Child.linked_at).where(
                Child.advocate_id.is_not(None), Child.linked_at < period.end
            )
        )
    ).all()
    # A sender who wrote before their invite was used was kept from then: support starts at
    # the invite.
    invited = dict(
        (
            await uow.session.execute(
                select(Invite.child_id, Invite.used_at).where(
                    Invite.child_id.is_not(None), Invite.used_at.is_not(None)
                )
            )
        ).all()
    )
    starts = {cid: max(at, invited.get(cid) or at) for cid, _, at in linked}
    reopened = (
        await uow.session.execute(select(ClosedSpan.child_id, ClosedSpan.reopened_at))
    ).all()
    by_month: dict[date, set[str]] = {}
    for month in period.months:
        low, high = period.start_of(month), period.start_of(next_month(month))
        wrote = set(
            (
                await uow.session.execute(
                    select(Message.child_id)
                    .distinct()
                    .where(Message.created_at >= low, Message.created_at < high, _case_open)
                )
            )
            .scalars()
            .all()
        )
        began = {cid for cid, at in reopened if low <= at < high}
        by_month[month] = {
            cid
            for cid, start in starts.items()
            if start < high and (cid in wrote or cid in began or start >= low)
        }
    ids = set().union(*by_month.values())
    locale = {cid: loc for cid, loc, _ in linked}
    stage = await _stages(uow, ids, period.end)
    return Population(
        total=len(ids),
        languages=dict(Counter(locale[cid] for cid in ids).most_common()),
        stages=_in_order(Counter(stage.get(cid, NOT_SET) for cid in ids)),
        age_bands={NOT_RECORDED: len(ids)},
        by_month={month: len(found) for month, found in by_month.items()},
    )


def _in_order(counts: Counter[str]) -> dict[str, int]:
    order = [s.value for s in STAGE_ORDER] + [NOT_SET]
    return {key: counts[key] for key in order if counts[key]} | {
        key: n for key, n in counts.items() if key not in order
    }


async def _stages(uow: UnitOfWork, ids: set[str], before: datetime) -> dict[str, str]:
    """Each young person's last stage set before `before`, opened (the stage is sealed)."""
    rows = (
        await uow.session.execute(
            select(StageChange.id, StageChange.child_id, StageChange.stage_sealed)
            .where(StageChange.at < before, StageChange.stage_sealed.is_not(None))
            .order_by(StageChange.at)
        )
    ).all()
    last = {cid: (rid, blob) for rid, cid, blob in rows if cid in ids and blob is not None}
    await uow.load_keys(blob for _, blob in last.values())
    return {
        cid: await uow.open(blob, "stage_changes", "stage", rid)
        for cid, (rid, blob) in last.items()
    }


# The report --------------------------------------------------------------------------------


async def compile_statistics(uow: UnitOfWork, period: Period, actor: str, form: str) -> Statistics:
    """Every section for the period; the run is audited (who, the period, the form), not
    its figures."""
    people = await population(uow, period)
    sections = [await build(uow, period, people) for build in SECTIONS]
    await uow.audit(actor, "statistics.run", "", f"{period.label} {form}")
    return Statistics(period, tuple(s for s in sections if s is not None))


async def for_staff(uow: UnitOfWork, staff: StaffView, period: Period) -> Statistics:
    """The report for a staff member in the bot: supervisors only (`AccessDenied`)."""
    if not may_see_statistics(staff):
        await uow.audit(f"staff:{staff.id}", "statistics.refused", "", period.label)
        raise AccessDenied("statistics are for supervisors")
    return await compile_statistics(uow, period, f"staff:{staff.id}", "chat")
