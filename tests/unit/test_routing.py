"""The command table: what it registers, the menus it builds, and the help that names them."""

from __future__ import annotations

import re
from collections import Counter

import pytest
from telegram.ext import Application, CommandHandler, ContextTypes

from bot import command_table, notices, routing
from bot.command_table import COMMANDS, Who
from bot.i18n import Catalogs
from bot.menus import menu
from bot.runtime import AlongsideApp, AlongsideContext
from conversations.people import Role, StaffView

TR = Catalogs("Europe/London").get("en")
# The menus as they were before the table made them.
MENUS = {
    Who.CHILD: ["start", "help", "language"],
    Who.ADVOCATE: [
        "help",
        "invite",
        "children",
        "alerts",
        "stage",
        "note",
        "notes",
        "summary",
        "handover",
        "missing",
        "found",
        "profile",
        "placed",
        "interpreter",
        "away",
        "back",
        "close",
        "reopen",
        "language",
    ],
}
MENUS[Who.SUPERVISOR] = [
    *MENUS[Who.ADVOCATE],
    "resolve",
    "enrol",
    "staff",
    "unenrol",
    "erase",
    "stats",
    "export",
]
# Interpreters: their help, how to end their window, and their language; nothing else.
MENUS[Who.INTERPRETER] = ["help", "interpreter", "language"]
ROLES = {
    Who.CHILD: None,
    Who.ADVOCATE: Role.ADVOCATE,
    Who.SUPERVISOR: Role.SUPERVISOR,
    Who.INTERPRETER: Role.INTERPRETER,
}


def _staff(role: Role) -> StaffView:
    return StaffView("S", 1, "Sam", role, "en", ("en",), None, active=True)


def _registered() -> list[str]:
    app: AlongsideApp = (
        Application.builder()
        .token("1:test")
        .context_types(ContextTypes(context=AlongsideContext))
        .updater(None)
        .build()
    )
    routing.register(app)
    return [
        name
        for group in app.handlers.values()
        for handler in group
        if isinstance(handler, CommandHandler)
        for name in sorted(handler.commands)
    ]


def test_no_command_is_listed_twice() -> None:
    names = Counter(command.name for command in COMMANDS)
    assert [name for name, n in names.items() if n > 1] == []
    for who in Who:
        shown = Counter(name for name, _ in command_table.menu_entries(who))
        assert [name for name, n in shown.items() if n > 1] == []


def test_every_command_of_the_table_is_registered_for_the_features() -> None:
    registered = _registered()
    twice = {"start", "hide", "whoami"}
    features = [name for name in registered if name not in twice]
    # The stranger gate registers /start, /whoami and the quiet /hide before the features do.
    for name in twice:
        assert registered.count(name) == 2, name
    assert sorted(set(features)) == sorted(c.name for c in COMMANDS if c.name not in twice)
    assert Counter(features) == Counter(set(features))


@pytest.mark.parametrize("who", list(Who))
def test_the_menus_are_made_from_the_table(who: Who) -> None:
    made = menu(TR, ROLES[who]).extra["commands"]
    assert [name for name, _ in made] == MENUS[who]
    assert all(text.strip() for _, text in made)


def test_a_menu_offers_only_what_its_role_may_use() -> None:
    for command in COMMANDS:
        assert set(command.menu) <= command.roles, command.name


@pytest.mark.parametrize("role", [Role.ADVOCATE, Role.SUPERVISOR, Role.INTERPRETER])
def test_the_staff_help_is_made_from_the_table(role: Role) -> None:
    who = Who(role.value)
    help_text = notices.staff_help(TR, _staff(role)).text
    assert "\n".join(TR._(line) for line in command_table.help_lines(who)) in help_text
    told = set(re.findall(r"(?<![\w/])/([a-z]+)", help_text))
    # Every command in their menu is in their help, and their help tells of none they may
    # not use.
    assert {name for name, _ in command_table.menu_entries(who)} <= told
    assert told <= {c.name for c in COMMANDS if who in c.roles}


def test_the_young_persons_language_command_reads_like_their_button() -> None:
    # Their help names buttons, not commands: /language is the same word as its button.
    child_menu = dict(command_table.menu_entries(Who.CHILD))
    assert child_menu["language"] == notices.LANGUAGE
    assert TR._(notices.LANGUAGE) in notices.child_help(TR, None).text


def test_only_the_commands_offered_elsewhere_are_in_no_menu() -> None:
    # /mute and /unmute are offered on the messages they act on; /hide is the Clear chat button;
    # /whoami is for someone about to be enrolled, who has no menu yet (the README says it).
    assert {c.name for c in COMMANDS if not c.menu} == {"mute", "unmute", "hide", "whoami"}
