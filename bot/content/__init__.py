"""Child-facing plain-language content: "what happens next", explainers and a glossary.

The types live here so that every region's content has the same shape; each region's English
source text lives in its own module (``journey_uk`` for ``ALONGSIDE_REGION=uk``). Every string in
a content module is a whole passage marked with ``N_`` for gettext extraction and is translated
when it is rendered, in the child's language.

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

from conversations.journey import Stage


@dataclass(frozen=True)
class StageText:
    """What a child reads about one journey stage. Every field is an ``N_`` source string."""

    title: str
    where_you_are: str
    what_next: str
    how_long: str
    your_rights: str
    who_can_help: str


@dataclass(frozen=True)
class Topic:
    """An extra explainer a child can open. ``id`` is stable (safe in callback data)."""

    id: str
    title: str
    body: str


@dataclass(frozen=True)
class GlossaryEntry:
    """A word adults use, and what it means in plain words."""

    term: str
    meaning: str


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


REGIONS: frozenset[str] = frozenset({"uk"})
"""Regions with journey content (values of ``ALONGSIDE_REGION``)."""


def journey_content(region: str) -> JourneyContent:
    """The journey content for ``region`` (e.g. ``"uk"``); ``ValueError`` if there is none."""
    key = region.strip().lower()
    if key == "uk":
        from bot.content import journey_uk

        return JourneyContent(
            region="uk",
            stages=journey_uk.STAGES,
            topics=journey_uk.TOPICS,
            glossary=journey_uk.GLOSSARY,
        )
    known = ", ".join(sorted(REGIONS))
    raise ValueError(f"no journey content for region {region!r}; known regions: {known}")


__all__ = [
    "REGIONS",
    "GlossaryEntry",
    "JourneyContent",
    "StageText",
    "Topic",
    "journey_content",
]
