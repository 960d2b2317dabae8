"""The escalation ladder."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from safety import EscalationLadder

T0 = datetime(2026, 1, 1, 12, 0, tzinfo=UTC)


def test_default_ladder_repeats_the_last_step() -> None:
    ladder = EscalationLadder()
    assert ladder.steps == (timedelta(minutes=10), timedelta(minutes=30))
    assert ladder.next_due(T0, 0) == T0 + timedelta(minutes=10)
    assert ladder.next_due(T0, 1) == T0 + timedelta(minutes=40)
    assert ladder.next_due(T0, 2) == T0 + timedelta(minutes=70)
    assert ladder.next_due(T0, 3) == T0 + timedelta(minutes=100)


def test_ladder_can_end() -> None:
    ladder = EscalationLadder(repeat_last=False)
    assert ladder.next_due(T0, 1) == T0 + timedelta(minutes=40)
    assert ladder.next_due(T0, 2) is None
    assert ladder.next_due(T0, 50) is None


def test_parse() -> None:
    assert EscalationLadder.parse("10,30") == EscalationLadder()
    assert EscalationLadder.parse(" 5 , 15 ,60").steps == (
        timedelta(minutes=5),
        timedelta(minutes=15),
        timedelta(minutes=60),
    )
    assert EscalationLadder.parse("0.5").steps == (timedelta(seconds=30),)
    assert EscalationLadder.parse("10", repeat_last=False).next_due(T0, 1) is None


@pytest.mark.parametrize("spec", ["", " ", "10,", "a,b", "10,-5", "0", "nan", "inf", "10;30"])
def test_parse_rejects_bad_specs(spec: str) -> None:
    with pytest.raises(ValueError):  # noqa: PT011 - the message varies by cause
        EscalationLadder.parse(spec)


def test_negative_level_is_rejected() -> None:
    with pytest.raises(ValueError, match="level"):
        EscalationLadder().next_due(T0, -1)


def test_naive_datetimes_stay_naive() -> None:
    naive = datetime(2026, 1, 1, 12, 0)
    due = EscalationLadder().next_due(naive, 0)
    assert due is not None
    assert due.tzinfo is None
