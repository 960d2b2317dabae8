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

`COMMANDS` is the one list of commands: it registers them, builds each role's "/" menu
(`bot.menus`), and says who may use each. Anyone else gets one refusal, said here. The help
texts (`bot.notices.staff_help`, `child_help`) keep their own order and wording; a test checks
that every command in a menu is in the help of the same people.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Coroutine, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, TypeVar

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
    away,
    basics,
    closing,
    enrolling,
    erasing,
    exporting,
    handlers,
    interpreting,
    journeying,
    missing,
    notices,
    profiles,
    statistics,
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
from bot.gate import COMMANDS as PRIVATE_COMMANDS
from bot.gate import identify_sender, to_child, to_staff
from bot.i18n import N_, Translator
from bot.runtime import AlongsideApp, AlongsideContext, Person
from conversations.outgoing import Outgoing
from conversations.people import ChildView, StaffView

log = logging.getLogger(__name__)
PRIVATE = filters.ChatType.PRIVATE
MALFORMED, ANSWER, SENDER, STRANGERS, FEATURES = -5, -4, -3, -2, 0

Callback = Callable[[Update, AlongsideContext], Coroutine[Any, Any, None]]


class Who(StrEnum):
    CHILD = "child"
    ADVOCATE = "advocate"
    SUPERVISOR = "supervisor"
    INTERPRETER = "interpreter"


def who(person: Person) -> Who | None:
    """The sender's role; None for a stranger."""
    if isinstance(person, StaffView):
        return Who(person.role.value)
    return Who.CHILD if isinstance(person, ChildView) else None


EVERYONE = frozenset(Who)
STAFF = frozenset({Who.ADVOCATE, Who.SUPERVISOR})
SUPERVISORS = frozenset({Who.SUPERVISOR})
CHILDREN = frozenset({Who.CHILD})
INTERPRETERS = frozenset({Who.INTERPRETER})


def _staff_menu(text: str) -> dict[Who, str]:
    return {Who.ADVOCATE: text, Who.SUPERVISOR: text}


def only_supervisors(tr: Translator) -> Outgoing:
    return Outgoing(text=tr._("Only a supervisor can do that."))


@dataclass(frozen=True)
class Command:
    """One command: who may use it, and its line in the "/" menu of those who see it there.

    A staff member outside `roles` is told `refusal`, a young person that it is not for them;
    a `quiet` command answers no one outside `roles`."""

    name: str
    callback: Callback
    roles: frozenset[Who]
    menu: Mapping[Who, str] = field(default_factory=dict)
    refusal: Callable[[Translator], Outgoing] = only_supervisors
    quiet: bool = False


# In the order of the menus.
COMMANDS: tuple[Command, ...] = (
    Command("start", basics.start, EVERYONE, {Who.CHILD: N_("Start")}),
    Command(
        "help",
        basics.help_command,
        EVERYONE,
        {
            Who.CHILD: N_("What you can do here"),
            **_staff_menu(N_("What you can do")),
            Who.INTERPRETER: N_("What you can do"),
        },
    ),
    Command("invite", basics.invite, STAFF, _staff_menu(N_("Make a code for a young person"))),
    Command("children", basics.children, STAFF, _staff_menu(N_("Your young people"))),
    Command("alerts", alert_desk.alerts_command, STAFF, _staff_menu(N_("Open safety alerts"))),
    Command(
        "stage",
        journeying.stage_command,
        STAFF,
        _staff_menu(N_("Set a young person's journey stage")),
    ),
    Command("note", journeying.note_command, STAFF, _staff_menu(N_("Add a private note"))),
    Command("notes", journeying.notes_command, STAFF, _staff_menu(N_("Read the notes"))),
    Command(
        "summary",
        journeying.summary_command,
        STAFF,
        _staff_menu(N_("Write the story so far for approval")),
    ),
    Command(
        "handover",
        journeying.handover_command,
        STAFF,
        _staff_menu(N_("Hand a young person to a colleague")),
    ),
    Command(
        "missing", missing.missing_command, STAFF, _staff_menu(N_("A young person is missing"))
    ),
    Command(
        "found", missing.found_command, STAFF, _staff_menu(N_("A missing young person is found"))
    ),
    Command(
        "profile",
        profiles.profile_command,
        STAFF,
        _staff_menu(N_("The missing-person profile")),
    ),
    Command("placed", watching.placed, STAFF, _staff_menu(N_("A new placement: daily check-ins"))),
    Command(
        "interpreter",
        interpreting.interpreter_command,
        STAFF | INTERPRETERS,
        {
            **_staff_menu(N_("Ask for an interpreter")),
            Who.INTERPRETER: N_("End your time interpreting"),
        },
    ),
    Command("away", away.away_command, STAFF, _staff_menu(N_("Say you are away until a time"))),
    Command("back", away.back_command, STAFF, _staff_menu(N_("Say you are back"))),
    Command(
        "close",
        closing.close_command,
        STAFF,
        _staff_menu(N_("Close a case; the record is erased later")),
    ),
    Command("reopen", closing.reopen_command, STAFF, _staff_menu(N_("Reopen a closed case"))),
    Command(
        "language",
        basics.language,
        EVERYONE,
        {
            Who.CHILD: notices.LANGUAGE,
            **_staff_menu(N_("The language I write to you in")),
            Who.INTERPRETER: N_("The language I write to you in"),
        },
    ),
    # Advocates may close their young people's alerts too; the menu offers it to supervisors.
    Command(
        "resolve",
        alert_desk.resolve_command,
        STAFF,
        {Who.SUPERVISOR: N_("Close an alert with an outcome")},
    ),
    Command(
        "enrol",
        enrolling.enrol_command,
        SUPERVISORS,
        {Who.SUPERVISOR: N_("Make a code that enrols an advocate")},
    ),
    Command(
        "staff", enrolling.staff_command, SUPERVISORS, {Who.SUPERVISOR: N_("Who is on the staff")}
    ),
    Command(
        "unenrol",
        enrolling.unenrol_command,
        SUPERVISORS,
        {Who.SUPERVISOR: N_("Take an advocate off the staff")},
    ),
    Command(
        "erase",
        erasing.erase_command,
        SUPERVISORS,
        {Who.SUPERVISOR: N_("Erase a young person's record for good")},
        refusal=erasing.supervisors_only,
    ),
    Command(
        "stats",
        statistics.stats_command,
        SUPERVISORS,
        {Who.SUPERVISOR: N_("Statistics for commissioners")},
    ),
    Command(
        "export",
        exporting.export_command,
        SUPERVISORS,
        {Who.SUPERVISOR: N_("A young person's whole record, as files")},
    ),
    # Offered on the messages they act on, not in the menus.
    Command("mute", alert_desk.mute_on, STAFF),
    Command("unmute", alert_desk.mute_off, STAFF),
    Command("hide", watching.hide, CHILDREN, quiet=True),
    Command("whoami", basics.whoami, EVERYONE),
)


def menu_entries(role: Who) -> list[tuple[str, str]]:
    """The "/" menu of a role: each command and its (untranslated) line."""
    return [(command.name, command.menu[role]) for command in COMMANDS if role in command.menu]


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
