"""Row bonds: who owns what, under a key the database does not hold.

A sealed field opens only in its own table, column and row; what decides *who may read it* is
plain: a child's advocate, a note's or a summary's child, a staff member's role. Each `Bonded`
row carries a keyed MAC over those columns, made when the row is written (before every flush)
and checked whenever the row is loaded. Someone who can write to the database but lacks the
index key can still delete rows, or put back an older copy of one; they cannot move a child to
another advocate, or one child's note or story to another, without that row refusing to load.
`alongside audit verify` checks every bond.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass
from itertools import chain
from typing import Any
from weakref import WeakSet

from sqlalchemy import Table, event, inspect, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import QueryContext, Session, UOWTransaction
from sqlalchemy.sql.schema import ScalarElementColumnDefault

from conversations.crypto import BlindIndex
from conversations.errors import TamperedError
from conversations.models import AuditEntry, Base, Bonded, Child

log = logging.getLogger(__name__)

INDEX = "alongside.index"  # where a session keeps the `BlindIndex` (Session.info)
# Read in lists and sweeps (the supervisors to page, alerts to re-raise): one rewritten row
# must not stop the rest. A rewritten staff row acts for no one; a rewritten child is left to
# the supervisors (`people.staff_view`, `people.child_view`). Any other rewritten row refuses
# to load.
MARKED = ("staff", "children")
_TAMPERED: WeakSet[object] = WeakSet()


def trusted(row: Bonded) -> bool:
    return row not in _TAMPERED


def require(row: Bonded) -> None:
    if row in _TAMPERED:
        raise TamperedError(f"a {_table(type(row)).name} row's owner was changed outside Alongside")


def bonded_models() -> list[type[Bonded]]:
    return sorted(
        (m.class_ for m in Base.registry.mappers if issubclass(m.class_, Bonded) and m.class_.BOND),
        key=lambda model: model.__name__,
    )


def _table(model: type[Bonded]) -> Table:
    table = inspect(model).local_table
    assert isinstance(table, Table)
    return table


def _expected(index: BlindIndex, model: type[Bonded], values: Iterable[tuple[str, Any]]) -> str:
    return index.bond(_table(model).name, values)


def _values(row: Bonded, *, new: bool) -> list[tuple[str, Any]]:
    table = _table(type(row))
    values = []
    for name in type(row).BOND:
        value = getattr(row, name)
        default = table.c[name].default
        if value is None and new and isinstance(default, ScalarElementColumnDefault):
            value = default.arg  # applied at INSERT, after this runs
        values.append((name, value))
    return values


def bonded(index: BlindIndex, model: type[Bonded], row: dict[str, Any]) -> dict[str, Any]:
    """A new row of `model`, written without the ORM, with the bond a flush would give it."""
    table = _table(model)
    values = []
    for name in model.BOND:
        value = row.get(name)
        default = table.c[name].default
        if value is None and isinstance(default, ScalarElementColumnDefault):
            value = default.arg  # as the INSERT will apply it
        values.append((name, value))
    return {**row, "bond": _expected(index, model, values)}


def _index(session: Session) -> BlindIndex | None:
    index = session.info.get(INDEX)
    return index if isinstance(index, BlindIndex) else None


def install(session_class: type[Session]) -> None:
    """Bond rows before each flush of `session_class`, and check them on every load."""

    @event.listens_for(session_class, "before_flush")
    def _bond(session: Session, _flush: UOWTransaction, _instances: object) -> None:
        index = _index(session)
        if index is None:
            return
        new = set(session.new)
        for row in chain(new, session.dirty):
            if isinstance(row, Bonded) and type(row).BOND:
                row.bond = _expected(index, type(row), _values(row, new=row in new))

    for model in bonded_models():
        event.listen(model, "load", _check)
        event.listen(model, "refresh", _check_refreshed)


def _check(row: Bonded, context: QueryContext) -> None:
    index = _index(context.session)
    if index is None:
        return
    if row.bond != _expected(index, type(row), _values(row, new=False)):
        table = _table(type(row)).name
        log.error("store.bond_broken", extra={"table": table})
        _TAMPERED.add(row)
        if table not in MARKED:
            raise TamperedError(f"a {table} row's owner was changed outside Alongside")


def _check_refreshed(row: Bonded, context: QueryContext, _attrs: object) -> None:
    _check(row, context)


@dataclass(frozen=True)
class Broken:
    table: str
    row_id: str


async def broken(session: AsyncSession, index: BlindIndex, batch: int = 5000) -> list[Broken]:
    """Every row whose bond does not match its columns (read without loading the rows)."""
    found: list[Broken] = []
    for model in bonded_models():
        table = _table(model)
        columns = [table.c[name] for name in model.BOND]
        last = ""
        while True:
            rows = (
                await session.execute(
                    select(table.c.bond, *columns)
                    .where(table.c.id > last)
                    .order_by(table.c.id)
                    .limit(batch)
                )
            ).all()
            if not rows:
                break
            for bond, *values in rows:
                if bond != _expected(index, model, zip(model.BOND, values, strict=True)):
                    found.append(Broken(table.name, str(values[0])))
            last = rows[-1][1]
    return list(dict.fromkeys(found + await _stale_advocates(session)))


async def _stale_advocates(session: AsyncSession) -> list[Broken]:
    """Children whose advocate is not the one the audit chain last gave them.

    A bond cannot tell a current row from an older copy put back (a previous advocate's); the
    chain, which cannot be shortened unseen, says who each child was last linked or handed to.
    """
    given: dict[str, str] = {}
    entries = await session.execute(
        select(AuditEntry.subject, AuditEntry.action, AuditEntry.detail)
        .where(AuditEntry.action.in_(("child.link", "child.handover")))
        .order_by(AuditEntry.id)
    )
    for subject, action, detail in entries:
        fields = dict(part.partition("=")[::2] for part in detail.split())
        given[subject] = fields.get("advocate" if action == "child.link" else "to", "")
    children = await session.execute(select(Child.id, Child.advocate_id))
    return [
        Broken("children", child_id)
        for child_id, advocate_id in children
        if child_id in given and given[child_id] != (advocate_id or "")
    ]


async def fill_missing(session: AsyncSession, index: BlindIndex) -> int:
    """Bond the rows written before bonds existed; how many. Only for the one-time upgrade."""
    filled = 0
    for model in bonded_models():
        table = _table(model)
        columns = [table.c[name] for name in model.BOND]
        rows = (await session.execute(select(*columns).where(table.c.bond.is_(None)))).all()
        for values in rows:
            await session.execute(
                update(table)
                .where(table.c.id == values[0])
                .values(bond=_expected(index, model, zip(model.BOND, values, strict=True)))
            )
        filled += len(rows)
    return filled
