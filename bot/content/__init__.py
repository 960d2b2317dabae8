"""Child-facing plain-language content: "what happens next", explainers and a glossary.

The types live here so that every region's content has the same shape; each region's English
source text lives in a data file that content editors own (``journey_uk.toml`` for
``ALONGSIDE_REGION=uk``), read and checked by ``bot.content.loading`` when its module is imported.
Every passage has a stable id, which the catalogs use as its gettext message context
(``msgctxt``), and is translated when it is rendered, in the child's language. Phone numbers are
never typed into a passage: ``{childline}``, ``{emergency}`` and the other contact ids of
``safety/contacts/<region>.json`` are filled in from that file.

Content rules (checked by ``tests/test_readability.py``):

* plain English for a 12-year-old reading a second language: at most 120 words a text, at most 20
  words a sentence, and Flesch reading ease at least 70 or Flesch-Kincaid grade at most 6;
* nothing a child sees names trafficking, slavery or exploitation, not even in an official name,
  so that the text does not endanger a child if someone else reads their phone;
* never promise an outcome; be honest that waiting is often long.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType

from bot.i18n import Translator
from conversations.journey import Stage


class Passage(str):
    """One passage as an English reader sees it, with the region's numbers filled in.

    ``context`` is the passage's stable id (its ``msgctxt``) and ``source`` the English with its
    ``{placeholders}`` (its ``msgid``). Render it for a reader with :meth:`render`, never with
    ``tr._``: the catalogs hold it under its context.
    """

    context: str
    source: str
    numbers: Mapping[str, str]

    def __new__(cls, context: str, source: str, numbers: Mapping[str, str]) -> Passage:
        passage = super().__new__(cls, source.format_map(numbers))
        passage.context = context
        passage.source = source
        passage.numbers = MappingProxyType(dict(numbers))
        return passage

    def render(self, tr: Translator) -> str:
        """The passage in ``tr``'s language (English if not translated, or fuzzy), numbers
        filled."""
        return tr.p_(self.context, self.source, **self.numbers)


@dataclass(frozen=True)
class StageText:
    """What a child reads about one journey stage."""

    title: Passage
    where_you_are: Passage
    what_next: Passage
    how_long: Passage
    your_rights: Passage
    who_can_help: Passage


@dataclass(frozen=True)
class Topic:
    """An extra explainer a child can open. ``id`` is stable (safe in callback data)."""

    id: str
    title: Passage
    body: Passage


@dataclass(frozen=True)
class GlossaryEntry:
    """A word adults use, and what it means in plain words. ``id`` is stable."""

    id: str
    term: Passage
    meaning: Passage


@dataclass(frozen=True)
class JourneyContent:
    """All the journey content for one region."""

    region: str
    stages: Mapping[Stage, StageText]
    topics: tuple[Topic, ...]
    glossary: tuple[GlossaryEntry, ...]

    def topic(self, topic_id: str) -> Topic | None:
        """The topic with this id, or ``None``."""
        return next((t for t in self.topics if t.id == topic_id), None)

    def passages(self) -> tuple[Passage, ...]:
        """Every passage, in the file's order."""
        found: list[Passage] = []
        for text in self.stages.values():
            found += [
                text.title,
                text.where_you_are,
                text.what_next,
                text.how_long,
                text.your_rights,
                text.who_can_help,
            ]
        for topic in self.topics:
            found += [topic.title, topic.body]
        for entry in self.glossary:
            found += [entry.term, entry.meaning]
        return tuple(found)


REGIONS: frozenset[str] = frozenset({"uk"})
"""Regions with journey content (values of ``ALONGSIDE_REGION``)."""


def journey_content(region: str) -> JourneyContent:
    """The journey content for ``region`` (e.g. ``"uk"``); ``ValueError`` if there is none."""
    key = region.strip().lower()
    if key == "uk":
        from bot.content import journey_uk

        return journey_uk.CONTENT
    known = ", ".join(sorted(REGIONS))
    raise ValueError(f"no journey content for region {region!r}; known regions: {known}")


__all__ = [
    "REGIONS",
    "GlossaryEntry",
    "JourneyContent",
    "Passage",
    "StageText",
    "Topic",
    "journey_content",
]
