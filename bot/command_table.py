"""The one table of commands: who may use each, its line in each role's "/" menu, and what
/help says of it. It registers the commands (`bot.routing`), builds the menus (`bot.menus`) and
the staff's help (`bot.notices.staff_help`), so that a command cannot be in one and not the
others."""

from __future__ import annotations

from collections.abc import Callable, Coroutine, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from telegram import Update

from bot import (
    alert_desk,
    away,
    basics,
    closing,
    enrolling,
    erasing,
    exporting,
    interpreting,
    journeying,
    missing,
    notices,
    profiles,
    statistics,
    watching,
)
from bot.i18n import N_, Translator
from bot.runtime import AlongsideContext, Person
from conversations.outgoing import Outgoing
from conversations.people import ChildView, StaffView

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


def _staff_help(*lines: str) -> dict[Who, tuple[str, ...]]:
    return {Who.ADVOCATE: lines, Who.SUPERVISOR: lines}


def only_supervisors(tr: Translator) -> Outgoing:
    return Outgoing(text=tr._("Only a supervisor can do that."))


@dataclass(frozen=True)
class Command:
    """One command: who may use it, its line in the "/" menu of those who see it there, and
    what /help says of it.

    A staff member outside `roles` is told `refusal`, a young person that it is not for them;
    a `quiet` command answers no one outside `roles`."""

    name: str
    callback: Callback
    roles: frozenset[Who]
    menu: Mapping[Who, str] = field(default_factory=dict)
    refusal: Callable[[Translator], Outgoing] = only_supervisors
    quiet: bool = False
    # Its lines in the /help of each role; a line may tell of the commands that go with it.
    help: Mapping[Who, tuple[str, ...]] = field(default_factory=dict)


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
        help={who: (N_("/help: this list."),) for who in STAFF | INTERPRETERS},
    ),
    Command(
        "invite",
        basics.invite,
        STAFF,
        _staff_menu(N_("Make a code for a young person")),
        help=_staff_help(
            N_("/invite NICKNAME: make a single-use code, link and QR code for a young person.")
        ),
    ),
    Command(
        "children",
        basics.children,
        STAFF,
        _staff_menu(N_("Your young people")),
        help=_staff_help(N_("/children: your young people and their references.")),
    ),
    Command(
        "alerts",
        alert_desk.alerts_command,
        STAFF,
        _staff_menu(N_("Open safety alerts")),
        help=_staff_help(N_("/alerts: open safety alerts. /resolve REF outcome: close one.")),
    ),
    Command(
        "stage",
        journeying.stage_command,
        STAFF,
        _staff_menu(N_("Set a young person's journey stage")),
        help=_staff_help(
            N_(
                "/stage REF: set where a young person is in their journey; they are told what "
                "it means."
            )
        ),
    ),
    Command(
        "note",
        journeying.note_command,
        STAFF,
        _staff_menu(N_("Add a private note")),
        help=_staff_help(N_("/note REF text: add a private note. /notes REF: read the notes.")),
    ),
    Command("notes", journeying.notes_command, STAFF, _staff_menu(N_("Read the notes"))),
    Command(
        "summary",
        journeying.summary_command,
        STAFF,
        _staff_menu(N_("Write the story so far for approval")),
        help=_staff_help(N_("/summary REF text: write their story so far for them to approve.")),
    ),
    Command(
        "handover",
        journeying.handover_command,
        STAFF,
        _staff_menu(N_("Hand a young person to a colleague")),
        help=_staff_help(N_("/handover REF NAME: hand a young person over to a colleague.")),
    ),
    Command(
        "missing",
        missing.missing_command,
        STAFF,
        _staff_menu(N_("A young person is missing")),
        help=_staff_help(
            N_(
                "/missing REF: they are missing; supervisors are alerted and you get the steps. "
                "/found REF: they are found."
            )
        ),
    ),
    Command(
        "found", missing.found_command, STAFF, _staff_menu(N_("A missing young person is found"))
    ),
    Command(
        "profile",
        profiles.profile_command,
        STAFF,
        _staff_menu(N_("The missing-person profile")),
        help=_staff_help(
            N_(
                "/profile REF: the missing-person profile, kept in advance and handed to the "
                "police only while they are missing."
            )
        ),
    ),
    Command(
        "placed",
        watching.placed,
        STAFF,
        _staff_menu(N_("A new placement: daily check-ins")),
        help=_staff_help(
            N_("/placed REF: a new placement; I check in with them daily for 7 days.")
        ),
    ),
    Command(
        "interpreter",
        interpreting.interpreter_command,
        STAFF | INTERPRETERS,
        {
            **_staff_menu(N_("Ask for an interpreter")),
            Who.INTERPRETER: N_("End your time interpreting"),
        },
        help={
            **_staff_help(
                N_(
                    "/interpreter REF: ask for an interpreter in the young person's language. "
                    "/interpreter REF end: end their time."
                )
            ),
            Who.INTERPRETER: (N_("/interpreter end: end your time interpreting now."),),
        },
    ),
    Command(
        "away",
        away.away_command,
        STAFF,
        _staff_menu(N_("Say you are away until a time")),
        help=_staff_help(
            N_(
                "/away TIME: you are away until then; your young people are told, and "
                "supervisors read their messages. /back: you are back."
            )
        ),
    ),
    Command("back", away.back_command, STAFF, _staff_menu(N_("Say you are back"))),
    Command(
        "close",
        closing.close_command,
        STAFF,
        _staff_menu(N_("Close a case; the record is erased later")),
        help=_staff_help(
            N_(
                "/close REF REASON: close a case (adult, ended, or other words); the record is "
                "erased after the time the deployment keeps records. /reopen REF: undo it."
            )
        ),
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
        help={
            who: (N_("/language: the language I write to you in."),) for who in STAFF | INTERPRETERS
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
        help={
            Who.SUPERVISOR: (
                N_(
                    "/enrol NAME: a single-use code that enrols a new advocate. "
                    "/staff: who is on the staff. /unenrol NAME: take an advocate "
                    "off the staff."
                ),
                N_(
                    "/enrol interpreter NAME LANGUAGES: a single-use code that enrols an "
                    "interpreter, for example /enrol interpreter Selam ti,am."
                ),
            )
        },
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
        help={
            Who.SUPERVISOR: (
                N_(
                    "/erase REF: erase a young person's record for good, once no alert is "
                    "open. It cannot be undone."
                ),
            )
        },
    ),
    Command(
        "stats",
        statistics.stats_command,
        SUPERVISORS,
        {Who.SUPERVISOR: N_("Statistics for commissioners")},
        help={Who.SUPERVISOR: (notices.STATISTICS_USAGE,)},
    ),
    Command(
        "export",
        exporting.export_command,
        SUPERVISORS,
        {Who.SUPERVISOR: N_("A young person's whole record, as files")},
        help={
            Who.SUPERVISOR: (
                N_("/export REF: their whole record as files, to give them if they ask."),
            )
        },
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


def help_lines(role: Who) -> list[str]:
    """What /help lists for a role (untranslated), in the order of the menus."""
    return [line for command in COMMANDS for line in command.help.get(role, ())]
