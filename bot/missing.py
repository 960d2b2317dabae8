"""Missing episodes in the bot: /missing and /found, the young person's one-tap answers, the
buttons that propose, close and follow up an episode, and the return-interview reminders.

The rules are in `conversations.missing`; texts in `bot.missing_texts`. Opening an episode
raises an urgent alert of its own (source ``missing``) that climbs the escalation ladder until
a person acknowledges it, like an urgent message.
"""

from __future__ import annotations

from telegram import Update

from bot import alerting, closing, metrics, notices
from bot import missing_texts as texts
from bot.callbacks import MissingAction, MissingAnswer
from bot.gate import to_child, to_staff, tr_for
from bot.runtime import AlongsideContext, Runtime
from conversations import alerts, missing, people
from conversations.access import access_child_by_id, access_child_by_ref
from conversations.errors import AccessDenied
from conversations.people import ChildView, StaffView


async def _child(ctx: AlongsideContext, staff: StaffView) -> ChildView | None:
    args = [a for a in (ctx.args or ()) if a]
    try:
        return await access_child_by_ref(ctx.uow, staff, args[0].upper() if args else "")
    except AccessDenied:
        await to_staff(ctx, staff, texts.usage(ctx.tr))
        return None


async def missing_command(update: Update, ctx: AlongsideContext) -> None:
    """``/missing REF``: open an episode."""
    staff = ctx.staff
    if (child := await _child(ctx, staff)) is not None:
        await open_episode(ctx, staff, child)


async def open_episode(ctx: AlongsideContext, staff: StaffView, child: ChildView) -> None:
    uow, runtime = ctx.uow, ctx.runtime
    result = await missing.open_episode(uow, staff, child)
    if result.already:
        await to_staff(ctx, staff, texts.already(ctx.tr, child, result.episode), about=child)
        return
    # They can go missing whatever the state of their case: an episode opens it again, so it
    # is worked, and kept, until they are found and their return interview is held.
    await closing.reopen(ctx, staff, child)
    episode = result.episode
    view = await alerts.raise_alert(
        uow,
        child,
        source="missing",
        severity="urgent",
        categories=("missing",),
        ladder=alerting.ladder(runtime),
    )
    metrics.ALERTS_RAISED.labels("urgent").inc()
    await missing.raised(uow, episode, view.id)
    await alerting.notify_staff(runtime, uow, view)
    ctr = tr_for(ctx, child.locale)
    await to_child(ctx, child, texts.to_child(ctr, episode.id), purpose="safety")
    await to_staff(ctx, staff, texts.opened(ctx.tr, child), about=child)
    advocate = child.advocate_id and await people.get_staff(uow, child.advocate_id)
    for reader in {r.id: r for r in (advocate, staff) if r}.values():
        checklist = texts.checklist(tr_for(ctx, reader.locale), child, runtime.settings.region)
        await to_staff(ctx, reader, checklist, child_id=child.id, key_id=child.data_key_id)


async def found_command(update: Update, ctx: AlongsideContext) -> None:
    """``/found REF``: close the episode, then ask how they were found."""
    staff, uow = ctx.staff, ctx.uow
    if (child := await _child(ctx, staff)) is None:
        return
    try:
        episode = await missing.found(uow, staff, child)
    except missing.NotMissing:
        await to_staff(ctx, staff, texts.not_missing(ctx.tr, child), about=child)
        return
    if episode.alert_id is not None:
        view = await alerts.resolve(uow, staff, episode.alert_id, "found")
        if view is not None:
            await alerting.update_cards(ctx.runtime, uow, view)
    await to_staff(ctx, staff, texts.found(ctx.tr, child, episode), about=child)
    for reader in await _others(ctx, child, staff.id):
        told = texts.found_to_others(tr_for(ctx, reader.locale), child)
        await to_staff(ctx, reader, told, about=child)


async def _others(ctx: AlongsideContext, child: ChildView, but: str = "") -> list[StaffView]:
    """The advocate and every supervisor, but the one acting."""
    advocate = child.advocate_id and await people.get_staff(ctx.uow, child.advocate_id)
    readers = [advocate] if advocate and advocate.active else []
    readers += [s for s in await people.supervisors(ctx.uow) if s not in readers]
    return [r for r in readers if r.id != but and not r.unreachable]


async def on_child_button(ctx: AlongsideContext, child: ChildView, button: MissingAnswer) -> None:
    if button.reply == "help":
        await alerting.help_now(ctx, child)
        return
    episode = await missing.child_safe(ctx.uow, child, button.episode_id)
    await to_child(ctx, child, texts.child_thanked(tr_for(ctx, child.locale)))
    if episode is None or episode.safe_at is None:
        return
    for reader in await _others(ctx, child):
        told = texts.safe(tr_for(ctx, reader.locale), child, episode.safe_at)
        await to_staff(ctx, reader, told, about=child)


async def on_staff_button(ctx: AlongsideContext, staff: StaffView, button: MissingAction) -> None:
    from bot import profiles

    uow, tr = ctx.uow, ctx.tr
    try:
        if button.step in ("open", "release"):
            child = await access_child_by_id(uow, staff, button.key)
            if button.step == "open":
                await open_episode(ctx, staff, child)
            else:
                await profiles.release(ctx, staff, child)
            return
        if button.step in ("done", "declined"):
            child = await access_child_by_id(uow, staff, await _episode_child(ctx, button.key))
            episode = await missing.interview(uow, staff, button.key, button.step)
            outcome = episode.interview if episode is not None else None
            await to_staff(ctx, staff, texts.interview_recorded(tr, child, outcome), about=child)
            return
        episode = await missing.found_how(uow, staff, button.key, button.step)
        child = await access_child_by_id(uow, staff, episode.child_id)
        await to_staff(ctx, staff, texts.interview_due(tr, child, episode), about=child)
    except AccessDenied:
        await to_staff(ctx, staff, notices.cannot_reach(tr))


async def _episode_child(ctx: AlongsideContext, episode_id: str) -> str:
    episode = await ctx.uow.episodes.get(episode_id)
    return episode.child_id if episode is not None else ""


async def sweep(runtime: Runtime) -> int:
    """Remind each advocate of a return interview a day before it is due, and when it is late."""
    async with runtime.store.unit() as uow:
        due = await missing.reminders(uow)
        for item in due:
            child = item.child
            advocate = child.advocate_id and await people.get_staff(uow, child.advocate_id)
            readers = [advocate] if advocate and advocate.active else await people.supervisors(uow)
            for reader in readers:
                await uow.send(
                    reader.telegram_id,
                    texts.reminder(runtime.tr(reader.locale), child, item.episode, item.overdue),
                    purpose="notice",
                    staff_id=reader.id,
                    child_id=child.id,
                    key_id=child.data_key_id,
                )
        await uow.commit()
    return len(due)
