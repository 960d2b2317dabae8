"""Which handler gets an update: handler groups, the command table, and the buttons' routes.

Groups run in order, and each update reaches at most one handler per group:

- ``ANSWER``: a button press is answered (its spinner stops) before anything else;
- ``SENDER``: who sent the update is identified once (``ctx.person``, ``ctx.tr``);
- ``STRANGERS``: the stranger gate (`bot.strangers`) answers and ends a stranger's update;
- the features (group 0): the commands of `COMMANDS`, the buttons by their data
  (`bot.callbacks`), then messages, edits and blocks.

The safety screen of a young person's message is no group of its own: it needs the stored
message's id to attach its alert, and the buttons of their keyboard are not screened, so it runs
inside the relay (`bot.handlers.relay_from_child`).

`COMMANDS` (`bot.command_table`) is the one list of commands: it registers them here, builds
each role's "/" menu (`bot.menus`) and the staff's help (`bot.notices.staff_help`), and says who
may use each. Anyone else gets one refusal, said here. A young person's help names their
buttons, not commands (`bot.notices.child_help`).
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import TypeVar

from telegram import Update
from telegram.error import TelegramError
from telegram.ext import (
    ApplicationHandlerStop,
    CallbackQueryHandler,
    ChatMemberHandler,
    CommandHandler,
    MessageHandler,
    TypeHandler,
    filters,
)

from bot import (
    alert_desk,
    basics,
    closing,
    erasing,
    handlers,
    interpreting,
    journeying,
    missing,
    notices,
    strangers,
    watching,
)
from bot.callbacks import (
    AlertButton,
    ButtonData,
    CheckInAnswer,
    EraseDecision,
    HandoverTo,
    Journey,
    LanguageChoice,
    MissingAction,
    MissingAnswer,
    SendTo,
    StageChoice,
)
from bot.command_table import COMMANDS, Callback, Command, who
from bot.gate import COMMANDS as PRIVATE_COMMANDS
from bot.gate import identify_sender, to_child, to_staff
from bot.runtime import AlongsideApp, AlongsideContext
from conversations.people import ChildView, StaffView

log = logging.getLogger(__name__)
PRIVATE = filters.ChatType.PRIVATE
MALFORMED, ANSWER, SENDER, STRANGERS, FEATURES = -5, -4, -3, -2, 0


def _allowed(command: Command) -> Callback:
    """The command for those in its roles; everyone else is refused here, changing nothing."""

    async def callback(update: Update, ctx: AlongsideContext) -> None:
        person = ctx.person
        if who(person) in command.roles:
            await command.callback(update, ctx)
        elif command.quiet:
            return
        elif isinstance(person, ChildView):
            await to_child(ctx, person, notices.not_for_you(ctx.tr))
        elif isinstance(person, StaffView) and person.is_interpreter:
            # Notes, story, other children: nothing but their window is theirs.
            await interpreting.refuse(ctx, person, f"/{command.name}")
        elif isinstance(person, StaffView):
            await to_staff(ctx, person, command.refusal(ctx.tr))

    return callback


B = TypeVar("B", bound=ButtonData)
P = TypeVar("P", StaffView, ChildView)


def _button(
    family: type[B], sender: type[P], act: Callable[[AlongsideContext, P, B], Awaitable[None]]
) -> CallbackQueryHandler[AlongsideContext, None]:
    """A family's buttons, for the senders they were made for; other presses do nothing."""

    async def callback(update: Update, ctx: AlongsideContext) -> None:
        query = update.callback_query
        person = ctx.person
        button = family.decode(query.data or "") if query else None
        # An interpreter presses only the buttons made for them.
        made_for = family is interpreting.AcceptOffer
        if isinstance(person, StaffView) and person.is_interpreter is not made_for:
            return
        if isinstance(person, sender) and button is not None:
            await act(ctx, person, button)

    return CallbackQueryHandler(callback, pattern=family.pattern)


async def answer_button(update: Update, ctx: AlongsideContext) -> None:
    query = update.callback_query
    if query is None:
        return
    try:
        await query.answer()
    except TelegramError:
        # The spinner on their button stops by itself; nothing depends on this answer.
        log.info("button.answer_failed", extra={"update_id": update.update_id})


async def drop_malformed(update: Update, ctx: AlongsideContext) -> None:
    """A message without its chat, or whose text or caption is not text (nothing Telegram
    sends, but it can be forged: the library does not check the types it reads), goes no
    further: the handlers and the library's own chat filters would fail on it, three times,
    to a dead letter."""
    message = update.effective_message
    if message is None:
        return
    words = (message.text, message.caption)
    if message.chat is None or any(w is not None and not isinstance(w, str) for w in words):
        log.info("update.malformed", extra={"update_id": update.update_id})
        raise ApplicationHandlerStop


def register(app: AlongsideApp) -> None:
    app.add_handler(TypeHandler(Update, drop_malformed), group=MALFORMED)
    app.add_handler(CallbackQueryHandler(answer_button), group=ANSWER)
    app.add_handler(TypeHandler(Update, identify_sender), group=SENDER)
    app.add_handlers(strangers.gate(quiet=[c.name for c in COMMANDS if c.quiet]), group=STRANGERS)
    for command in COMMANDS:
        app.add_handler(CommandHandler(command.name, _allowed(command), filters=PRIVATE_COMMANDS))
    app.add_handlers(
        [
            CallbackQueryHandler(basics.on_language_button, pattern=LanguageChoice.pattern),
            _button(Journey, ChildView, journeying.on_journey_button),
            _button(CheckInAnswer, ChildView, watching.on_check_in_button),
            _button(MissingAnswer, ChildView, missing.on_child_button),
            _button(MissingAction, StaffView, missing.on_staff_button),
            _button(StageChoice, StaffView, journeying.on_stage_button),
            _button(HandoverTo, StaffView, journeying.on_handover_button),
            _button(SendTo, StaffView, basics.deliver_pending),
            _button(EraseDecision, StaffView, erasing.on_erase_button),
            _button(closing.CloseReason, StaffView, closing.on_close_button),
            _button(AlertButton, StaffView, alert_desk.on_alert_button),
            _button(interpreting.AcceptOffer, StaffView, interpreting.on_accept),
            MessageHandler(
                PRIVATE & filters.COMMAND & filters.UpdateType.MESSAGE, basics.unknown_command
            ),
            MessageHandler(PRIVATE & filters.UpdateType.MESSAGE, handlers.on_message),
            MessageHandler(PRIVATE & filters.UpdateType.EDITED_MESSAGE, handlers.on_edit),
            ChatMemberHandler(handlers.on_membership, ChatMemberHandler.MY_CHAT_MEMBER),
        ],
        group=FEATURES,
    )
    app.add_error_handler(handlers.on_error)
