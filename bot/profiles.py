"""The missing-person profile in the bot: ``/profile REF`` shows it, ``/profile REF FIELD TEXT``
sets one field, a photo sent in reply to the profile sets the photo, and ``/profile REF release``
(or the button on an episode's checklist) hands it over, ready for the police, while the young
person is missing.

Every message showing the profile is sealed under the young person's key and marked with the
purpose ``profile``: a reply to one is read here, never passed on to the young person.
"""

from __future__ import annotations

from telegram import Update

from bot import missing_texts as texts
from bot import notices
from bot.gate import to_staff, tr_for
from bot.runtime import AlongsideContext
from conversations import missing
from conversations.access import access_child_by_id, access_child_by_ref
from conversations.errors import AccessDenied
from conversations.outgoing import Outgoing
from conversations.people import ChildView, StaffView
from conversations.relay import Content

PURPOSE = "profile"


async def _show(
    ctx: AlongsideContext, staff: StaffView, child: ChildView, message: Outgoing
) -> None:
    await to_staff(
        ctx, staff, message, purpose=PURPOSE, child_id=child.id, key_id=child.data_key_id
    )


async def profile_command(update: Update, ctx: AlongsideContext) -> None:
    staff, tr = ctx.staff, ctx.tr
    args = [a for a in (ctx.args or ()) if a]
    try:
        child = await access_child_by_ref(ctx.uow, staff, args[0].upper() if args else "")
    except AccessDenied:
        await to_staff(ctx, staff, texts.usage(tr))
        return
    action = args[1].casefold() if len(args) > 1 else ""
    if action == "release" and len(args) == 2:
        await release(ctx, staff, child)
        return
    if action in missing.FIELDS and action != "photo":
        # The words as written, spaces and lines kept: everything after the field's name.
        text = (update.effective_message.text or "") if update.effective_message else ""
        value = text.split(None, 3)[3] if len(text.split(None, 3)) > 3 else ""
        await missing.set_field(ctx.uow, staff, child, action, value)
        await to_staff(ctx, staff, texts.saved(tr, child), about=child)
        return
    if action:
        await to_staff(ctx, staff, texts.usage(tr))
        return
    kept = await missing.read_profile(ctx.uow, staff, child)
    await _show(ctx, staff, child, texts.profile(tr, child, kept))
    if photo := kept.fields.get("photo"):
        await _show(ctx, staff, child, Outgoing(kind="photo", file_id=photo, protect=True))


async def release(ctx: AlongsideContext, staff: StaffView, child: ChildView) -> None:
    try:
        kept, episode = await missing.release(ctx.uow, staff, child)
    except missing.NotMissing:
        await to_staff(ctx, staff, texts.release_refused(ctx.tr, child), about=child)
        return
    body = texts.released(tr_for(ctx, "en"), child, kept, episode, by=staff.name, now=ctx.uow.now)
    await _show(ctx, staff, child, Outgoing(text=body))
    if photo := kept.fields.get("photo"):
        await _show(ctx, staff, child, Outgoing(kind="photo", file_id=photo))
    name = f"missing-person-profile-{child.ref}.txt"
    await _show(ctx, staff, child, Outgoing(kind="file", extra={"name": name, "body": body}))


async def profile_reply(
    ctx: AlongsideContext, staff: StaffView, replied: int, content: Content
) -> bool:
    """A reply to a message showing the profile: a photo becomes its photo; anything else goes
    nowhere (it would otherwise reach the young person). False if it answers something else."""
    shown = await ctx.uow.replies.replied_to(staff.telegram_id, replied)
    if shown is None or shown.purpose != PURPOSE or shown.child_id is None:
        return False
    tr = tr_for(ctx, staff.locale)
    try:
        child = await access_child_by_id(ctx.uow, staff, shown.child_id)
    except AccessDenied:
        await to_staff(ctx, staff, notices.cannot_reach(tr))
        return True
    if content.kind != "photo" or not content.file_id:
        await to_staff(ctx, staff, texts.photo_only(tr))
        return True
    await missing.set_field(ctx.uow, staff, child, "photo", content.file_id)
    await to_staff(ctx, staff, texts.saved(tr, child), about=child)
    return True
