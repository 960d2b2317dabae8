"""Service hours: when people read, and how long open time takes."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from conversations.hours import ServiceHours

LONDON = ZoneInfo("Europe/London")
WEEKDAYS = ServiceHours.parse("Mon-Fri 09:00-17:00; Sat 10:00-12:00", LONDON)
FRIDAY_1630 = datetime(2026, 12, 4, 16, 30, tzinfo=UTC)  # a Friday, GMT


def test_open_and_closed() -> None:
    assert WEEKDAYS.is_open(FRIDAY_1630)
    assert not WEEKDAYS.is_open(FRIDAY_1630 + timedelta(hours=1))
    assert not WEEKDAYS.is_open(datetime(2026, 12, 6, 11, tzinfo=UTC)), "Sunday"


def test_next_opening() -> None:
    assert WEEKDAYS.next_open(FRIDAY_1630) == FRIDAY_1630
    evening = FRIDAY_1630 + timedelta(hours=3)
    assert WEEKDAYS.next_open(evening) == datetime(2026, 12, 5, 10, tzinfo=UTC)


def test_open_time_skips_closed_hours() -> None:
    # 30 minutes on Friday, 120 on Saturday, then Monday morning.
    due = WEEKDAYS.after_open_time(FRIDAY_1630, timedelta(minutes=180))
    assert due == datetime(2026, 12, 7, 9, 30, tzinfo=UTC)
    assert WEEKDAYS.after_open_time(FRIDAY_1630, timedelta(minutes=20)) == FRIDAY_1630 + timedelta(
        minutes=20
    )


def test_summer_time_is_local_time() -> None:
    july = datetime(2026, 7, 3, 8, 30, tzinfo=UTC)  # 09:30 in London (BST)
    assert WEEKDAYS.is_open(july)
    assert not WEEKDAYS.is_open(july - timedelta(hours=1))


def test_day_lists_and_ranges_that_wrap() -> None:
    weekend = ServiceHours.parse("Sat,Sun 10:00-12:00; Fri-Mon 20:00-22:00", LONDON)
    assert {day for day, _, _ in weekend.windows} == {0, 4, 5, 6}


@pytest.mark.parametrize(
    "spec",
    ["Mon-Fri", "Xyz 09:00-10:00", "Mon 10:00-09:00", "Mon 25:00-26:00", "", "Mon 09:00-17:00;"],
)
def test_nonsense_is_refused(spec: str) -> None:
    with pytest.raises(ValueError, match=r"\S"):
        ServiceHours.parse(spec, LONDON)
