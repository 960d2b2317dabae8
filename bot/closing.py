"""/close REF REASON and /reopen REF, and the sweep that erases closed cases on time.

The rules are `conversations.retention`'s; this renders them. Closing needs the young person's
advocate or a supervisor. A young person whose case is closed who writes again, or answers a
check-in asking for someone, opens it again (`on_contact`), and whoever reads them is told;
their going missing opens it too (`reopen`). Whatever else would contact them is refused until
it is reopened (`still_closed`). Closing pauses the first-week watch and reopening resumes what
is left of it (`conversations.watch`). The sweep warns a week before an erasure, once, and
erases when it is due (`conversations.erasure.erase_expired`); an open alert holds it back.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import ClassVar, Self

from telegram import Update

from bot import missing_texts
from bot.callbacks import ButtonData, _fit
from bot.gate import to_staff, tr_for
from bot.i18n import Translator
from bot.runtime import AlongsideContext, Runtime
from conversations import erasure, people, retention, watch
from conversations.access import access_child_by_id, access_child_by_ref
from conversations.closures import ADULT, ENDED, OTHER, REASONS, Closure
from conversations.errors import AccessDenied, ErasureBlocked
from conversations.outgoing import Button, Outgoing
from conversations.people import ChildView, StaffView
from conversations.retention import CloseRefused, Reason
from conversations.store import UnitOfWork

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class CloseReason(ButtonData):
    """``cl:REASON:CHILD_ID``: the reason a case is closed, chosen on a button."""

    pattern: ClassVar[str] = r"^cl:"
    reason: str
    child_id: str

    def encode(self) -> str:
        return _fit(f"cl:{self.reason}:{self.child_id}")

    @classmethod
    def decode(cls, data: str) -> Self | None:
        reason, _, child_id = data.removeprefix("cl:").partition(":")
        if not data.startswith("cl:") or reason not in REASONS or not child_id:
            return None
        return cls(reason, child_id)


def _usage(tr: Translator) -> Outgoing:
    return Outgoing(
        text=tr._(
            "No young person of yours has that reference. Use: {usage}",
            usage="/close REF adult|ended|other",
        )
    )


def reason_buttons(tr: Translator, child: ChildView) -> Outgoing:
    labels = {
        ADULT: tr._("Turned 18 or moved on"),
        ENDED: tr._("Our work ended"),
        OTHER: tr._("Another reason"),
    }
    return Outgoing(
        text=tr._(
            "Why is the case of {nickname} · {ref} closing?", nickname=child.nickname, ref=child.ref
        ),
        buttons=tuple(
            (Button(labels[r], data=CloseReason(r, child.id).encode()),) for r in REASONS
        ),
    )


async def close_command(update: Update, ctx: AlongsideContext) -> None:
    staff, tr = ctx.staff, ctx.tr
    args = ctx.args or []
    try:
        child = await access_child_by_ref(ctx.uow, staff, (args or [""])[0].upper())
    except AccessDenied:
        await to_staff(ctx, staff, _usage(tr))
        return
    reason = retention.parse_reason(" ".join(args[1:]))
    if reason is None:
        try:
            # Refused now, rather than after a reason is chosen on a button.
            await retention.check_closable(ctx.uow, child)
        except CloseRefused as exc:
            await to_staff(ctx, staff, _refused(tr, child, exc), about=child)
            return
        await to_staff(ctx, staff, reason_buttons(tr, child), key_id=child.data_key_id)
        return
    await _close(ctx, staff, child, reason)


async def on_close_button(ctx: AlongsideContext, staff: StaffView, button: CloseReason) -> None:
    try:
        child = await access_child_by_id(ctx.uow, staff, button.child_id)
    except AccessDenied:
        await to_staff(ctx, staff, _usage(ctx.tr))
        return
    await _close(ctx, staff, child, Reason(button.reason, ""))


async def _close(ctx: AlongsideContext, staff: StaffView, child: ChildView, reason: Reason) -> None:
    tr, days = ctx.tr, ctx.runtime.settings.retention_days
    try:
        closure = await retention.close_case(ctx.uow, staff, child, reason, days)
    except AccessDenied:
        await to_staff(ctx, staff, _usage(tr))
        return
    except CloseRefused as exc:
        await to_staff(ctx, staff, _refused(tr, child, exc), about=child)
        return
    await watch.pause_watch(ctx.uow, child.id, f"staff:{staff.id}")
    told = [staff]
    advocate = await people.get_staff(ctx.uow, child.advocate_id) if child.advocate_id else None
    if advocate is not None and advocate.active and advocate.id != staff.id:
        told.append(advocate)
    for person in told:
        reader = tr_for(ctx, person.locale)
        text = reader._(
            "Closed: the case of {nickname} · {ref}. Their record will be erased on {date}, "
            "unless it is reopened first with /reopen {ref}. If they write again, it opens "
            "again by itself and you are told.",
            nickname=child.nickname,
            ref=child.ref,
            date=reader.datetime(closure.erase_due_at),
        )
        await to_staff(ctx, person, Outgoing(text=text), key_id=child.data_key_id)


def _refused(tr: Translator, child: ChildView, exc: CloseRefused) -> Outgoing:
    if exc.why == "closed":
        return Outgoing(text=tr._("The case of {ref} is already closed.", ref=child.ref))
    if exc.missing_since is not None:
        return missing_texts.still_missing(tr, child, exc.missing_since)
    return Outgoing(
        text=tr.n_(
            "{ref} has {n} safety alert that is not resolved. Resolve it first with "
            "/resolve, then close the case.",
            "{ref} has {n} safety alerts that are not resolved. Resolve them first with "
            "/resolve, then close the case.",
            exc.open_alerts,
            ref=child.ref,
        )
    )


async def reopen_command(update: Update, ctx: AlongsideContext) -> None:
    staff, tr = ctx.staff, ctx.tr
    try:
        child = await access_child_by_ref(ctx.uow, staff, (ctx.args or [""])[0].upper())
        reopened = await reopen(ctx, staff, child)
    except AccessDenied:
        await to_staff(
            ctx,
            staff,
            Outgoing(
                text=tr._(
                    "No young person of yours has that reference. Use: {usage}",
                    usage="/reopen REF",
                )
            ),
        )
        return
    if not reopened:
        text = tr._("The case of {ref} is not closed. Nothing was changed.", ref=child.ref)
        await to_staff(ctx, staff, Outgoing(text=text), about=child)


async def reopen(ctx: AlongsideContext, staff: StaffView, child: ChildView) -> bool:
    """Reopen their case if it is closed, resuming what is left of the watch, and tell `staff`
    so; False (nothing said) if it is not closed. Raises `AccessDenied` as `reopen_case`."""
    if not await retention.reopen_case(ctx.uow, staff, child):
        return False
    await _resume_watch(ctx, child, f"staff:{staff.id}")
    text = ctx.tr._("Reopened: the case of {ref}. Their record will not be erased.", ref=child.ref)
    await to_staff(ctx, staff, Outgoing(text=text), about=child)
    return True


def still_closed(tr: Translator, ref: str) -> Outgoing:
    """Staff asked for what would contact the young person of a closed case (`CaseClosed`)."""
    return Outgoing(
        text=tr._(
            "The case of {ref} is closed: nothing was changed and nothing was sent to them. "
            "Reopen it first with /reopen {ref}.",
            ref=ref,
        )
    )


async def on_contact(ctx: AlongsideContext, child: ChildView) -> None:
    """A young person writes: if their case was closed, it is open again, and their readers
    are told (their message itself goes on as every message does)."""
    if await retention.reopen_on_contact(ctx.uow, child) is None:
        return
    await _resume_watch(ctx, child, f"child:{child.id}")
    for reader in await _readers(ctx.uow, child):
        tr = tr_for(ctx, reader.locale)
        text = tr._(
            "{nickname} · {ref} wrote again, so their closed case is open again and their "
            "record will not be erased. To close it again, use /close {ref}.",
            nickname=child.nickname,
            ref=child.ref,
        )
        await to_staff(ctx, reader, Outgoing(text=text), key_id=child.data_key_id)


async def _resume_watch(ctx: AlongsideContext, child: ChildView, actor: str) -> None:
    # Imported here: the sweeper in `bot.watching` runs this module's `CaseRetention`.
    from bot.watching import next_check_in

    first = next_check_in(ctx.runtime, ctx.uow.now)
    await watch.resume_watch(ctx.uow, child.id, first, actor)


async def _readers(
    uow: UnitOfWork, child: ChildView, *, supervisors_too: bool = False
) -> list[StaffView]:
    """Their advocate; the supervisors when they have none (or `supervisors_too`)."""
    advocate = await people.get_staff(uow, child.advocate_id) if child.advocate_id else None
    readers = [advocate] if advocate is not None and advocate.active else []
    if supervisors_too or not readers:
        readers += [s for s in await people.supervisors(uow) if s not in readers]
    return readers


class CaseRetention:
    """Warnings and erasures of closed cases, looked at once a minute."""

    EVERY = timedelta(minutes=1)

    def __init__(self) -> None:
        self.not_before: datetime | None = None

    async def sweep(self, runtime: Runtime) -> int:
        now = runtime.store.clock.now()
        if self.not_before is not None and now < self.not_before:
            return 0
        acted = await self._warn(runtime)
        async with runtime.store.unit() as uow:
            due = await uow.closures.due(uow.now)
        for closure in due:
            acted += await self._erase(runtime, closure)
        self.not_before = now + self.EVERY
        return acted

    async def _warn(self, runtime: Runtime) -> int:
        async with runtime.store.unit() as uow:
            warned = await retention.to_warn(uow)
            for closure in warned:
                child = await people.get_child(uow, closure.child_id)
                if child is None:
                    continue
                for reader in await _readers(uow, child):
                    tr = runtime.tr(reader.locale)
                    text = tr._(
                        "The record of {nickname} · {ref} will be erased on {date}: their case "
                        "was closed on {closed}. To keep it, use /reopen {ref}.",
                        nickname=child.nickname,
                        ref=child.ref,
                        date=tr.datetime(closure.erase_due_at),
                        closed=tr.datetime(closure.closed_at),
                    )
                    await _tell(uow, reader, text, child)
            await uow.commit()
        return len(warned)

    async def _erase(self, runtime: Runtime, closure: Closure) -> int:
        async with runtime.store.unit() as uow:
            child = await people.get_child(uow, closure.child_id)
            if child is None:
                return 0
            action = await retention.due_action(uow, closure)
            if action == retention.HOLD:
                return 0
            if action == retention.REOPENED:
                await _reopened_missing(runtime, uow, child)
                await uow.commit()
                return 1
            if action == retention.HOLD_AND_TELL:
                for reader in await _readers(uow, child, supervisors_too=True):
                    tr = runtime.tr(reader.locale)
                    text = tr._(
                        "The record of {nickname} · {ref} is due to be erased, but one of their "
                        "safety alerts is not resolved. It will be erased once the alert is "
                        "resolved, unless the case is reopened with /reopen {ref}.",
                        nickname=child.nickname,
                        ref=child.ref,
                    )
                    await _tell(uow, reader, text, child)
                await uow.commit()
                return 1
            readers = await _readers(uow, child)
            try:
                erased = await erasure.erase_expired(uow, child.id)
            except ErasureBlocked:
                return 0  # an alert raised since the look: held at the next sweep
            if erased is None:
                return 0
            for reader in readers:
                tr = runtime.tr(reader.locale)
                text = tr._(
                    "The record of {ref} was erased: its case was closed and the time to keep "
                    "it is over. It cannot be restored.",
                    ref=erased.ref,
                )
                await uow.send(
                    reader.telegram_id, Outgoing(text=text), purpose="notice", staff_id=reader.id
                )
            await uow.commit()
        log.info("case.erased_on_time")
        return 1


async def _reopened_missing(runtime: Runtime, uow: UnitOfWork, child: ChildView) -> None:
    """A case closed while its young person was missing, opened again when its erasure fell
    due: its watch resumes and its readers hear why their record is kept."""
    from bot.watching import next_check_in  # here for the reason `_resume_watch` gives

    await watch.resume_watch(uow, child.id, next_check_in(runtime, uow.now), "system")
    episode = await uow.episodes.current(child.id)
    assert episode is not None, "what reopened it"
    for reader in await _readers(uow, child, supervisors_too=True):
        told = missing_texts.still_missing(runtime.tr(reader.locale), child, episode.opened_at)
        await _tell(uow, reader, told.text or "", child)


async def _tell(uow: UnitOfWork, reader: StaffView, text: str, child: ChildView) -> None:
    # Sealed under the young person's key: shredded with their record.
    await uow.send(
        reader.telegram_id,
        Outgoing(text=text),
        purpose="notice",
        staff_id=reader.id,
        key_id=child.data_key_id,
        child_id=child.id,
    )
