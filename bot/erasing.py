"""/erase REF: a supervisor erases a young person's record for good, after a confirmation.

The young person is told nothing (someone else may hold their phone); their advocate and the
other supervisors are told which reference was erased and by whom. Afterwards the Telegram
account is a stranger's: a new invite links it afresh, as a new young person. Only supervisors
reach /erase; others are refused, with `supervisors_only`, by `bot.routing`.
"""

from __future__ import annotations

from telegram import Update

from bot.callbacks import EraseDecision
from bot.gate import to_staff, tr_for
from bot.i18n import Translator
from bot.runtime import AlongsideContext
from conversations import erasure, people
from conversations.errors import AccessDenied, ErasureBlocked
from conversations.outgoing import Button, Outgoing
from conversations.people import ChildView, StaffView


def supervisors_only(tr: Translator) -> Outgoing:
    return Outgoing(text=tr._("Only a supervisor can erase a young person's record."))


def _blocked(tr: Translator, ref: str, open_alerts: int) -> Outgoing:
    return Outgoing(
        text=tr.n_(
            "{ref} has {n} safety alert that is not resolved. Resolve it first with /resolve, "
            "then erase.",
            "{ref} has {n} safety alerts that are not resolved. Resolve them first with /resolve, "
            "then erase.",
            open_alerts,
            ref=ref,
        )
    )


def warning(tr: Translator, child: ChildView) -> Outgoing:
    return Outgoing(
        text=tr._(
            "Erase the record of {nickname} · {ref} for good? Their messages, notes, story so far, "
            "stage history and alerts will be deleted, and the key that protects them destroyed. "
            "This cannot be undone. They will not be told.",
            nickname=child.nickname,
            ref=child.ref,
        ),
        buttons=(
            (
                Button(tr._("Erase for good"), data=EraseDecision(True, child.id).encode()),
                Button(tr._("Keep"), data=EraseDecision(False, child.id).encode()),
            ),
        ),
    )


async def erase_command(update: Update, ctx: AlongsideContext) -> None:
    staff, tr = ctx.staff, ctx.tr
    ref = (ctx.args or [""])[0]
    try:
        child = await erasure.erasable(ctx.uow, staff, ref)
    except AccessDenied:
        await to_staff(
            ctx,
            staff,
            Outgoing(
                text=tr._(
                    "No young person of yours has that reference. Use: {usage}", usage="/erase REF"
                )
            ),
        )
        return
    except ErasureBlocked as exc:
        await to_staff(ctx, staff, _blocked(tr, exc.ref, exc.open_alerts))
        return
    # Sealed under the child's key, so this copy of their nickname is shredded with the rest.
    await to_staff(ctx, staff, warning(tr, child), key_id=child.data_key_id)


async def on_erase_button(ctx: AlongsideContext, staff: StaffView, button: EraseDecision) -> None:
    tr = ctx.tr
    if not button.erase:
        await to_staff(ctx, staff, Outgoing(text=tr._("Kept. Nothing was erased.")))
        return
    try:
        erased = await erasure.erase_child(ctx.uow, staff, button.child_id)
    except AccessDenied:
        await to_staff(ctx, staff, supervisors_only(tr))
        return
    except ErasureBlocked as exc:
        await to_staff(ctx, staff, _blocked(tr, exc.ref, exc.open_alerts))
        return
    if erased is None:
        await to_staff(
            ctx,
            staff,
            Outgoing(
                text=tr._(
                    "That record is no longer here; it may have been erased already. Nothing was "
                    "changed."
                )
            ),
        )
        return
    await to_staff(
        ctx,
        staff,
        Outgoing(
            text=tr._(
                "Erased: {ref}. Their record is deleted and can no longer be read.", ref=erased.ref
            )
        ),
    )
    advocate = await people.get_staff(ctx.uow, erased.advocate_id) if erased.advocate_id else None
    told = [advocate] if advocate is not None and advocate.active else []
    told += [s for s in await people.supervisors(ctx.uow) if s.id not in {p.id for p in told}]
    for person in told:
        if person.id != staff.id:
            await to_staff(
                ctx,
                person,
                Outgoing(
                    text=tr_for(ctx, person.locale)._(
                        "The record of {ref} was erased by {actor}. It cannot be restored.",
                        ref=erased.ref,
                        actor=staff.name,
                    )
                ),
            )
