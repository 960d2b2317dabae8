"""Reading the time an advocate says they are back."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest

from bot.away import parse_until

LONDON = ZoneInfo("Europe/London")
# 14:00 in London on a winter day (GMT), and on a summer day (BST, UTC+1).
WINTER = datetime(2026, 12, 1, 14, 0, tzinfo=UTC)
SUMMER = datetime(2027, 7, 1, 13, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("words", "now", "expected"),
    [
        (["18:00"], WINTER, datetime(2026, 12, 1, 18, 0, tzinfo=UTC)),
        (["9:30"], WINTER, datetime(2026, 12, 2, 9, 30, tzinfo=UTC)),  # already past today
        (["14:00"], WINTER, datetime(2026, 12, 2, 14, 0, tzinfo=UTC)),  # now is not the future
        (["18:00"], SUMMER, datetime(2027, 7, 1, 17, 0, tzinfo=UTC)),
        (["2027-01-04"], WINTER, datetime(2027, 1, 4, 9, 0, tzinfo=UTC)),
        (["2027-07-05"], WINTER, datetime(2027, 7, 5, 8, 0, tzinfo=UTC)),
        (["2027-01-04", "17:45"], WINTER, datetime(2027, 1, 4, 17, 45, tzinfo=UTC)),
        (["١٨:٠٠"], WINTER, datetime(2026, 12, 1, 18, 0, tzinfo=UTC)),  # Arabic-Indic digits
    ],
)
def test_times_are_local_and_in_the_future(
    words: list[str], now: datetime, expected: datetime
) -> None:
    assert parse_until(words, now, LONDON) == expected


@pytest.mark.parametrize(
    "words",
    [
        [],
        ["someday"],
        ["25:00"],
        ["18:0"],
        ["18:00:00"],
        ["-1:00"],
        ["2027-02-30"],
        ["2027-01-04", "noon"],
        ["2027-01-04", "09:00", "extra"],
        ["04/01/2027"],
        ["²:00"],
    ],
)
def test_anything_else_is_not_a_time(words: list[str]) -> None:
    assert parse_until(words, WINTER, LONDON) is None
