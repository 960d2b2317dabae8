"""The stranger gate: what someone who is neither staff nor a linked young person may do.

They may open a code (sent as a message, or with /start), ask their Telegram id (/whoami, for
enrolment as staff), press *Help now*, or type danger (it is
screened like a young person's, answered and alerted); anything else gets the stranger notice,
which tells them how to get a code and reaches no one. A command for young people only (/hide)
says nothing. Their buttons, edits and blocks do nothing.

These handlers make one group that runs before the features (`bot.routing`): each lets staff and
young people pass, and ends a stranger's update once it has answered it.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Coroutine
from typing import Any

from telegram import Update
from telegram.ext import (
    ApplicationHandlerStop,
    BaseHandler,
    CommandHandler,
    MessageHandler,
    TypeHandler,
    filters,
)

from bot import notices
from bot.alerting import help_now
from bot.basics import open_code, whoami
from bot.gate import COMMANDS, to_stranger
from bot.handlers import relay_from_child, typed_danger
from bot.runtime import AlongsideContext
from conversations import linking

Callback = Callable[[Update, AlongsideContext], Coroutine[Any, Any, None]]


def _strangers_only(callback: Callback) -> Callback:
    async def gate(update: Update, ctx: AlongsideContext) -> None:
        if ctx.person is not None:
            return  # staff and young people go on to the features
        await callback(update, ctx)
        raise ApplicationHandlerStop

    return gate


async def _notice(update: Update, ctx: AlongsideContext) -> None:
    await to_stranger(ctx, update, notices.stranger(ctx.tr))


async def _nothing(update: Update, ctx: AlongsideContext) -> None:
    return


async def _start(update: Update, ctx: AlongsideContext) -> None:
    code = ctx.args[0] if ctx.args else ""
    if linking.looks_like_code(code):
        await open_code(update, ctx, code)
    else:
        await _notice(update, ctx)


async def _message(update: Update, ctx: AlongsideContext) -> None:
    message = update.message
    if message is None:
        return
    text = (message.text or "").strip()
    tr = ctx.tr
    if len(text) == linking.CODE_LENGTH and linking.looks_like_code(text):
        await open_code(update, ctx, text)
    elif text == notices.help_now_label(tr) and update.effective_user is not None:
        # No code, no advocate: a person still answers. Supervisors see them as unlinked.
        child = await linking.register_unlinked(ctx.uow, update.effective_user.id, tr.locale)
        await help_now(ctx, child)
    elif update.effective_user is not None and typed_danger(ctx, message, tr.locale):
        # Typed danger is screened like a child's, code or not: answered and alerted.
        child = await linking.register_unlinked(ctx.uow, update.effective_user.id, tr.locale)
        await relay_from_child(update, ctx, child)
    else:
        await _notice(update, ctx)


def gate(quiet: Collection[str]) -> list[BaseHandler[Update, AlongsideContext, None]]:
    """The gate's handlers, first match first; `quiet`: commands that answer no one else."""
    return [
        CommandHandler("start", _strangers_only(_start), filters=COMMANDS),
        CommandHandler("whoami", _strangers_only(whoami), filters=COMMANDS),
        CommandHandler(list(quiet), _strangers_only(_nothing), filters=COMMANDS),
        MessageHandler(COMMANDS & filters.COMMAND, _strangers_only(_notice)),
        MessageHandler(COMMANDS, _strangers_only(_message)),
        TypeHandler(Update, _strangers_only(_nothing)),
    ]
