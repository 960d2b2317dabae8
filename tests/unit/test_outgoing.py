"""Splitting for Telegram's limits never loses a character."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from conversations.ids import case_reference, new_id
from conversations.outgoing import (
    CAPTION_LIMIT,
    TEXT_LIMIT,
    Button,
    Outgoing,
    split_text,
    utf16_len,
)

WORDS = st.lists(st.text(alphabet=st.characters(codec="utf-8", exclude_categories=("Cs",)),
                         min_size=1, max_size=30), min_size=1, max_size=600)


@settings(max_examples=60, deadline=None)
@given(WORDS, st.sampled_from([" ", "\n", "\n\n", ""]))
def test_split_keeps_every_character_and_fits(words: list[str], joiner: str) -> None:
    text = joiner.join(words) * 3
    pieces = split_text(text, 500)
    assert all(utf16_len(p) <= 500 for p in pieces)
    # Only whitespace at a cut may go; every other character stays, in order.
    assert "".join("".join(pieces).split()) == "".join(text.split())


def test_astral_characters_are_never_split() -> None:
    text = "😀" * 3000
    pieces = split_text(text)
    assert all(utf16_len(p) <= TEXT_LIMIT for p in pieces)
    assert "".join(pieces) == text


def test_long_caption_becomes_media_then_text() -> None:
    caption = "a " * 800
    parts = Outgoing(kind="photo", text=caption, file_id="F", protect=True).parts()
    assert parts[0].kind == "photo"
    assert utf16_len(parts[0].text) <= CAPTION_LIMIT
    assert all(p.protect for p in parts)
    assert " ".join(p.text for p in parts).split() == caption.split()


def test_sticker_header_goes_first() -> None:
    parts = Outgoing(kind="sticker", text="Star · K7F", file_id="S").parts()
    assert [p.kind for p in parts] == ["text", "sticker"]
    assert parts[0].text == "Star · K7F"


def test_buttons_stay_on_the_last_part() -> None:
    message = Outgoing(text="x " * 3000, buttons=((Button("OK", data="ok"),),))
    parts = message.parts()
    assert len(parts) == 2
    assert not parts[0].buttons
    assert parts[1].buttons == message.buttons


def test_json_round_trip() -> None:
    message = Outgoing(kind="qr", text="t", buttons=((Button("a", "b"), Button("c", url="u")),),
                       keyboard=(("x", "y"),), protect=True, extra={"link": "l"})
    assert Outgoing.from_json(message.to_json()) == message


def test_ids() -> None:
    ids = [new_id() for _ in range(2000)]
    assert ids == sorted(ids)
    assert len(set(ids)) == len(ids)
    assert all(len(i) == 26 for i in ids)
    assert all(set(case_reference()) <= set("BCDFGHJKLMNPQRSTVWXZ23456789") for _ in range(50))
