"""UK "what happens next" content, read from ``journey_uk.toml`` (and checked) at import.

The English text, its stable ids and the public guidance it follows are in the data file; the
numbers in it come from ``safety/contacts/uk.json``.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Final

from bot.content import GlossaryEntry, JourneyContent, StageText, Topic
from bot.content.loading import load
from conversations.journey import Stage

SOURCE: Final[Path] = Path(__file__).with_suffix(".toml")
CONTENT: Final[JourneyContent] = load(SOURCE, region="uk")
STAGES: Final[Mapping[Stage, StageText]] = CONTENT.stages
TOPICS: Final[tuple[Topic, ...]] = CONTENT.topics
GLOSSARY: Final[tuple[GlossaryEntry, ...]] = CONTENT.glossary
