"""The buttons' callback data: each family reads back what it wrote, in Telegram's 64 bytes,
with the prefixes buttons already sent carry; anything else reads as None."""

from __future__ import annotations

import re

import pytest

from bot.callbacks import (
    LIMIT,
    AlertButton,
    ButtonData,
    CheckInAnswer,
    EraseDecision,
    HandoverTo,
    Journey,
    LanguageChoice,
    SendTo,
    StageChoice,
)

ULID = "01JEXAMPLE0000000000000000"  # 26 characters, like every row id
FAMILIES: list[type[ButtonData]] = [
    LanguageChoice,
    Journey,
    StageChoice,
    HandoverTo,
    CheckInAnswer,
    SendTo,
    EraseDecision,
    AlertButton,
]
SAMPLES: list[tuple[ButtonData, str]] = [
    (LanguageChoice("fr"), "lang:fr"),
    (LanguageChoice("ckb"), "lang:ckb"),
    (Journey("words"), "j:words"),
    (Journey("more", "first_meeting"), "j:more:first_meeting"),
    (Journey("ask", "correction"), "j:ask:correction"),
    (Journey("summary", f"yes:{ULID}"), f"j:summary:yes:{ULID}"),
    (StageChoice("K7F", "first_meeting"), "st:K7F:first_meeting"),
    (HandoverTo("K7F", ULID), f"ho:K7F:{ULID}"),
    (CheckInAnswer(ULID, "help"), f"ci:{ULID}:help"),
    (SendTo(ULID, "K7F"), f"to:{ULID}:K7F"),
    (EraseDecision(True, ULID), f"er:yes:{ULID}"),
    (EraseDecision(False, ULID), f"er:no:{ULID}"),
    (AlertButton("ack", ULID), f"ack:{ULID}"),
    (AlertButton("open", ULID), f"open:{ULID}"),
    (AlertButton("seen", ULID), f"seen:{ULID}"),
    (AlertButton("mute", ULID), f"mute:{ULID}"),
    (AlertButton("unmute", ULID), f"unmute:{ULID}"),
    (AlertButton("alerts", "10"), "alerts:10"),
]


@pytest.mark.parametrize(("button", "data"), SAMPLES, ids=str)
def test_each_family_writes_todays_data_and_reads_it_back(button: ButtonData, data: str) -> None:
    assert button.encode() == data
    assert len(data.encode("utf-8")) <= LIMIT
    assert type(button).decode(data) == button


@pytest.mark.parametrize(("button", "data"), SAMPLES, ids=str)
def test_data_is_routed_to_its_own_family_only(button: ButtonData, data: str) -> None:
    routed = [family for family in FAMILIES if re.match(family.pattern, data)]
    assert routed == [type(button)]


def test_data_over_64_bytes_is_refused_when_written() -> None:
    with pytest.raises(ValueError, match="64 bytes"):
        Journey("topic", "x" * 60).encode()
    with pytest.raises(ValueError, match="64 bytes"):
        SendTo(ULID, "é" * 20).encode()


@pytest.mark.parametrize(
    ("family", "data"),
    [
        (LanguageChoice, "lang:"),
        (LanguageChoice, "lang:zz"),
        (LanguageChoice, "j:fr"),
        (Journey, "j:"),
        (Journey, "lang:fr"),
        (StageChoice, "ho:K7F:x"),
        (HandoverTo, "st:K7F:x"),
        (CheckInAnswer, "ci:"),
        (CheckInAnswer, "ci:x"),
        (CheckInAnswer, "ci:a:b:c"),
        (SendTo, "to:"),
        (SendTo, "to:a"),
        (SendTo, "to:::"),
        (EraseDecision, "era:yes:x"),
        (AlertButton, "ack:"),
        (AlertButton, "open:"),
        (AlertButton, "alerts:x"),
        (AlertButton, "alerts:-1"),
        (AlertButton, "acknowledge:x"),
        (AlertButton, ""),
    ],
)
def test_garbled_or_foreign_data_reads_as_none(family: type[ButtonData], data: str) -> None:
    assert family.decode(data) is None


def test_stale_but_well_formed_data_still_reads() -> None:
    # A button sent before the data it names was gone: the feature says it is gone.
    assert StageChoice.decode("st:K7F") == StageChoice("K7F", "")
    assert HandoverTo.decode("ho:") == HandoverTo("", "")
    # Anything but "yes" keeps the record, as it always did.
    assert EraseDecision.decode("er:maybe:x") == EraseDecision(False, "x")
