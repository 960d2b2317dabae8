"""Upgrades that need the keys, run once by `Store.open` after the schema migrations.

Alembic migrations never see the keys, so a change that must seal or MAC existing rows is done
here, once, and the audit chain records that it was done (``store.upgrade`` with the step's
name). The chain is what says "done", not a flag in a table: a flag could be deleted to have
rows that were edited meanwhile bonded as if they were genuine, but an entry cannot be removed
from the chain unseen.

0007: bond every owned row (`conversations.bonds`), seal each plain journey stage, and re-link
the audit chain through digests so an erasure can blank entries (`conversations.audit`).
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from sqlalchemy import func, select, update

from conversations import audit, bonds
from conversations.models import AuditEntry, AuditHead, Child, StageChange

if TYPE_CHECKING:
    from conversations.store import Store, UnitOfWork

log = logging.getLogger(__name__)

MARK = "store.upgrade"
STEP = "0007"
# Rewritten by the step: on PostgreSQL, their old row versions are vacuumed away after.
TOUCHED = ("children", "stage_changes", "audit_log")


async def run(store: Store) -> None:
    async with store.unit() as uow:
        if not store.is_sqlite:
            # Workers starting together: one upgrades, the others then find it done.
            await uow.session.execute(select(AuditHead).with_for_update())
        done = (
            await uow.session.execute(
                select(func.count(AuditEntry.id)).where(
                    AuditEntry.action == MARK, AuditEntry.detail.startswith(STEP)
                )
            )
        ).scalar_one()
        if done:
            return
        bonded = await bonds.fill_missing(uow.session, uow.index)
        sealed = await _seal_stages(uow)
        chain = await audit.verify(uow.session, uow.index.audit_key)
        if chain.ok:
            linked = await audit.relink(uow.session, uow.index.audit_key)
        else:
            # Re-linking would hide the break; its entries stay as they are, and an erasure
            # cannot blank them. `audit verify` goes on reporting the break.
            log.error("store.upgrade_chain_broken", extra={"count": chain.rows})
            linked = 0
        await uow.audit(
            "system", MARK, "", f"{STEP} bonded={bonded} stages={sealed} relinked={linked}"
        )
        uow.scrub_after_commit(*TOUCHED)
        await uow.commit()
        if bonded + sealed + linked:
            log.info("store.upgraded", extra={"count": bonded + sealed + linked})


async def _seal_stages(uow: UnitOfWork) -> int:
    session = uow.session
    sealed = 0
    children = (
        await session.execute(
            select(Child.id, Child.data_key_id, Child.stage_legacy).where(
                Child.stage_legacy.is_not(None)
            )
        )
    ).all()
    for child_id, key_id, stage in children:
        await session.execute(
            update(Child)
            .where(Child.id == child_id)
            .values(
                stage_sealed=await uow.seal(key_id, str(stage), "children", "stage", child_id),
                stage_legacy=None,
            )
            .execution_options(synchronize_session=False)
        )
        sealed += 1
    changes = (
        await session.execute(
            select(StageChange.id, Child.data_key_id, StageChange.stage_legacy)
            .join(Child, Child.id == StageChange.child_id)
            .where(StageChange.stage_legacy.is_not(None))
        )
    ).all()
    for change_id, key_id, stage in changes:
        await session.execute(
            update(StageChange)
            .where(StageChange.id == change_id)
            .values(
                stage_sealed=await uow.seal(
                    key_id, str(stage), "stage_changes", "stage", change_id
                ),
                stage_legacy=None,
            )
            .execution_options(synchronize_session=False)
        )
        sealed += 1
    return sealed
