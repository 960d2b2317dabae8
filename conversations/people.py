"""Staff and children: enrolment, look-up by Telegram id, and the views services hand out."""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import TYPE_CHECKING

from sqlalchemy import and_, bindparam, func, literal, select
from sqlalchemy.orm import aliased

from conversations import bonds
from conversations.errors import AlongsideError
from conversations.ids import new_id
from conversations.models import Child, Staff
from conversations.store import UnitOfWork

if TYPE_CHECKING:
    from conversations.repositories import Work

AWAY_LIMIT = timedelta(days=90)


class Role(StrEnum):
    ADVOCATE = "advocate"
    SUPERVISOR = "supervisor"
    # Reads one young person's conversation for a window an advocate asked for; nothing else.
    INTERPRETER = "interpreter"


@dataclass(frozen=True)
class StaffView:
    id: str
    telegram_id: int
    name: str
    role: Role
    locale: str
    languages: tuple[str, ...]
    away_until: datetime | None
    active: bool
    # Blocked the bot: nothing sent to them arrives until they write again.
    unreachable: bool = False

    @property
    def is_supervisor(self) -> bool:
        return self.role is Role.SUPERVISOR

    @property
    def is_interpreter(self) -> bool:
        return self.role is Role.INTERPRETER


@dataclass(frozen=True)
class ChildView:
    id: str
    ref: str
    telegram_id: int
    nickname: str
    locale: str
    locale_chosen: bool
    advocate_id: str | None
    data_key_id: str
    stage: str | None
    unreachable: bool
    # An unlinked sender a supervisor muted (kept, not pushed to anyone).
    muted: bool = False


class StaffError(AlongsideError):
    """A staff change that cannot be made; the message says why in one line."""


async def staff_view(uow: UnitOfWork, row: Staff) -> StaffView:
    bonds.require(row)
    return StaffView(
        id=row.id,
        telegram_id=int(await uow.open(row.tg_sealed, "staff", "telegram", row.id)),
        name=await uow.open(row.name_sealed, "staff", "name", row.id),
        role=Role(row.role),
        locale=row.locale,
        languages=tuple(x for x in row.languages.split(",") if x),
        away_until=row.away_until,
        active=row.active,
        unreachable=row.unreachable,
    )


async def child_view(uow: UnitOfWork, row: Child) -> ChildView:
    """The child as staff may see them. A row whose bond is broken names no advocate: it is
    in the supervisors' hands, so what the child sends still reaches a person, and whoever
    rewrote it reads nothing."""
    return ChildView(
        id=row.id,
        ref=row.ref,
        telegram_id=int(await uow.open(row.tg_sealed, "children", "telegram", row.id)),
        nickname=await uow.open(row.nickname_sealed, "children", "nickname", row.id),
        locale=row.locale,
        locale_chosen=row.locale_chosen,
        advocate_id=row.advocate_id if bonds.trusted(row) else None,
        data_key_id=row.data_key_id,
        stage=None
        if row.stage_sealed is None
        else await uow.open(row.stage_sealed, "children", "stage", row.id),
        unreachable=row.unreachable,
        muted=row.muted_at is not None,
    )


# Who wrote is asked of every update: the statement is built once.
_ACTIVE_STAFF_BY_INDEX = select(Staff).where(
    Staff.tg_index == bindparam("b_index"), Staff.active.is_(True)
)


# Who wrote, asked of every update in one read: an active staff member, else a young person,
# with their advocate (whom their message goes to next: the identity map has them then).
_ADVOCATE = aliased(Staff)
_SENDER_BY_INDEX = (
    select(Staff, Child, _ADVOCATE)
    .select_from(select(literal(1).label("one")).subquery())
    .outerjoin(Staff, and_(Staff.tg_index == bindparam("b_index"), Staff.active.is_(True)))
    .outerjoin(Child, Child.tg_index == bindparam("b_index"))
    .outerjoin(_ADVOCATE, _ADVOCATE.id == Child.advocate_id)
)


async def find_sender(uow: UnitOfWork, telegram_id: int) -> StaffView | ChildView | None:
    """`find_staff`, else `find_child`, in one read."""
    staff, child, _advocate = (
        await uow.session.execute(_SENDER_BY_INDEX, {"b_index": uow.index.telegram(telegram_id)})
    ).one()
    if staff is not None:
        return await staff_view(uow, staff)
    return None if child is None else await child_view(uow, child)


async def find_staff(uow: UnitOfWork, telegram_id: int) -> StaffView | None:
    row = (
        await uow.session.execute(
            _ACTIVE_STAFF_BY_INDEX, {"b_index": uow.index.telegram(telegram_id)}
        )
    ).scalar_one_or_none()
    return None if row is None else await staff_view(uow, row)


async def find_child(uow: Work, telegram_id: int) -> ChildView | None:
    return await uow.children.by_telegram(telegram_id)


async def find_child_by_ref(uow: Work, ref: str) -> ChildView | None:
    return await uow.children.by_ref(ref.upper())


async def get_child(uow: Work, child_id: str) -> ChildView | None:
    return await uow.children.get(child_id)


async def get_staff(uow: Work, staff_id: str) -> StaffView | None:
    return await uow.staff.get(staff_id)


async def children_of(uow: UnitOfWork, advocate_id: str) -> list[ChildView]:
    rows = (
        (
            await uow.session.execute(
                select(Child).where(Child.advocate_id == advocate_id).order_by(Child.linked_at)
            )
        )
        .scalars()
        .all()
    )
    await uow.load_keys(blob for row in rows for blob in (row.tg_sealed, row.nickname_sealed))
    return [await child_view(uow, row) for row in rows if bonds.trusted(row)]


async def supervisors(uow: UnitOfWork) -> list[StaffView]:
    rows = (
        (
            await uow.session.execute(
                select(Staff)
                .where(Staff.role == Role.SUPERVISOR.value, Staff.active.is_(True))
                .order_by(Staff.created_at)
            )
        )
        .scalars()
        .all()
    )
    return [await staff_view(uow, row) for row in rows if bonds.trusted(row)]


async def set_staff_reachable(uow: UnitOfWork, staff_id: str, reachable: bool) -> None:
    """A staff member who blocked the bot hears nothing (and counts for no promise to a child)
    until they open the chat again."""
    row = await uow.session.get(Staff, staff_id)
    if row is not None and row.unreachable == reachable:
        row.unreachable = not reachable
        await uow.audit("system", "staff.reachable" if reachable else "staff.unreachable", staff_id)


async def active_supervisors(uow: UnitOfWork) -> int:
    return int(
        (
            await uow.session.execute(
                select(func.count(Staff.id)).where(
                    Staff.role == Role.SUPERVISOR.value, Staff.active.is_(True)
                )
            )
        ).scalar_one()
    )


def is_away(staff: StaffView, now: datetime) -> bool:
    return staff.away_until is not None and staff.away_until > now


async def set_away(uow: UnitOfWork, staff: StaffView, until: datetime | None) -> None:
    """Away until a time (None: back now). Their young people are told when they next write."""
    if until is not None and not uow.now < until <= uow.now + AWAY_LIMIT:
        raise StaffError("an absence must end in the future, within 90 days")
    row = await uow.session.get(Staff, staff.id)
    assert row is not None
    row.away_until = until
    await uow.audit(
        f"staff:{staff.id}", "staff.away" if until else "staff.back", "", f"staff={staff.id}"
    )


async def readers_of(uow: UnitOfWork, child: ChildView) -> tuple[list[StaffView], StaffView | None]:
    """Who reads this child's messages, and their advocate if that advocate is away.

    With no advocate, the supervisors read them; with one away, the supervisors as well.
    """
    row = await uow.session.get(Staff, child.advocate_id) if child.advocate_id else None
    # An advocate whose row was rewritten outside Alongside reads nothing: the supervisors do.
    advocate = await staff_view(uow, row) if row is not None and bonds.trusted(row) else None
    if not advocate:
        return await supervisors(uow), None
    if not is_away(advocate, uow.now):
        return [advocate], None
    others = [s for s in await supervisors(uow) if s.id != advocate.id]
    return [advocate, *others], advocate


async def first_word_of_absence(uow: UnitOfWork, child: ChildView, advocate: StaffView) -> bool:
    """True the first time this child writes during this absence of their advocate."""
    row = await uow.session.get(Child, child.id)
    assert row is not None
    if not is_away(advocate, uow.now) or row.away_told_until == advocate.away_until:
        return False
    row.away_told_until = advocate.away_until
    return True


# Our own separators in headers and lists: a name must not forge the fields after it.
_SEPARATORS = str.maketrans({"·": "-", "•": "-", "|": "-"})


def display_name(raw: str) -> str:
    """A name as staff and young people see it: no bidi controls, zero-width or other
    invisible characters, none of our separators, one space between words."""
    text = unicodedata.normalize("NFC", raw).translate(_SEPARATORS)
    kept = "".join(
        " " if unicodedata.category(c) in ("Zl", "Zp") else c
        for c in text
        if unicodedata.category(c) not in ("Cc", "Cf", "Co", "Cs", "Cn") or c in "\n\t"
    )
    return " ".join(kept.split())


async def name_taken(uow: Work, name: str, *, but: int | None = None) -> bool:
    """Whether an active staff member (other than Telegram user `but`) has this name, in any
    case: young people and colleagues tell staff apart by name."""
    return any(
        view.name.casefold() == name.casefold() and view.telegram_id != but
        for view in await uow.staff.active()
    )


async def add_staff(
    uow: Work,
    *,
    telegram_id: int,
    name: str,
    role: Role,
    languages: tuple[str, ...] = (),
    locale: str = "en",
    actor: str = "operator",
) -> StaffView:
    name = display_name(name)
    if not name or len(name) > 64:
        raise StaffError("a name of 1 to 64 characters is needed")
    if telegram_id <= 0:
        raise StaffError("a Telegram user id is a positive number")
    if await name_taken(uow, name, but=telegram_id):
        raise StaffError("another staff member is already called that")
    if await find_child(uow, telegram_id) is not None:
        raise StaffError("that Telegram account belongs to a young person here")
    existing = await uow.staff.by_telegram(telegram_id)
    if existing is not None and existing.active:
        raise StaffError("that Telegram account is already enrolled")
    view = await uow.staff.add(
        StaffView(
            id=existing.id if existing else new_id(),
            telegram_id=telegram_id,
            name=name,
            role=role,
            locale=locale,
            languages=languages,
            away_until=existing.away_until if existing else None,
            active=True,
            unreachable=False,
        )
    )
    await uow.audit(actor, "staff.add", view.id, role.value)
    return view


async def list_staff(uow: UnitOfWork) -> list[tuple[StaffView, int]]:
    """Active staff with how many children each has."""
    counts = dict(
        (
            await uow.session.execute(
                select(Child.advocate_id, func.count(Child.id)).group_by(Child.advocate_id)
            )
        ).all()
    )
    rows = (
        (
            await uow.session.execute(
                select(Staff).where(Staff.active.is_(True)).order_by(Staff.created_at)
            )
        )
        .scalars()
        .all()
    )
    return [
        (await staff_view(uow, row), int(counts.get(row.id, 0)))
        for row in rows
        if bonds.trusted(row)
    ]


async def set_staff_locale(uow: UnitOfWork, staff_id: str, locale: str) -> None:
    row = await uow.session.get(Staff, staff_id)
    if row is not None:
        row.locale = locale
        await uow.audit(f"staff:{staff_id}", "staff.language", staff_id, locale)


async def set_child_locale(uow: UnitOfWork, child_id: str, locale: str, chosen: bool) -> None:
    """A child's own choice from the menu wins over what Telegram says of their app."""
    row = await uow.session.get(Child, child_id)
    if row is None or (row.locale_chosen and not chosen):
        return
    row.locale = locale
    row.locale_chosen = row.locale_chosen or chosen
