"""Invites and linking: an advocate's single-use code joins a child to them.

Codes carry 72 bits of randomness (12 characters of a 64-letter alphabet, safe for deep links),
are stored only as a keyed hash, expire, and can be used once. Wrong guesses are throttled per
Telegram user and across everyone, and the attempts are stored so a restart does not reset them;
a valid code is never held back by them.
"""

from __future__ import annotations

import secrets
import string
from dataclasses import dataclass
from datetime import datetime, timedelta

from conversations.errors import InviteExpired, InviteUnknown, InviteUsed, Throttled
from conversations.ids import case_reference, new_id
from conversations.people import ChildView, StaffView, display_name, get_staff
from conversations.repositories import InviteRecord, Work
from conversations.topics import prune_topics, rename_topics

CODE_ALPHABET = string.ascii_letters + string.digits + "-_"
CODE_LENGTH = 12
INVITE_LIFETIME = timedelta(hours=72)
USER_LIMIT = 5
USER_WINDOW = timedelta(minutes=10)
GLOBAL_LIMIT = 200
GLOBAL_WINDOW = timedelta(minutes=1)


@dataclass(frozen=True)
class NewInvite:
    code: str
    expires_at: datetime


@dataclass(frozen=True)
class Linked:
    child: ChildView
    advocate: StaffView
    already: bool = False


def new_code() -> str:
    return "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))


def looks_like_code(text: str) -> bool:
    return 0 < len(text) <= 64 and all(c in CODE_ALPHABET for c in text)


async def create_invite(
    uow: Work, advocate: StaffView, nickname: str, lifetime: timedelta = INVITE_LIFETIME
) -> NewInvite:
    code = new_code()
    invite_id = await uow.invites.add(
        code=code,
        advocate_id=advocate.id,
        nickname=display_name(nickname)[:64],
        expires_at=uow.now + lifetime,
    )
    await uow.audit(f"staff:{advocate.id}", "invite.create", invite_id)
    return NewInvite(code, uow.now + lifetime)


async def throttled_until(uow: Work, telegram_id: int) -> datetime | None:
    mine = await uow.attempts.times_since(telegram_id, uow.now - USER_WINDOW)
    if len(mine) >= USER_LIMIT:
        # Free again once enough of the window's attempts have aged out.
        return mine[len(mine) - USER_LIMIT] + USER_WINDOW
    everyone = await uow.attempts.count_since(uow.now - GLOBAL_WINDOW)
    if everyone >= GLOBAL_LIMIT:
        return uow.now + GLOBAL_WINDOW
    return None


async def record_wrong_code(uow: Work, telegram_id: int) -> None:
    """Count a wrong guess; past the limits, refuse it (`Throttled`) without counting more.

    Only wrong guesses are slowed: a valid code always works, however many wrong ones others
    (or this account) sent. A code's 72 bits are what make guessing hopeless; the limits keep a
    flood of guesses from costing answers, audit rows and stored attempts.
    """
    until = await throttled_until(uow, telegram_id)
    if until is not None:
        raise Throttled(until)
    await uow.attempts.add(telegram_id, uow.now)
    await uow.audit("system", "invite.wrong_code")


async def link_child(uow: Work, telegram_id: int, code: str, locale: str) -> Linked:
    """Link the Telegram user to the invite's advocate, or raise an `InviteError` (`Throttled`
    for a wrong code past the limits)."""
    invite = await uow.invites.for_code(code)
    if invite is None:
        await record_wrong_code(uow, telegram_id)
        # Commit the attempt even though the caller answers with an error.
        raise InviteUnknown(code)
    if invite.used_at is not None:
        again = await _opened_again(uow, invite, telegram_id)
        if again is not None:
            return again
        await record_wrong_code(uow, telegram_id)
        raise InviteUsed(code)
    if invite.expires_at <= uow.now:
        await record_wrong_code(uow, telegram_id)
        raise InviteExpired(code)
    advocate = await get_staff(uow, invite.advocate_id)
    if advocate is None or not advocate.active:
        raise InviteExpired(code)

    existing = await uow.children.by_telegram(telegram_id)
    if existing is not None:
        # The advocate the record names: a view of a record whose bond is broken names none.
        named = await uow.children.advocate_named(existing.id)
        current = named and await get_staff(uow, named)
        if current:
            # Already linked: keep the code for the child it was meant for.
            return Linked(existing, current, already=True)
    if existing is None:
        ref = await _free_reference(uow)
        child = await uow.children.add(
            telegram_id=telegram_id,
            ref=ref,
            nickname=invite.nickname or ref,
            locale=locale,
            advocate_id=advocate.id,
        )
    else:
        child = await uow.children.link(existing.id, advocate.id, invite.nickname or existing.ref)
        # Known before under another name, perhaps to others: their topics follow.
        if child.nickname != existing.nickname:
            await rename_topics(uow, child)
        await prune_topics(uow, child)
    await uow.invites.consume(invite.id, child.id)
    await uow.audit(f"child:{child.id}", "child.link", child.id, f"advocate={advocate.id}")
    return Linked(child, advocate)


async def _opened_again(uow: Work, invite: InviteRecord, telegram_id: int) -> Linked | None:
    """The child who used this code opened it again (a second tap): not a wrong guess."""
    if invite.child_id is None:
        return None
    child = await uow.children.get(invite.child_id)
    if child is None or child.telegram_id != telegram_id:
        return None
    named = await uow.children.advocate_named(child.id)
    if not named:
        return None
    current = await get_staff(uow, named)
    if current is None or not current.active:
        return None
    return Linked(child, current, already=True)


async def _free_reference(uow: Work) -> str:
    for length in (3, 3, 3, 4, 4, 5, 6):
        ref = case_reference()[:3] + case_reference()[: length - 3]
        if not await uow.children.ref_taken(ref):
            return ref
    return new_id()[-8:]


async def register_unlinked(uow: Work, telegram_id: int, locale: str) -> ChildView:
    """Someone without a code asked for help: give them a record so supervisors can answer."""
    child = await uow.children.by_telegram(telegram_id)
    if child is None:
        child = await uow.children.add(
            telegram_id=telegram_id,
            ref=await _free_reference(uow),
            nickname="(not linked)",
            locale=locale,
        )
        await uow.audit(f"child:{child.id}", "child.unlinked_help", child.id)
    return child
