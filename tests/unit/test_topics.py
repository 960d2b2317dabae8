"""The topic setting, the name a topic shows and which refusals mean a topic is gone."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest
from telegram.error import BadRequest

from bot.settings import Settings
from bot.topics import NAME_LIMIT, gone, topic_name
from conversations.errors import ConfigurationError
from conversations.people import ChildView


def _settings(tmp_path: Path, **env: str) -> Settings:
    return Settings.from_env({"ALONGSIDE_DATA_DIR": str(tmp_path), **env})


def test_topics_are_on_unless_turned_off_and_nothing_else_is_accepted(tmp_path: Path) -> None:
    assert _settings(tmp_path).topics is True
    assert _settings(tmp_path, ALONGSIDE_TOPICS="auto").topics is True
    assert _settings(tmp_path, ALONGSIDE_TOPICS="OFF").topics is False
    with pytest.raises(ConfigurationError, match="ALONGSIDE_TOPICS must be auto or off, not 'on'"):
        _settings(tmp_path, ALONGSIDE_TOPICS="on")


def test_a_topic_is_named_as_the_header_names_the_young_person() -> None:
    child = ChildView("c1", "K7F", 1, "Star", "en", True, "a1", "k1", None, False)
    assert topic_name(child) == "Star · K7F"
    assert len(topic_name(replace(child, nickname="x" * 300))) == NAME_LIMIT


@pytest.mark.parametrize(
    ("said", "is_gone"),
    [
        ("Bad Request: message thread not found", True),
        ("Bad Request: TOPIC_DELETED", True),
        ("Bad Request: TOPIC_CLOSED", True),
        ("Bad Request: the chat is not a forum", True),
        ("Bad Request: message is too long", False),
        ("Bad Request: chat not found", False),
    ],
)
def test_only_refusals_about_the_topic_make_a_new_one(said: str, is_gone: bool) -> None:
    assert gone(BadRequest(said)) is is_gone
