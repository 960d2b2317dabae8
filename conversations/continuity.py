"""Continuity: journey stage, notes, the child-approved summary, handover and the child's record.

So that a child need not retell their story: advocates keep sealed notes, the child approves a
short "my story so far", and on handover the new advocate receives all of it at once. Every read
goes through the access gate and is audited; a refusal never says whether the child exists.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime

from sqlalchemy import select

from conversations import bonds, retention
from conversations.access import access_child_by_ref, may_act_for
from conversations.errors import AccessDenied
from conversations.ids import new_id
from conversations.journey import Stage
from conversations.models import Child, Staff, StageChange
from conversations.people import ChildView, Role, StaffView, get_staff, staff_view
from conversations.repositories import Work
from conversations.store import UnitOfWork
from conversations.topics import prune_topics


@dataclass(frozen=True)
class NoteView:
    author: str
    at: datetime
    text: str


@dataclass(frozen=True)
class Handover:
    child: ChildView
    previous: StaffView | None
    new: StaffView
    summary: str | None
    notes: list[NoteView]
    open_alerts: int
    # Their case is closed: the young person is not told (nothing contacts them while it is).
    closed: bool = False


@dataclass(frozen=True)
class Record:
    """What the child may see about themselves: never the notes' content."""

    stage: str | None
    summary: str | None
    note_authors: list[str]
    notes: int


# The staff commands' look-up by reference (`conversations.access`).
child_for = access_child_by_ref


async def set_stage(uow: UnitOfWork, staff: StaffView, child: ChildView, stage: Stage) -> None:
    """Raises `CaseClosed` for a closed case: the young person is told of a new stage."""
    if not may_act_for(staff, child):
        raise AccessDenied("no such young person for you")
    await retention.ensure_open(uow, child)
    row = await uow.session.get(Child, child.id)
    assert row is not None
    row.stage_sealed = await uow.seal(child.data_key_id, stage.value, "children", "stage", child.id)
    change_id = new_id()
    uow.session.add(
        StageChange(
            id=change_id,
            child_id=child.id,
            staff_id=staff.id,
            at=uow.now,
            stage_sealed=await uow.seal(
                child.data_key_id, stage.value, "stage_changes", "stage", change_id
            ),
        )
    )
    # Which stage stays out of the log: it says more about a child than any id.
    await uow.audit(f"staff:{staff.id}", "stage.set", child.id)


async def stage_history(uow: UnitOfWork, child: ChildView) -> list[tuple[str, datetime]]:
    rows = (
        (
            await uow.session.execute(
                select(StageChange).where(StageChange.child_id == child.id).order_by(StageChange.at)
            )
        )
        .scalars()
        .all()
    )
    return [
        (await uow.open(row.stage_sealed, "stage_changes", "stage", row.id), row.at)
        for row in rows
        if row.stage_sealed is not None
    ]


async def add_note(uow: Work, staff: StaffView, child: ChildView, text: str) -> None:
    if not may_act_for(staff, child):
        raise AccessDenied("no such young person for you")
    await uow.notes.add(child, staff.id, text[:4000])
    await uow.audit(f"staff:{staff.id}", "note.add", child.id)


async def _names(uow: Work, staff_ids: set[str]) -> dict[str, str]:
    names = {}
    for staff_id in staff_ids:
        view = await get_staff(uow, staff_id)
        if view is not None:
            names[staff_id] = view.name
    return names


async def read_notes(uow: Work, staff: StaffView, child: ChildView) -> list[NoteView]:
    if not may_act_for(staff, child):
        raise AccessDenied("no such young person for you")
    kept = await uow.notes.of(child)
    names = await _names(uow, {note.staff_id for note in kept})
    notes = [NoteView(names.get(note.staff_id, "?"), note.at, note.text) for note in kept]
    await uow.audit(f"staff:{staff.id}", "notes.read", child.id, f"count={len(notes)}")
    return notes


async def draft_summary(uow: Work, staff: StaffView, child: ChildView, text: str) -> str:
    """Raises `CaseClosed` for a closed case: the young person is asked to approve it."""
    if not may_act_for(staff, child):
        raise AccessDenied("no such young person for you")
    await retention.ensure_open(uow, child)
    summary_id = await uow.summaries.add_draft(child, staff.id, text[:3000])
    await uow.audit(f"staff:{staff.id}", "summary.draft", child.id)
    return summary_id


async def decide_summary(uow: Work, child: ChildView, summary_id: str, approve: bool) -> str | None:
    """The child's answer to a draft; returns the drafting staff id, or None if not theirs."""
    draft = await uow.summaries.get(summary_id)
    if draft is None or draft.child_id != child.id or draft.status != "draft":
        return None
    status = "approved" if approve else "change_requested"
    await uow.summaries.decide(summary_id, status)
    await uow.audit(f"child:{child.id}", f"summary.{status}", child.id)
    return draft.staff_id


async def approved_summary(uow: Work, child: ChildView) -> str | None:
    return await uow.summaries.approved(child)


async def hand_over(uow: Work, actor: StaffView, child: ChildView, new: StaffView) -> Handover:
    """Move the child to `new`; they receive everything, the previous advocate loses access."""
    if not may_act_for(actor, child):
        raise AccessDenied("no such young person for you")
    if actor.role is not Role.SUPERVISOR and child.advocate_id != actor.id:
        raise AccessDenied("no such young person for you")
    if not new.active or new.id == child.advocate_id or new.is_interpreter:
        raise AccessDenied("that colleague cannot take this young person")
    # The advocate the record names, even one its broken bond keeps out of `child`.
    named = await uow.children.advocate_named(child.id)
    previous = await get_staff(uow, named) if named else None
    await uow.children.hand_to(child.id, new.id)
    await uow.audit(
        f"staff:{actor.id}",
        "child.handover",
        child.id,
        f"from={previous.id if previous else '-'} to={new.id}",
    )
    moved = replace(child, advocate_id=new.id)
    # The previous advocate's topic on them goes; the new one's is made with the first message.
    await prune_topics(uow, moved)
    summary = await approved_summary(uow, moved)
    if summary is not None:
        await uow.audit(f"staff:{new.id}", "summary.read", child.id, "handover")
    notes = await read_notes(uow, new, moved)
    open_alerts = await uow.alerts.open_count(child.id)
    closed = await uow.closures.get(child.id) is not None
    return Handover(moved, previous, new, summary, notes, open_alerts, closed)


async def own_record(uow: Work, child: ChildView) -> Record:
    rows = await uow.notes.authors(child.id)
    names = await _names(uow, set(rows))
    await uow.audit(f"child:{child.id}", "record.read", child.id)
    return Record(
        child.stage, await approved_summary(uow, child), sorted(set(names.values())), len(rows)
    )


async def staff_by_name(uow: UnitOfWork, name: str) -> list[StaffView]:
    """Active staff whose name matches (case-insensitive); names are sealed, so this scans."""
    rows = (await uow.session.execute(select(Staff).where(Staff.active.is_(True)))).scalars().all()
    wanted = name.strip().casefold()
    views = [await staff_view(uow, row) for row in rows if bonds.trusted(row)]
    exact = [v for v in views if v.name.casefold() == wanted]
    return exact or [v for v in views if v.name.casefold().startswith(wanted)]


async def all_staff(uow: UnitOfWork) -> list[StaffView]:
    rows = (
        (
            await uow.session.execute(
                select(Staff).where(Staff.active.is_(True)).order_by(Staff.created_at)
            )
        )
        .scalars()
        .all()
    )
    return [await staff_view(uow, row) for row in rows if bonds.trusted(row)]


async def set_asking(uow: UnitOfWork, child: ChildView, topic: str | None) -> None:
    row = await uow.session.get(Child, child.id)
    if row is not None:
        row.asking_about = topic


async def take_asking(uow: UnitOfWork, child: ChildView) -> str | None:
    """The topic the child's next message is about, once."""
    row = await uow.session.get(Child, child.id)
    if row is None or row.asking_about is None:
        return None
    topic, row.asking_about = row.asking_about, None
    return topic
