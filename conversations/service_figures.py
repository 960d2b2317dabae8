"""The statistics' service figures: alerts, check-ins, and how soon young people's messages
were answered (see `conversations.statistics` for the definitions)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from datetime import datetime

from sqlalchemy import select

from conversations import disclosure
from conversations.models import Alert, CheckIn, Child, Message, Staff
from conversations.people import Role
from conversations.report import Period, Population, Row, Section, one, rows_of
from conversations.store import UnitOfWork


async def alerts(uow: UnitOfWork, period: Period, people: Population) -> Section:
    rows = (
        await uow.session.execute(
            select(Alert.severity, Alert.raised_at, Alert.acknowledged_at).where(
                Alert.raised_at >= period.start, Alert.raised_at < period.end
            )
        )
    ).all()
    return alert_section([(s, r, a) for s, r, a in rows])


def alert_section(rows: Sequence[tuple[str, datetime, datetime | None]]) -> Section:
    severities = Counter({"urgent": 0, "concern": 0})
    severities.update(severity for severity, _, _ in rows)
    waits = [(ack - raised).total_seconds() / 60 for _, raised, ack in rows if ack is not None]
    unanswered = sum(ack is None for _, _, ack in rows)
    cells, _ = disclosure.partition(dict(severities))
    return Section(
        "alerts",
        (
            one("raised", disclosure.total(len(rows), severities)),
            *rows_of(cells),
            one("acknowledged_p50", disclosure.minutes(waits, 50), "minutes"),
            one("acknowledged_p90", disclosure.minutes(waits, 90), "minutes"),
            one("never_acknowledged", disclosure.count(unanswered)),
        ),
    )


async def check_ins(uow: UnitOfWork, period: Period, people: Population) -> Section:
    rows = (
        await uow.session.execute(
            select(CheckIn.answered_at).where(
                CheckIn.sent_at >= period.start, CheckIn.sent_at < period.end
            )
        )
    ).all()
    answered = sum(at is not None for (at,) in rows)
    return answered_section("check_ins", "sent", len(rows), answered)


def answered_section(key: str, whole: str, n: int, answered: int, *extra: Row) -> Section:
    parts = {"answered": answered, "not_answered": n - answered}
    cells, _ = disclosure.partition(parts)
    all_cell = disclosure.total(n, parts)
    return Section(
        key,
        (
            one(whole, all_cell),
            *rows_of(cells),
            one("answered_percent", disclosure.share(cells["answered"], all_cell), "percent"),
            *extra,
        ),
    )


async def responses(uow: UnitOfWork, period: Period, people: Population) -> Section:
    rows = (
        await uow.session.execute(
            select(Message.child_id, Message.direction, Message.created_at)
            .join(Child, Child.id == Message.child_id)
            .outerjoin(Staff, Staff.id == Message.staff_id)
            .where(
                Message.created_at >= period.start,
                Child.advocate_id.is_not(None),
                (Staff.role.is_(None)) | (Staff.role != Role.INTERPRETER.value),
            )
            .order_by(Message.child_id, Message.created_at)
        )
    ).all()
    found = [w for w in waits([(c, d, at) for c, d, at in rows]) if w[0] < period.end]
    minutes = [(end - start).total_seconds() / 60 for start, end in found if end is not None]
    return answered_section(
        "responses",
        "waits",
        len(found),
        len(minutes),
        one("first_answer_p50", disclosure.minutes(minutes, 50), "minutes"),
        one("first_answer_p90", disclosure.minutes(minutes, 90), "minutes"),
    )


def waits(
    messages: Iterable[tuple[str, str, datetime]],
) -> list[tuple[datetime, datetime | None]]:
    """(started, answered or None) of each wait, from messages (child, "in" or "out", time)
    in order of child and time."""
    found: list[tuple[datetime, datetime | None]] = []
    child, since = None, None
    for who, direction, at in messages:
        if who != child:
            if since is not None:
                found.append((since, None))
            child, since = who, None
        if direction == "in" and since is None:
            since = at
        elif direction == "out" and since is not None:
            found.append((since, at))
            since = None
    if since is not None:
        found.append((since, None))
    return found
