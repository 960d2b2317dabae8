"""The staff's side of alerts: acknowledge, open, list, resolve, mark seen, mute a stranger.

Buttons route here by their data (`bot.callbacks.AlertButton`: ``ack:``, ``open:``, ``seen:``,
``mute:``, ``unmute:``, ``alerts:``); refusals never say whether the alert or the young person
exists. Only staff reach these handlers (`bot.routing`).
"""

from __future__ import annotations

from telegram import Update

from bot import metrics
from bot.alerting import marks, update_cards
from bot.callbacks import AlertButton
from bot.gate import to_staff
from bot.i18n import N_, Translator
from bot.runtime import AlongsideContext
from conversations import alerts, attention, people
from conversations.access import access_alert_by_id, access_child_by_id
from conversations.alerts import AlertView
from conversations.errors import AccessDenied
from conversations.outgoing import Button, Outgoing
from conversations.people import ChildView, StaffView

PAGE = 10
STATUS = {"open": N_("open"), "acknowledged": N_("acknowledged")}


async def _tell(
    ctx: AlongsideContext,
    staff: StaffView,
    text: str,
    purpose: str = "notice",
    about: ChildView | None = None,
) -> None:
    await to_staff(ctx, staff, Outgoing(text=text), purpose=purpose, about=about)


async def on_alert_button(ctx: AlongsideContext, staff: StaffView, button: AlertButton) -> None:
    action, key = button.action, button.key
    if action == "ack":
        await acknowledge(ctx, staff, key)
    elif action == "open":
        await open_alert(ctx, staff, key)
    elif action == "seen":
        await seen(ctx, staff, key)
    elif action in ("mute", "unmute"):
        await mute(ctx, staff, key, action == "mute")
    elif action == "alerts":
        await show_alerts(ctx, staff, int(key))


async def acknowledge(ctx: AlongsideContext, staff: StaffView, alert_id: str) -> None:
    uow = ctx.uow
    tr = ctx.tr
    view = await alerts.acknowledge(uow, staff, alert_id)
    if view is None:
        await _tell(ctx, staff, tr._("That alert is not open to you."))
        return
    metrics.ALERTS_ACKNOWLEDGED.inc()
    await _tell(
        ctx,
        staff,
        tr._(
            "Acknowledged: {nickname} · {ref}. Others will not be reminded.",
            nickname=view.child.nickname,
            ref=view.child.ref,
        ),
        purpose="alert",
        about=view.child,
    )
    # Everyone who holds the card sees who took it.
    await update_cards(ctx.runtime, uow, view)


async def open_alert(ctx: AlongsideContext, staff: StaffView, alert_id: str) -> None:
    """The flagged message with the messages around it, decrypted for this reader, audited."""
    uow = ctx.uow
    tr = ctx.tr
    try:
        view = await access_alert_by_id(uow, staff, alert_id)
    except AccessDenied:
        await _tell(ctx, staff, tr._("That alert is not open to you."))
        return
    rows = await alerts.messages_around(uow, view)
    await uow.audit(f"staff:{staff.id}", "messages.read", view.child.id, f"alert={view.id}")
    text = tr._(
        "Alert for {nickname} · {ref}, {when}:",
        nickname=view.child.nickname,
        ref=view.child.ref,
        when=tr.datetime(view.raised_at),
    )
    quotes: list[tuple[int, int]] = []
    for row, body in rows:
        who = view.child.nickname if row.direction == "in" else tr._("staff")
        flag = "➡️ " if row.id == view.message_id else ""
        text += f"\n{flag}{tr.time(row.created_at)} {who}:\n"
        words = body.get("text") or ""
        if words.strip():
            # Their words as a quote: a line break in them cannot pass for a line of ours.
            quotes.append((len(text), len(text) + len(words)))
            text += words
        else:
            text += f"[{row.kind}]"
    if not rows:
        text += "\n" + tr._("(no messages)")
    await uow.send(
        staff.telegram_id,
        Outgoing(text=text, protect=True, quotes=tuple(quotes)),
        purpose="notice",
        staff_id=staff.id,
        key_id=view.child.data_key_id,
        child_id=view.child.id,
    )


async def seen(ctx: AlongsideContext, staff: StaffView, child_id: str) -> None:
    """*Seen* on a relay or a silence card: a person has read the young person's messages."""
    uow = ctx.uow
    tr = ctx.tr
    try:
        child = await access_child_by_id(uow, staff, child_id)
    except AccessDenied:
        await _tell(ctx, staff, tr._("That alert is not open to you."))
        return
    if await attention.answered(uow, child.id, f"staff:{staff.id}", "seen"):
        await _tell(
            ctx,
            staff,
            tr._("Marked as seen: {nickname} · {ref}.", nickname=child.nickname, ref=child.ref),
            about=child,
        )


async def mute(ctx: AlongsideContext, staff: StaffView, child_id: str, muted: bool) -> None:
    uow = ctx.uow
    tr = ctx.tr
    child = await people.get_child(uow, child_id)
    if child is None or not await attention.set_muted(uow, staff, child, muted):
        await _tell(
            ctx,
            staff,
            tr._("Only a supervisor can mute, and only someone who is not linked to an advocate."),
        )
        return
    if muted:
        text = tr._(
            "Muted {ref}: their messages and Help now presses are kept, and no longer "
            "sent to anyone. They still get the emergency numbers.",
            ref=child.ref,
        )
        button = Button(tr._("Unmute"), data=AlertButton("unmute", child.id).encode())
    else:
        text = tr._("Unmuted {ref}: their messages reach the supervisors again.", ref=child.ref)
        button = Button(tr._("Mute this sender"), data=AlertButton("mute", child.id).encode())
    await uow.send(
        staff.telegram_id,
        Outgoing(text=text, buttons=((button,),)),
        purpose="notice",
        staff_id=staff.id,
        key_id=child.data_key_id,
    )


def _age(tr: Translator, minutes: int) -> str:
    if minutes < 120:
        return tr.n_("{n} minute ago", "{n} minutes ago", minutes)
    if minutes < 48 * 60:
        return tr.n_("{n} hour ago", "{n} hours ago", minutes // 60)
    return tr.n_("{n} day ago", "{n} days ago", minutes // (24 * 60))


def _line(tr: Translator, view: AlertView, minutes: int) -> str:
    status = tr._(STATUS[view.status]) if view.status in STATUS else view.status
    return tr._(
        "{mark}{nickname} · {ref} · {status} · {age}",
        mark=marks(tr, view.severity),
        nickname=view.child.nickname,
        ref=view.child.ref,
        status=status,
        age=_age(tr, minutes),
    )


async def show_alerts(ctx: AlongsideContext, staff: StaffView, offset: int = 0) -> None:
    """Every unresolved alert this person may act on, urgent and oldest first, a page at a
    time, with counts by status and age."""
    uow = ctx.uow
    tr = ctx.tr
    page = await alerts.open_alerts(uow, staff, offset, PAGE)
    counts = await alerts.counts(uow, staff)
    by = counts.by_status
    lines = [
        tr._(
            "Open: {open} urgent, {concern} concerns. Acknowledged, not resolved: {ack}.",
            open=by.get(("open", "urgent"), 0),
            concern=by.get(("open", "concern"), 0),
            ack=sum(n for (status, _), n in by.items() if status == "acknowledged"),
        ),
        tr._(
            "Waiting more than an hour: {hour}. More than a day: {day}.",
            hour=counts.older_than_hour,
            day=counts.older_than_day,
        ),
    ]
    if not page.views:
        await _tell(ctx, staff, "\n".join([*lines, tr._("No open alerts.")]))
        return
    pages = (page.total + PAGE - 1) // PAGE
    lines += ["", tr._("Page {page} of {pages}:", page=page.offset // PAGE + 1, pages=pages)]
    rows: list[tuple[Button, ...]] = []
    for view in page.views:
        minutes = int((uow.now - view.raised_at).total_seconds() // 60)
        lines.append(_line(tr, view, minutes))
        row = [
            Button(f"{view.child.ref} {tr._('Open')}", data=AlertButton("open", view.id).encode())
        ]
        if view.status == "open" and view.source != "unanswered":
            row.append(Button(tr._("Acknowledge"), data=AlertButton("ack", view.id).encode()))
        rows.append(tuple(row))
    paging = []
    if page.offset > 0:
        paging.append(
            Button(
                tr._("‹ Previous"),
                data=AlertButton("alerts", str(max(page.offset - PAGE, 0))).encode(),
            )
        )
    if page.offset + PAGE < page.total:
        paging.append(
            Button(tr._("Next ›"), data=AlertButton("alerts", str(page.offset + PAGE)).encode())
        )
    if paging:
        rows.append(tuple(paging))
    await uow.send(
        staff.telegram_id,
        Outgoing(text="\n".join(lines), buttons=tuple(rows)),
        purpose="notice",
        staff_id=staff.id,
    )


async def alerts_command(update: Update, ctx: AlongsideContext) -> None:
    await show_alerts(ctx, ctx.staff)


async def resolve_command(update: Update, ctx: AlongsideContext) -> None:
    """/resolve REF outcome note: closes that child's newest unresolved alert."""
    staff, uow, tr = ctx.staff, ctx.uow, ctx.tr
    args = ctx.args or []
    if len(args) < 2:
        await _tell(
            ctx,
            staff,
            tr._("Use: /resolve REF what happened (for example: /resolve K7F spoke to her, safe)"),
        )
        return
    target = await alerts.unresolved_for(uow, staff, args[0])
    view = target and await alerts.resolve(uow, staff, target.id, " ".join(args[1:]))
    if not view:
        await _tell(ctx, staff, tr._("That alert is not open to you."))
        return
    await _tell(
        ctx,
        staff,
        tr._("Resolved: {nickname} · {ref}.", nickname=view.child.nickname, ref=view.child.ref),
        about=view.child,
    )
    if view.source != "unanswered":
        await update_cards(ctx.runtime, uow, view)


async def mute_command(update: Update, ctx: AlongsideContext, muted: bool) -> None:
    staff = ctx.staff
    ref = (ctx.args or [""])[0]
    child = await people.find_child_by_ref(ctx.uow, ref.upper()) if ref else None
    await mute(ctx, staff, child.id if child else "-", muted)


async def mute_on(update: Update, ctx: AlongsideContext) -> None:
    await mute_command(update, ctx, True)


async def mute_off(update: Update, ctx: AlongsideContext) -> None:
    await mute_command(update, ctx, False)
