"""Subject access: everything the store holds about one young person, for a supervisor to give
them (`/export REF`).

Read through the access gate (a supervisor only, `access.may_export`), each part of the record
audited as it is read, and the export itself audited. It holds their conversation both ways,
the notes, every "story so far" draft and what they decided, their journey stages, their
alerts, their check-ins, their missing episodes and missing-person profile, their closed case
if it is closed and the times it was closed before, and the audit entries about them (read
first, so the export's own reads are not in it). Nothing about anyone else: staff appear
by the names the young person is shown, and any other id in an audit entry is left out.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import or_, select

from conversations import continuity
from conversations.access import DENIED, access_child_by_ref, may_export
from conversations.alerts import alert_view
from conversations.closures import Closure, Span
from conversations.episodes import Episode, Profile
from conversations.errors import AccessDenied
from conversations.models import Alert, AuditEntry, CheckIn, Message, Summary
from conversations.people import ChildView, StaffView, get_staff
from conversations.store import UnitOfWork

_ID = re.compile(r"[0-9A-HJKMNP-TV-Z]{26}")


@dataclass(frozen=True)
class Line:
    """One dated line of the record: who, and what."""

    at: datetime
    who: str
    text: str


@dataclass(frozen=True)
class Record:
    child: ChildView
    advocate: str | None
    messages: list[Line]
    notes: list[Line]
    summaries: list[Line]  # who: the status (draft, approved, change_requested)
    stages: list[Line]
    alerts: list[Line]  # who: severity; text: source, categories, status, outcome
    check_ins: list[Line]  # who: the answer, or "" for none
    audit: list[Line]  # who: the actor; text: the action and its details
    closure: Closure | None
    episodes: list[Episode]
    profile: Profile
    reopened: list[Span]  # the times the case was closed and then reopened


async def export_record(uow: UnitOfWork, staff: StaffView, ref: str) -> Record:
    """The young person's whole record; `AccessDenied` for anyone but a supervisor, or an
    unknown reference (alike)."""
    if not may_export(staff):
        raise AccessDenied(DENIED)
    child = await access_child_by_ref(uow, staff, ref)
    actor = f"staff:{staff.id}"
    names = _Names(uow, child)
    # The log first: what the export reads below is audited after it.
    audit = await _audit(uow, child, names)
    await uow.audit(actor, "audit.read", child.id, f"export count={len(audit)}")
    messages = await _messages(uow, child, names)
    await uow.audit(actor, "messages.read", child.id, f"export count={len(messages)}")
    notes = [Line(n.at, n.author, n.text) for n in await continuity.read_notes(uow, staff, child)]
    summaries = await _summaries(uow, child)
    await uow.audit(actor, "summary.read", child.id, f"export count={len(summaries)}")
    stages = [Line(at, "", stage) for stage, at in await continuity.stage_history(uow, child)]
    await uow.audit(actor, "stage.read", child.id, f"export count={len(stages)}")
    alerts = await _alerts(uow, child)
    await uow.audit(actor, "alerts.read", child.id, f"export count={len(alerts)}")
    check_ins = await _check_ins(uow, child)
    episodes = await uow.episodes.of(child.id)
    await uow.audit(actor, "missing.read", child.id, f"export count={len(episodes)}")
    profile = await uow.episodes.profile(child)
    await uow.audit(actor, "profile.read", child.id, f"export count={len(profile.fields)}")
    closure = await uow.closures.get(child.id)
    reopened = [s for s in await uow.closures.spans(child.id) if s.reopened_at is not None]
    advocate = await names.of(child.advocate_id) if child.advocate_id else None
    await uow.audit(actor, "record.export", child.id)
    return Record(
        child,
        advocate,
        messages,
        notes,
        summaries,
        stages,
        alerts,
        check_ins,
        audit,
        closure,
        episodes,
        profile,
        reopened,
    )


class _Names:
    """Staff by the names shown to the young person; every other id left out."""

    def __init__(self, uow: UnitOfWork, child: ChildView) -> None:
        self.uow = uow
        self.child = child
        self.known: dict[str, str] = {}

    async def of(self, staff_id: str) -> str:
        if staff_id not in self.known:
            view = await get_staff(self.uow, staff_id)
            self.known[staff_id] = view.name if view is not None else "?"
        return self.known[staff_id]

    async def actor(self, actor: str) -> str:
        kind, _, ident = actor.partition(":")
        if kind == "staff":
            return await self.of(ident)
        if kind == "child":
            return self.child.ref if ident == self.child.id else "?"
        return kind

    async def detail(self, text: str) -> str:
        out, at = [], 0
        for found in _ID.finditer(text):
            ident = found.group()
            out.append(text[at : found.start()])
            if ident == self.child.id:
                out.append(self.child.ref)
            else:
                name = await self.of(ident)
                out.append(name if name != "?" else "…")
            at = found.end()
        out.append(text[at:])
        return "".join(out)


async def _audit(uow: UnitOfWork, child: ChildView, names: _Names) -> list[Line]:
    about = or_(
        AuditEntry.subject == child.id,
        AuditEntry.actor == f"child:{child.id}",
        AuditEntry.detail.contains(child.id),
    )
    rows = (
        (await uow.session.execute(select(AuditEntry).where(about).order_by(AuditEntry.id)))
        .scalars()
        .all()
    )
    lines = []
    for row in rows:
        detail = await names.detail(row.detail)
        text = f"{row.action} {detail}".strip()
        lines.append(Line(row.at, await names.actor(row.actor), text))
    return lines


async def _messages(uow: UnitOfWork, child: ChildView, names: _Names) -> list[Line]:
    rows = (
        (
            await uow.session.execute(
                select(Message).where(Message.child_id == child.id).order_by(Message.created_at)
            )
        )
        .scalars()
        .all()
    )
    lines = []
    for row in rows:
        body = await uow.open_json(row.body_sealed, "messages", "body", row.id)
        text = body.get("text", "")
        if row.kind != "text":
            text = f"[{row.kind}{': ' + body['file_name'] if body.get('file_name') else ''}] {text}"
        who = child.ref if row.direction == "in" else await names.of(row.staff_id or "")
        lines.append(Line(row.created_at, who, text.strip()))
    return lines


async def _summaries(uow: UnitOfWork, child: ChildView) -> list[Line]:
    rows = (
        (
            await uow.session.execute(
                select(Summary).where(Summary.child_id == child.id).order_by(Summary.created_at)
            )
        )
        .scalars()
        .all()
    )
    return [
        Line(
            row.created_at, row.status, await uow.open(row.body_sealed, "summaries", "body", row.id)
        )
        for row in rows
    ]


async def _alerts(uow: UnitOfWork, child: ChildView) -> list[Line]:
    rows = (
        (
            await uow.session.execute(
                select(Alert).where(Alert.child_id == child.id).order_by(Alert.raised_at)
            )
        )
        .scalars()
        .all()
    )
    lines = []
    for row in rows:
        view = await alert_view(uow, row, child)
        outcome = (
            await uow.open(row.outcome_sealed, "alerts", "outcome", row.id)
            if row.outcome_sealed
            else ""
        )
        parts = [view.source, ", ".join(view.categories), view.status, outcome]
        lines.append(Line(row.raised_at, row.severity, " · ".join(p for p in parts if p)))
    return lines


async def _check_ins(uow: UnitOfWork, child: ChildView) -> list[Line]:
    rows = (
        (
            await uow.session.execute(
                select(CheckIn).where(CheckIn.child_id == child.id).order_by(CheckIn.sent_at)
            )
        )
        .scalars()
        .all()
    )
    return [Line(row.sent_at, row.answer or "", "") for row in rows]
