"""Splitting for Telegram's limits never loses a character."""

from __future__ import annotations

import json

from hypothesis import given, settings
from hypothesis import strategies as st

from conversations.outgoing import (
    CAPTION_LIMIT,
    TEXT_LIMIT,
    Button,
    Outgoing,
    split_text,
    utf16_len,
)

WORDS = st.lists(
    st.text(
        alphabet=st.characters(codec="utf-8", exclude_categories=["Cs"]), min_size=1, max_size=30
    ),
    min_size=1,
    max_size=600,
)
# Emoji and other astral characters take two UTF-16 units: where Telegram counts, Python does not.
ASTRAL = st.characters(min_codepoint=0x1F300, max_codepoint=0x1FAFF)
MIXED = st.one_of(
    ASTRAL,
    st.characters(codec="utf-8", exclude_categories=["Cs"]),
    st.sampled_from([" ", "\n", "."]),
)
LONG = st.lists(st.text(alphabet=MIXED, min_size=1, max_size=400), min_size=1, max_size=40).map(
    "".join
)


def assert_only_blanks_lost(text: str, pieces: list[str]) -> None:
    """The pieces, in order, are the text with nothing but whitespace between them."""
    assert all(pieces), "no empty piece"
    at = 0
    for piece in pieces:
        found = text.find(piece, at)
        assert found >= 0, "a piece is not in the text where it should be"
        assert text[at:found].strip() == "", "something other than whitespace went missing"
        at = found + len(piece)
    assert text[at:].strip() == ""


@settings(max_examples=60, deadline=None)
@given(WORDS, st.sampled_from([" ", "\n", "\n\n", ""]))
def test_split_keeps_every_character_and_fits(words: list[str], joiner: str) -> None:
    text = joiner.join(words) * 3
    pieces = split_text(text, 500)
    assert all(utf16_len(p) <= 500 for p in pieces)
    assert_only_blanks_lost(text, pieces)


@settings(max_examples=40, deadline=None)
@given(LONG, st.integers(min_value=1, max_value=4))
def test_split_at_telegrams_limit_with_astral_characters(chunk: str, copies: int) -> None:
    text = chunk * (1 + (3 * TEXT_LIMIT) // max(1, len(chunk)) // copies)
    pieces = split_text(text)
    assert all(utf16_len(p) <= TEXT_LIMIT for p in pieces)
    assert_only_blanks_lost(text, pieces)
    if text.strip():
        assert pieces
    if utf16_len(text) > TEXT_LIMIT and text.strip():
        assert len(pieces) >= 2


def test_astral_characters_are_never_split() -> None:
    text = "😀" * 3000
    pieces = split_text(text)
    assert all(utf16_len(p) <= TEXT_LIMIT for p in pieces)
    assert "".join(pieces) == text


def test_an_emoji_straddling_the_limit_moves_whole_to_the_next_piece() -> None:
    text = "a" * (TEXT_LIMIT - 1) + "😀" + "b" * 10
    pieces = split_text(text)
    assert pieces == ["a" * (TEXT_LIMIT - 1), "😀" + "b" * 10]


def test_short_text_and_exactly_the_limit_stay_whole() -> None:
    assert split_text("") == [""]
    assert split_text("x" * TEXT_LIMIT) == ["x" * TEXT_LIMIT]
    assert split_text("😀" * (TEXT_LIMIT // 2)) == ["😀" * (TEXT_LIMIT // 2)]
    assert len(split_text("😀" * (TEXT_LIMIT // 2) + "x")) == 2


def test_cuts_prefer_paragraphs_then_sentences() -> None:
    first = "First paragraph. " * 150
    text = first.strip() + "\n\n" + "Second one. " * 200
    pieces = split_text(text)
    assert pieces[0] == first.strip()
    sentences = split_text("Word " * 700 + ". " + "Tail " * 300, 4000)
    assert sentences[0].endswith("Word .")
    assert sentences[1].startswith("Tail")


def test_long_caption_becomes_media_then_text() -> None:
    caption = "a " * 800
    parts = Outgoing(kind="photo", text=caption, file_id="F", protect=True).parts()
    assert parts[0].kind == "photo"
    assert utf16_len(parts[0].text) <= CAPTION_LIMIT
    assert all(p.protect for p in parts)
    assert " ".join(p.text for p in parts).split() == caption.split()


@settings(max_examples=40, deadline=None)
@given(LONG, st.sampled_from(["photo", "video", "document", "voice", "qr"]))
def test_captions_of_any_length_lose_nothing(caption: str, kind: str) -> None:
    buttons = ((Button("Open", data="o"),),)
    message = Outgoing(kind=kind, text=caption, file_id="F", buttons=buttons, protect=True)
    parts = message.parts()
    head, *rest = parts
    assert head.kind == kind
    assert head.file_id == "F"
    assert utf16_len(head.text) <= CAPTION_LIMIT
    assert all(p.kind == "text" and utf16_len(p.text) <= TEXT_LIMIT for p in rest)
    assert all(p.protect for p in parts)
    assert parts[-1].buttons == buttons, "buttons travel on the last part"
    assert all(not p.buttons for p in parts[:-1])
    if caption.strip():
        assert_only_blanks_lost(caption, [p.text for p in parts])


def test_a_caption_starting_with_many_blanks_is_not_repeated() -> None:
    caption = " " * 1500 + "hello " * 300
    parts = Outgoing(kind="photo", text=caption, file_id="F").parts()
    assert sum(p.text.count("hello") for p in parts) == 300
    assert Outgoing(kind="photo", text=" " * 2000, file_id="F").parts() == [
        Outgoing(kind="photo", file_id="F")
    ]


def test_sticker_header_goes_first() -> None:
    parts = Outgoing(kind="sticker", text="Star · K7F", file_id="S").parts()
    assert [p.kind for p in parts] == ["text", "sticker"]
    assert parts[0].text == "Star · K7F"
    assert parts[1].text == ""
    assert parts[1].file_id == "S"
    assert Outgoing(kind="sticker", file_id="S").parts() == [Outgoing(kind="sticker", file_id="S")]


def test_a_long_header_before_a_video_note_is_split_and_still_first() -> None:
    header = "Header line. " * 500
    parts = Outgoing(kind="video_note", text=header, file_id="V", protect=True).parts()
    assert [p.kind for p in parts[:-1]] == ["text"] * (len(parts) - 1)
    assert len(parts) >= 3
    assert parts[-1].kind == "video_note"
    assert parts[-1].file_id == "V"
    assert all(p.protect for p in parts)
    assert_only_blanks_lost(header, [p.text for p in parts[:-1]])


def test_buttons_stay_on_the_last_part() -> None:
    message = Outgoing(
        text="x " * 3000, buttons=((Button("OK", data="ok"),),), keyboard=(("Menu",),)
    )
    parts = message.parts()
    assert len(parts) == 2
    assert not parts[0].buttons
    assert parts[0].keyboard is None
    assert parts[1].buttons == message.buttons
    assert parts[1].keyboard == message.keyboard


def test_json_round_trip() -> None:
    message = Outgoing(
        kind="qr",
        text="t",
        buttons=((Button("a", "b"), Button("c", url="u")),),
        keyboard=(("x", "y"),),
        protect=True,
        extra={"link": "l"},
        thread=12,
    )
    assert Outgoing.from_json(message.to_json()) == message


def test_every_part_of_an_answer_goes_in_its_topic() -> None:
    for message in (
        Outgoing(text="x " * 3000, thread=7),
        Outgoing(kind="sticker", text="a header", file_id="f", thread=7),
        Outgoing(kind="photo", text="y " * 700, file_id="f", thread=7),
    ):
        parts = message.parts()
        assert len(parts) > 1
        assert {part.thread for part in parts} == {7}


BUTTONS = st.lists(
    st.lists(
        st.builds(
            Button,
            st.text(max_size=10),
            st.none() | st.text(max_size=64),
            st.none() | st.text(max_size=20),
        ),
        max_size=3,
    ).map(tuple),
    max_size=3,
).map(tuple)


@settings(max_examples=80, deadline=None)
@given(
    st.builds(
        Outgoing,
        kind=st.sampled_from(["text", "photo", "sticker", "qr", "document"]),
        text=st.text(max_size=50),
        file_id=st.none() | st.text(min_size=1, max_size=20),
        buttons=BUTTONS,
        keyboard=st.none()
        | st.lists(st.lists(st.text(max_size=8), max_size=3).map(tuple), max_size=3).map(tuple),
        protect=st.booleans(),
        extra=st.dictionaries(st.text(max_size=5), st.integers() | st.text(max_size=5), max_size=3),
        thread=st.none() | st.integers(1, 2**31),
    )
)
def test_json_round_trip_through_the_outbox_encoding(message: Outgoing) -> None:
    # The outbox stores the JSON text, so tuples come back as lists and must be rebuilt.
    stored = json.loads(json.dumps(message.to_json()))
    assert Outgoing.from_json(stored) == message


@given(LONG, st.data())
@settings(max_examples=60, deadline=None)
def test_a_quote_covers_the_same_characters_after_splitting(text: str, data: st.DataObject) -> None:
    start = data.draw(st.integers(0, len(text)))
    end = data.draw(st.integers(start, len(text)))
    whole = Outgoing(text=text, quotes=((start, end),))
    assert Outgoing.from_json(json.loads(json.dumps(whole.to_json()))) == whole
    quoted = "".join(part.text[a:b] for part in whole.parts() for a, b in part.quotes)
    # Only the blanks dropped at a cut may go missing from what is quoted.
    assert "".join(quoted.split()) == "".join(text[start:end].split())
    for part in whole.parts():
        for offset, length in part.quote_spans():
            assert offset >= 0
            assert offset + length <= utf16_len(part.text)
