"""Catalog upkeep for translators (``make catalogs``) and the checks the tests run on them."""

from __future__ import annotations

import string
import sys
from collections.abc import Collection, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from babel.messages.catalog import Catalog, Message
from babel.messages.pofile import read_po, write_po

from bot.content.loading import source_passages
from bot.i18n import LANGUAGES, LOCALES_DIR, babel_locale

TEMPLATE = LOCALES_DIR / "messages.pot"


def po_path(locale: str, directory: Path = LOCALES_DIR) -> Path:
    return directory / locale / "LC_MESSAGES" / "messages.po"


def read(path: Path, locale: str | None = None) -> Catalog:
    with path.open("rb") as handle:
        return read_po(handle, locale=babel_locale(locale) if locale else None)


def extract_journey(
    fileobj: IO[bytes],
    keywords: Collection[str],
    comment_tags: Collection[str],
    options: Mapping[str, Any],
) -> Iterator[tuple[int, str, tuple[str, str], list[str]]]:
    """pybabel extractor for journey content files (``babel.cfg``): each passage is a
    ``pgettext`` message whose context is the passage's stable id."""
    name = getattr(fileobj, "name", "journey content")
    for context, source in source_passages(fileobj.read().decode("utf-8"), str(name)):
        numbers = sorted(placeholders(source))
        comments = [f"{{{n}}} is a phone number from the contacts file: keep it." for n in numbers]
        yield 0, "pgettext", (context, source), comments


def update(directory: Path = LOCALES_DIR) -> None:
    """Merge the template into every existing catalog (``make catalogs``), keyed by context.

    A message with a context whose English changed keeps its translation, marked fuzzy, with the
    old English as its previous msgid (``#|``), so a translator sees what changed; until then the
    bot shows the new English. Other messages are matched exactly: a changed one starts empty, as
    with ``pybabel update --no-fuzzy-matching``. Obsolete messages are dropped.
    """
    template = read(directory / "messages.pot")
    for lang in LANGUAGES:
        path = po_path(lang.code, directory)
        if not path.exists():
            continue
        catalog = read(path, lang.code)
        changed = _rekey_by_context(catalog, template)
        catalog.update(template, no_fuzzy_matching=True)
        for key, previous in changed.items():
            message = catalog.get(*key)
            if message is not None:
                message.previous_id = [previous]
        with path.open("wb") as handle:
            write_po(handle, catalog, width=0, ignore_obsolete=True, include_previous=True)


def _rekey_by_context(catalog: Catalog, template: Catalog) -> dict[tuple[str, str], str]:
    """Move each translation whose context's English changed to the new English, fuzzy."""
    by_context = {m.context: m for m in catalog if m.id and m.context}
    changed: dict[tuple[str, str], str] = {}
    for entry in template:
        old = by_context.get(entry.context) if entry.id and entry.context else None
        if (
            old is None
            or entry.context is None
            or old.id == entry.id
            or not isinstance(entry.id, str)
        ):
            continue
        catalog.delete(old.id, old.context)
        if old.string:
            catalog.add(
                entry.id,
                old.string,
                context=entry.context,
                flags={*old.flags, "fuzzy"},
                auto_comments=old.auto_comments,
            )
            changed[entry.id, entry.context] = str(old.id)
    return changed


def fill_english(directory: Path = LOCALES_DIR) -> None:
    """English is the source language: its catalog repeats each source string (also one whose
    English changed under its context, which ``update`` marked fuzzy)."""
    path = po_path("en", directory)
    catalog = read(path, "en")
    for message in catalog:
        if message.id and (not _complete(message) or message.fuzzy):
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
        problems.append(
            Problem(
                locale,
                "",
                f"header has {catalog.num_plurals} plural forms, "
                f"the language has {_nplurals(locale)}",
            )
        )
    for entry in template:
        if not entry.id:
            continue
        message = catalog.get(entry.id, entry.context)
        key = entry.context or (entry.id if isinstance(entry.id, str) else entry.id[0])
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
        if message.id and template.get(message.id, message.context) is None:
            key = message.context or (message.id if isinstance(message.id, str) else message.id[0])
            problems.append(Problem(locale, key, "not in the template (obsolete)"))
    return problems


def _placeholder_problems(locale: str, entry: Message, message: Message) -> list[Problem]:
    ids = entry.id if isinstance(entry.id, tuple | list) else (entry.id,)
    strings = message.string if isinstance(message.string, tuple | list) else (message.string,)
    key = entry.context or ids[0]
    wanted = set().union(*(placeholders(i) for i in ids))
    problems = []
    if isinstance(entry.id, tuple | list) and len(strings) != _nplurals(locale):
        problems.append(
            Problem(locale, key, f"{len(strings)} plural forms, needs {_nplurals(locale)}")
        )
    for translated in strings:
        try:
            found = placeholders(translated or "")
        except ValueError:
            problems.append(Problem(locale, key, "broken braces"))
            continue
        # A singular may drop {n} ("one minute"), but nothing may be invented or lost otherwise.
        allowed_missing = {"n"} if isinstance(entry.id, tuple | list) else set()
        if found - wanted or (wanted - found) - allowed_missing:
            problems.append(
                Problem(locale, key, f"placeholders {sorted(found)} instead of {sorted(wanted)}")
            )
    return problems


def _nplurals(locale: str) -> int:
    return Catalog(locale=babel_locale(locale)).num_plurals


def main(argv: list[str]) -> int:
    command, *rest = argv[1:] or [""]
    if command in {"update", "fill-english", "check"} and len(rest) <= 1:
        directory = Path(rest[0]) if rest else LOCALES_DIR
        if command == "update":
            update(directory)
        elif command == "fill-english":
            fill_english(directory)
        else:
            problems = [p for lang in LANGUAGES for p in check(lang.code, directory)]
            for problem in problems:
                print(problem)
            return 1 if problems else 0
        return 0
    print("usage: python -m bot.catalogs update|fill-english|check [LOCALES_DIR]", file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv))
