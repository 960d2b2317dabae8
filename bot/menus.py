"""Command menus (Telegram's "/" list) per role, in the reader's language.

Young people see theirs in the language of their Telegram app (one menu per language, set at
start-up), or in the language they chose, for their chat alone. Staff see theirs in their own.
What each menu holds comes from the command table (`bot.command_table.COMMANDS`).
"""

from __future__ import annotations

from telegram import BotCommand

from bot.i18n import LANGUAGES, Translator
from conversations.outgoing import Outgoing
from conversations.people import Role

# setMyCommands takes two-letter ISO 639-1 codes; Sorani has none of its own, nor has Dari. An
# Afghan's Telegram app reports fa (it has no Dari), so fa's menu serves both: Dari's is set
# first (bot.i18n.LANGUAGES) and Persian's replaces it, matching the app's own Persian.
TELEGRAM_CODES = {
    lang.code: {"ckb": "ku", "prs": "fa"}.get(lang.code, lang.code) for lang in LANGUAGES
}


def menu(tr: Translator, role: Role | None) -> Outgoing:
    """The menu for a role (None: a young person), to send as its own chat's menu."""
    # Imported here: the table names the features' handlers, and some of them send menus.
    from bot.command_table import Who, menu_entries

    entries = menu_entries(Who.CHILD if role is None else Who(role.value))
    return Outgoing(
        kind="commands", extra={"commands": [[command, tr._(text)] for command, text in entries]}
    )


def bot_commands(message: Outgoing) -> list[BotCommand]:
    return [BotCommand(command, text) for command, text in message.extra["commands"]]
