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

from sqlalchemy import func, select

from conversations.errors import InviteExpired, InviteUnknown, InviteUsed, Throttled
from conversations.ids import case_reference, new_id
from conversations.models import Child, CodeAttempt, Invite
from conversations.people import ChildView, StaffView, child_view, display_name, get_staff
from conversations.store import UnitOfWork

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
    uow: UnitOfWork, advocate: StaffView, nickname: str, lifetime: timedelta = INVITE_LIFETIME
) -> NewInvite:
    code = new_code()
    invite_id = new_id()
    uow.session.add(
        Invite(
            id=invite_id,
            code_index=uow.index.code(code),
            advocate_id=advocate.id,
            nickname_sealed=await uow.seal(
                uow.store.system_key_id,
                display_name(nickname)[:64],
                "invites",
                "nickname",
                invite_id,
            ),
            created_at=uow.now,
            expires_at=uow.now + lifetime,
        )
    )
    await uow.audit(f"staff:{advocate.id}", "invite.create", invite_id)
    return NewInvite(code, uow.now + lifetime)


async def throttled_until(uow: UnitOfWork, telegram_id: int) -> datetime | None:
    tg_index = uow.index.telegram(telegram_id)
    mine = (
        (
            await uow.session.execute(
                select(CodeAttempt.at)
                .where(CodeAttempt.tg_index == tg_index, CodeAttempt.at > uow.now - USER_WINDOW)
                .order_by(CodeAttempt.at)
            )
        )
        .scalars()
        .all()
    )
    if len(mine) >= USER_LIMIT:
        # Free again once enough of the window's attempts have aged out.
        return mine[len(mine) - USER_LIMIT] + USER_WINDOW
    everyone = (
        await uow.session.execute(
            select(func.count(CodeAttempt.id)).where(CodeAttempt.at > uow.now - GLOBAL_WINDOW)
        )
    ).scalar_one()
    if everyone >= GLOBAL_LIMIT:
        return uow.now + GLOBAL_WINDOW
    return None


async def record_wrong_code(uow: UnitOfWork, telegram_id: int) -> None:
    """Count a wrong guess; past the limits, refuse it (`Throttled`) without counting more.

    Only wrong guesses are slowed: a valid code always works, however many wrong ones others
    (or this account) sent. A code's 72 bits are what make guessing hopeless; the limits keep a
    flood of guesses from costing answers, audit rows and stored attempts.
    """
    until = await throttled_until(uow, telegram_id)
    if until is not None:
        raise Throttled(until)
    uow.session.add(CodeAttempt(tg_index=uow.index.telegram(telegram_id), at=uow.now))
    await uow.audit("system", "invite.wrong_code")


async def link_child(uow: UnitOfWork, telegram_id: int, code: str, locale: str) -> Linked:
    """Link the Telegram user to the invite's advocate, or raise an `InviteError` (`Throttled`
    for a wrong code past the limits)."""
    # Locked, so two workers given the same code cannot both link with it.
    invite = (
        await uow.session.execute(
            select(Invite).where(Invite.code_index == uow.index.code(code)).with_for_update()
        )
    ).scalar_one_or_none()
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

    tg_index = uow.index.telegram(telegram_id)
    existing = (
        await uow.session.execute(select(Child).where(Child.tg_index == tg_index))
    ).scalar_one_or_none()
    if existing is not None:
        current = existing.advocate_id and await get_staff(uow, existing.advocate_id)
        if current:
            # Already linked: keep the code for the child it was meant for.
            return Linked(await child_view(uow, existing), current, already=True)
    nickname = await uow.open(invite.nickname_sealed, "invites", "nickname", invite.id)
    row = existing or await _new_child(uow, telegram_id, locale)
    row.advocate_id = advocate.id
    row.nickname_sealed = await uow.seal(
        row.data_key_id, nickname or row.ref, "children", "nickname", row.id
    )
    row.unreachable = False
    invite.used_at = uow.now
    invite.child_id = row.id
    await uow.session.flush()
    await uow.audit(f"child:{row.id}", "child.link", row.id, f"advocate={advocate.id}")
    return Linked(await child_view(uow, row), advocate)


async def _opened_again(uow: UnitOfWork, invite: Invite, telegram_id: int) -> Linked | None:
    """The child who used this code opened it again (a second tap): not a wrong guess."""
    if invite.child_id is None:
        return None
    row = await uow.session.get(Child, invite.child_id)
    if row is None or row.tg_index != uow.index.telegram(telegram_id) or not row.advocate_id:
        return None
    current = await get_staff(uow, row.advocate_id)
    if current is None or not current.active:
        return None
    return Linked(await child_view(uow, row), current, already=True)


async def _new_child(uow: UnitOfWork, telegram_id: int, locale: str) -> Child:
    child_id = new_id()
    key = uow.new_child_key()
    ref = await _free_reference(uow)
    row = Child(
        id=child_id,
        ref=ref,
        tg_index=uow.index.telegram(telegram_id),
        tg_sealed=await uow.seal(key, str(telegram_id), "children", "telegram", child_id),
        nickname_sealed=b"",
        data_key_id=key,
        locale=locale,
        locale_chosen=False,
        linked_at=uow.now,
    )
    uow.session.add(row)
    return row


async def _free_reference(uow: UnitOfWork) -> str:
    for length in (3, 3, 3, 4, 4, 5, 6):
        ref = case_reference()[:3] + case_reference()[: length - 3]
        taken = (
            await uow.session.execute(select(Child.id).where(Child.ref == ref))
        ).scalar_one_or_none()
        if taken is None:
            return ref
    return new_id()[-8:]


async def register_unlinked(uow: UnitOfWork, telegram_id: int, locale: str) -> ChildView:
    """Someone without a code asked for help: give them a record so supervisors can answer."""
    tg_index = uow.index.telegram(telegram_id)
    row = (
        await uow.session.execute(select(Child).where(Child.tg_index == tg_index))
    ).scalar_one_or_none()
    if row is None:
        row = await _new_child(uow, telegram_id, locale)
        row.nickname_sealed = await uow.seal(
            row.data_key_id, "(not linked)", "children", "nickname", row.id
        )
        await uow.session.flush()
        await uow.audit(f"child:{row.id}", "child.unlinked_help", row.id)
    return await child_view(uow, row)
