"""A staff member's message written in a young person's topic goes to that young person.

Telegram marks a message written in a topic of a private chat with the topic's id and, when it
answers nothing in particular, makes it a reply to the topic's opening message. That is no reply
to anything the bot relayed: such a message is routed by the topic, through the same access
gate and the same recorded send as a reply. A real reply inside a topic is still routed by what
it answers, a topic retired when Telegram would not delete it reaches no one, and a topic the
bot did not make (or no longer knows) is read as a plain message.
"""

from __future__ import annotations

from telegram import Message

from bot import notices
from bot.gate import to_staff
from bot.relaying import send_to_child
from bot.runtime import AlongsideContext
from conversations.errors import AccessDenied
from conversations.people import StaffView
from conversations.relay import Content
from conversations.topics import access_child_by_topic


def written_in_topic(message: Message) -> int | None:
    """The topic a message was written in without replying to one of its messages."""
    thread = message.message_thread_id
    if not message.is_topic_message or not thread:
        return None
    replied = message.reply_to_message
    if replied is not None and replied.message_id != thread:
        return None
    return thread


def replied_to(message: Message) -> Message | None:
    """What a message really answers: not the opening of the topic it was written in."""
    return None if written_in_topic(message) else message.reply_to_message


async def send_in_topic(
    ctx: AlongsideContext, staff: StaffView, message: Message, content: Content
) -> bool:
    """Send what a staff member wrote in a young person's topic to them; False if it was not
    written in a topic of ours, to be read as any other message."""
    thread = written_in_topic(message)
    if thread is None:
        return False
    uow = ctx.uow
    try:
        child = await access_child_by_topic(uow, staff, thread)
    except AccessDenied:
        if not await uow.topics.ours(staff.id, thread):
            return False
        # Theirs once (handed over since), or retired: the refusal a reply to an old relay gets.
        await to_staff(ctx, staff, notices.cannot_reach(ctx.tr))
        return True
    await send_to_child(ctx, staff, child, content, message.message_id)
    return True
