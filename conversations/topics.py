"""Which topic of a staff member's chat with the bot shows which young person.

Telegram lets a bot open topics in a private chat (Bot API 9.3); the bot keeps its own map from
(staff member, young person) to the topic's id, because Telegram tells it nothing when a topic
goes. The map only says where to show things and which young person a topic was made for:
whether the staff member may still reach them is asked of `conversations.access` every time,
so a topic left from before a handover reaches no one.

A topic follows what happens to its young person, through the outbox (the calls are Telegram's,
made by the dispatcher, `bot.topics`): renamed when their nickname changes (`rename_topics`),
and deleted from the chat of whoever may no longer see them (`prune_topics`: the advocate
who handed them over, the interpreter whose window closed; the map row goes once Telegram has
deleted the topic, or is retired if Telegram refuses to) or from every chat when they are
erased (`drop_topics`: the map rows go with the erasure, and the deletions carry only the
topics' ids, so they outlive it). Whoever leaves the staff loses every topic of their chat
the same way (`drop_staff_topics`).

The map itself, and how a topic Telegram would not delete is retired, are in
`conversations.topic_map`.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from conversations.access import DENIED, may_act_for, may_interpret
from conversations.errors import AccessDenied
from conversations.outgoing import Outgoing
from conversations.people import ChildView, StaffView, get_child

if TYPE_CHECKING:
    from conversations.repositories import Work

log = logging.getLogger(__name__)

# Outbox kinds that change a topic rather than post in it (`bot.topics` makes the calls).
DROP = "topic_drop"  # extra["thread"]: delete that topic of the chat, with what it shows
RENAME = "topic_name"  # name the young person's topic of this chat as they are named now
PURPOSE = "topic"  # a convenience: never a dead letter for the supervisors


async def access_child_by_topic(uow: Work, staff: StaffView, thread_id: int) -> ChildView:
    """The young person a staff member's topic was made for, if they may still act for them;
    one refusal whether the topic is unknown or the young person no longer theirs."""
    child_id = await uow.topics.child(staff.id, thread_id)
    child = None if child_id is None else await get_child(uow, child_id)
    if not may_act_for(staff, child):
        raise AccessDenied(DENIED)
    assert child is not None
    return child


async def may_have_topic(uow: Work, staff: StaffView, child: ChildView) -> bool:
    """Whether a topic of this staff member's chat may show this young person: whoever may act
    for them, and their interpreter while the window is open."""
    if may_act_for(staff, child):
        return True
    if not staff.is_interpreter:
        return False
    return may_interpret(staff, child, await uow.windows.current(child.id), uow.now)


async def drop_topics(uow: Work, child_id: str) -> int:
    """They are being erased: forget every topic showing them and queue its deletion; returns
    how many. Telegram deletes a topic with everything in it: nothing of theirs is left to
    scroll back to."""
    dropped = 0
    for staff_id, thread in await uow.topics.of_child(child_id):
        await uow.topics.forget(staff_id, child_id, thread)
        # Under the system key and about no young person: the erasure cannot take it back.
        dropped += await _queue_drop(uow, staff_id, thread, None)
    if dropped:
        log.info("topics.dropping", extra={"count": dropped})
    return dropped


async def drop_staff_topics(uow: Work, staff_id: str) -> int:
    """They are leaving the staff: forget every topic of their chat and queue its deletion;
    returns how many. A topic kept there would go on showing what it showed them."""
    dropped = 0
    for child_id, thread in await uow.topics.of_staff(staff_id):
        await uow.topics.forget(staff_id, child_id, thread)
        # About no young person, as for an erasure: nothing is left to forget when it goes.
        dropped += await _queue_drop(uow, staff_id, thread, None)
    if dropped:
        log.info("topics.dropping_staff", extra={"staff_id": staff_id, "count": dropped})
    return dropped


async def prune_topics(uow: Work, child: ChildView) -> int:
    """Delete this young person's topic from the chat of everyone who may no longer see them
    (need to know: a topic is a window on the conversation); returns how many. The map keeps
    the topic until Telegram has deleted it (`forget`) or refused to (`retire`), so a topic
    that stays still refuses whoever writes in it, through `access_child_by_topic`."""
    dropped = 0
    for staff_id, thread in await uow.topics.of_child(child.id):
        staff = await uow.staff.get(staff_id)
        if staff is None or not await may_have_topic(uow, staff, child):
            dropped += await _queue_drop(uow, staff_id, thread, child.id)
    if dropped:
        log.info("topics.pruning", extra={"count": dropped})
    return dropped


async def _queue_drop(uow: Work, staff_id: str, thread: int, child_id: str | None) -> int:
    staff = await uow.staff.get(staff_id)
    if staff is None:
        return 0  # a staff row that does not open: no chat to reach
    await uow.send(
        staff.telegram_id,
        Outgoing(kind=DROP, extra={"thread": thread}),
        purpose=PURPOSE,
        child_id=child_id,
        staff_id=staff.id,
    )
    return 1


async def rename_topics(uow: Work, child: ChildView) -> None:
    """Their nickname changed: each topic showing them is renamed to match (the name is made
    when it is sent, from the young person as they are then; a retired topic keeps none)."""
    for staff_id in dict.fromkeys(staff_id for staff_id, _ in await uow.topics.of_child(child.id)):
        staff = await uow.staff.get(staff_id)
        if staff is not None:
            await uow.send(
                staff.telegram_id,
                Outgoing(kind=RENAME),
                purpose=PURPOSE,
                child_id=child.id,
                staff_id=staff.id,
            )
