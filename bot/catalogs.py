"""Catalog upkeep for translators (``make catalogs``) and the checks the tests run on them."""

from __future__ import annotations

import string
import sys
from dataclasses import dataclass
from pathlib import Path

from babel.messages.catalog import Catalog, Message
from babel.messages.pofile import read_po, write_po

from bot.i18n import LANGUAGES, LOCALES_DIR

TEMPLATE = LOCALES_DIR / "messages.pot"


def po_path(locale: str, directory: Path = LOCALES_DIR) -> Path:
    return directory / locale / "LC_MESSAGES" / "messages.po"


def read(path: Path, locale: str | None = None) -> Catalog:
    with path.open("rb") as handle:
        return read_po(handle, locale=locale)


def fill_english(directory: Path = LOCALES_DIR) -> None:
    """English is the source language: its catalog repeats each source string."""
    path = po_path("en", directory)
    catalog = read(path, "en")
    for message in catalog:
        if message.id and not _complete(message):
            message.string = message.id
            message.flags.discard("fuzzy")
    with path.open("wb") as handle:
        write_po(handle, catalog, width=0, omit_header=False, sort_output=True)


def _complete(message: Message) -> bool:
    if isinstance(message.string, tuple | list):
        return all(message.string)
    return bool(message.string)


def placeholders(text: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(text) if name is not None}


@dataclass(frozen=True)
class Problem:
    locale: str
    msgid: str
    what: str

    def __str__(self) -> str:
        return f"{self.locale}: {self.what}: {self.msgid[:60]!r}"


def check(locale: str, directory: Path = LOCALES_DIR) -> list[Problem]:
    """Everything wrong with one catalog against the template."""
    template = read(directory / "messages.pot")
    path = po_path(locale, directory)
    if not path.exists():
        return [Problem(locale, "", "catalog missing")]
    catalog = read(path, locale)
    problems: list[Problem] = []
    if catalog.num_plurals != _nplurals(locale):
        problems.append(Problem(locale, "", f"header has {catalog.num_plurals} plural forms, "
                                            f"the language has {_nplurals(locale)}"))
    for entry in template:
        if not entry.id:
            continue
        message = catalog.get(entry.id)
        key = entry.id if isinstance(entry.id, str) else entry.id[0]
        if message is None:
            problems.append(Problem(locale, key, "missing"))
            continue
        if message.fuzzy:
            problems.append(Problem(locale, key, "fuzzy"))
        if not _complete(message):
            problems.append(Problem(locale, key, "empty"))
            continue
        problems.extend(_placeholder_problems(locale, entry, message))
    for message in catalog:
        if message.id and template.get(message.id) is None:
            key = message.id if isinstance(message.id, str) else message.id[0]
            problems.append(Problem(locale, key, "not in the template (obsolete)"))
    return problems


def _placeholder_problems(locale: str, entry: Message, message: Message) -> list[Problem]:
    ids = entry.id if isinstance(entry.id, tuple | list) else (entry.id,)
    strings = message.string if isinstance(message.string, tuple | list) else (message.string,)
    key = ids[0]
    wanted = set().union(*(placeholders(i) for i in ids))
    problems = []
    if isinstance(entry.id, tuple | list) and len(strings) != _nplurals(locale):
        problems.append(Problem(locale, key, f"{len(strings)} plural forms, "
                                             f"needs {_nplurals(locale)}"))
    for translated in strings:
        try:
            found = placeholders(translated or "")
        except ValueError:
            problems.append(Problem(locale, key, "broken braces"))
            continue
        # A singular may drop {n} ("one minute"), but nothing may be invented or lost otherwise.
        allowed_missing = {"n"} if isinstance(entry.id, tuple | list) else set()
        if found - wanted or (wanted - found) - allowed_missing:
            problems.append(Problem(locale, key, f"placeholders {sorted(found)} "
                                                 f"instead of {sorted(wanted)}"))
    return problems


def _nplurals(locale: str) -> int:
    return Catalog(locale=locale).num_plurals


def main(argv: list[str]) -> int:
    if argv[1:] == ["fill-english"]:
        fill_english()
        return 0
    if argv[1:] == ["check"]:
        problems = [p for lang in LANGUAGES for p in check(lang.code)]
        for problem in problems:
            print(problem)
        return 1 if problems else 0
    print("usage: python -m bot.catalogs fill-english|check", file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv))
