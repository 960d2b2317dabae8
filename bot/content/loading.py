"""Reading a region's journey content file (TOML), refusing one the bot cannot use.

The file has a ``region`` and three tables: ``[stage.<stage>]`` for every stage of
``conversations.journey.Stage`` (each with every field of ``StageText``), ``[topic.<id>]`` (title,
body) and ``[glossary.<id>]`` (term, meaning). A passage's message context is
``<region>.<table>.<id>.<field>``, e.g. ``uk.stage.court.how_long``. Placeholders name contacts
of ``safety/contacts/<region>.json`` (``{childline}``) and are filled from it. A missing or
unknown key, an empty text, an unknown placeholder or a bad id raises :class:`ContentError`
naming the file and the entry.
"""

from __future__ import annotations

import re
import string
import tomllib
from collections.abc import Iterator, Mapping
from dataclasses import fields
from pathlib import Path
from types import MappingProxyType
from typing import Any

from bot.content import GlossaryEntry, JourneyContent, Passage, StageText, Topic
from conversations.journey import Stage
from safety import load_contacts

STAGE_FIELDS = tuple(f.name for f in fields(StageText))
TOPIC_FIELDS = ("title", "body")
GLOSSARY_FIELDS = ("term", "meaning")
_TABLES = ("stage", "topic", "glossary")
_ID = re.compile(r"[a-z0-9_]+")


class ContentError(ValueError):
    """A journey content file the bot cannot use; the message names the file and the entry."""


def load(path: Path, region: str) -> JourneyContent:
    """The content in ``path`` for ``region``, with the region's numbers filled in."""
    return parse(path.read_text(encoding="utf-8"), path.name, region)


def parse(text: str, name: str, region: str) -> JourneyContent:
    """The content in ``text`` (read from the file ``name``), checked."""
    data = _toml(text, name)
    _keys(data, name, "the file", required=("region", *_TABLES))
    if data["region"] != region:
        raise ContentError(f"{name}: region is {data['region']!r}, expected {region!r}")
    numbers = {c.id: c.number for c in load_contacts(region).contacts}
    entries = {table: _table(data, name, table) for table in _TABLES}
    wanted = [stage.value for stage in Stage]
    _keys(entries["stage"], name, "[stage]", required=wanted)

    def passages(table: str, entry: str, names: tuple[str, ...]) -> dict[str, Passage]:
        fields_ = _entry(entries[table], name, table, entry, names)
        return {
            key: _passage(name, f"{region}.{table}.{entry}.{key}", value, numbers)
            for key, value in fields_.items()
        }

    stages = {Stage(s): StageText(**passages("stage", s, STAGE_FIELDS)) for s in wanted}
    topics = tuple(Topic(id=t, **passages("topic", t, TOPIC_FIELDS)) for t in entries["topic"])
    glossary = tuple(
        GlossaryEntry(id=g, **passages("glossary", g, GLOSSARY_FIELDS)) for g in entries["glossary"]
    )
    return JourneyContent(
        region=region, stages=MappingProxyType(stages), topics=topics, glossary=glossary
    )


def source_passages(text: str, name: str) -> Iterator[tuple[str, str]]:
    """``(msgctxt, msgid)`` of every passage in a content file, in order, for extraction."""
    content = parse(text, name, str(_toml(text, name).get("region", "")))
    for passage in content.passages():
        yield passage.context, passage.source


def _toml(text: str, name: str) -> dict[str, Any]:
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        raise ContentError(f"{name}: not valid TOML: {error}") from error


def _keys(
    data: Mapping[str, Any], name: str, where: str, required: tuple[str, ...] | list[str]
) -> None:
    missing = [key for key in required if key not in data]
    unknown = [key for key in data if key not in required]
    if missing:
        raise ContentError(f"{name}: {where} lacks {', '.join(missing)}")
    if unknown:
        raise ContentError(
            f"{name}: {where} has unknown keys {', '.join(unknown)}; allowed: {', '.join(required)}"
        )


def _table(data: Mapping[str, Any], name: str, table: str) -> dict[str, Any]:
    found = data[table]
    if not isinstance(found, dict) or not found:
        raise ContentError(f"{name}: [{table}] must be a table of entries, e.g. [{table}.<id>]")
    for entry in found:
        if not _ID.fullmatch(entry):
            raise ContentError(
                f"{name}: [{table}.{entry}]: ids are lower-case letters, digits and _"
            )
    return found


def _entry(
    entries: Mapping[str, Any], name: str, table: str, entry: str, names: tuple[str, ...]
) -> dict[str, str]:
    found = entries[entry]
    where = f"[{table}.{entry}]"
    if not isinstance(found, dict):
        raise ContentError(f"{name}: {where} must be a table")
    _keys(found, name, where, required=names)
    for key, value in found.items():
        if not isinstance(value, str) or not value.strip():
            raise ContentError(f"{name}: {where} {key} must be a non-empty text")
    return found


def _passage(name: str, context: str, text: str, numbers: Mapping[str, str]) -> Passage:
    try:
        used = {field for _, field, _, _ in string.Formatter().parse(text) if field is not None}
    except ValueError as error:
        raise ContentError(f"{name}: {context}: broken braces ({error})") from error
    unknown = sorted(used - set(numbers))
    if unknown:
        raise ContentError(
            f"{name}: {context}: unknown placeholder {{{unknown[0]}}}; the "
            f"contacts file has {', '.join(sorted(numbers))}"
        )
    return Passage(context, text, numbers)
