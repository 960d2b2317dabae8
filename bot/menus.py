"""Command menus (Telegram's "/" list) per role, in the reader's language.

Young people see theirs in the language of their Telegram app (one menu per language, set at
start-up), or in the language they chose, for their chat alone. Staff see theirs in their own.
"""

from __future__ import annotations

from telegram import BotCommand

from bot.i18n import LANGUAGES, N_, Translator
from bot.notices import LANGUAGE
from conversations.outgoing import Outgoing
from conversations.people import Role

CHILD = (
    ("start", N_("Start")),
    ("help", N_("What you can do here")),
    ("language", LANGUAGE),
)
STAFF = (
    ("help", N_("What you can do")),
    ("invite", N_("Make a code for a young person")),
    ("children", N_("Your young people")),
    ("alerts", N_("Open safety alerts")),
    ("stage", N_("Set a young person's journey stage")),
    ("note", N_("Add a private note")),
    ("notes", N_("Read the notes")),
    ("summary", N_("Write the story so far for approval")),
    ("handover", N_("Hand a young person to a colleague")),
    ("placed", N_("A new placement: daily check-ins")),
    ("away", N_("Say you are away until a time")),
    ("back", N_("Say you are back")),
    ("language", N_("The language I write to you in")),
)
SUPERVISOR = (
    *STAFF,
    ("resolve", N_("Close an alert with an outcome")),
    ("enrol", N_("Make a code that enrols an advocate")),
    ("staff", N_("Who is on the staff")),
    ("unenrol", N_("Take an advocate off the staff")),
    ("erase", N_("Erase a young person's record for good")),
)

# setMyCommands takes two-letter ISO 639-1 codes; Sorani has none of its own, nor has Dari. An
# Afghan's Telegram app reports fa (it has no Dari), so fa's menu serves both: Dari's is set
# first (bot.i18n.LANGUAGES) and Persian's replaces it, matching the app's own Persian.
TELEGRAM_CODES = {
    lang.code: {"ckb": "ku", "prs": "fa"}.get(lang.code, lang.code) for lang in LANGUAGES
}


def menu(tr: Translator, role: Role | None) -> Outgoing:
    """The menu for a role (None: a young person), to send as its own chat's menu."""
    entries = CHILD if role is None else SUPERVISOR if role is Role.SUPERVISOR else STAFF
    return Outgoing(
        kind="commands", extra={"commands": [[command, tr._(text)] for command, text in entries]}
    )


def bot_commands(message: Outgoing) -> list[BotCommand]:
    return [BotCommand(command, text) for command, text in message.extra["commands"]]
