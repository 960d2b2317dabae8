"""When people read: the deployment's service hours (``ALONGSIDE_SERVICE_HOURS``).

The spec is one or more parts separated by ``;``, each days then a time range in the
deployment's time zone::

    Mon-Fri 09:00-17:00
    Mon-Thu 09:00-17:00; Fri 09:00-13:00; Sat,Sun 10:00-12:00

Unset means always open. Pure: every function takes the time it is asked about.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

__all__ = ["ServiceHours"]

DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_PART = re.compile(
    r"^(?P<days>[A-Za-z,\- ]+?)\s+"
    r"(?P<start>\d{1,2}:\d{2})\s*-\s*(?P<end>\d{1,2}:\d{2})$"
)


def _day(name: str) -> int:
    key = name.strip().lower()[:3]
    if key not in DAYS or not name.strip():
        raise ValueError(f"unknown day {name.strip()!r} (use Mon, Tue, ... Sun)")
    return DAYS.index(key)


def _days(spec: str) -> frozenset[int]:
    found: set[int] = set()
    for item in spec.split(","):
        first, dash, last = item.partition("-")
        if not dash:
            found.add(_day(first))
            continue
        start, end = _day(first), _day(last)
        span = (end - start) % 7
        found.update((start + n) % 7 for n in range(span + 1))
    return frozenset(found)


def _minutes(clock: str) -> int:
    hours, _, minutes = clock.partition(":")
    h, m = int(hours), int(minutes)
    if not (0 <= h <= 24 and 0 <= m < 60) or (h == 24 and m):
        raise ValueError(f"{clock!r} is not a time of day")
    return h * 60 + m


@dataclass(frozen=True)
class ServiceHours:
    """Weekly opening windows: (weekday, start minute, end minute), in `zone`."""

    windows: tuple[tuple[int, int, int], ...]
    zone: ZoneInfo
    spec: str

    @classmethod
    def parse(cls, spec: str, zone: ZoneInfo) -> ServiceHours:
        windows: list[tuple[int, int, int]] = []
        for part in (p.strip() for p in spec.split(";")):
            match = _PART.match(part)
            if not part or match is None:
                raise ValueError(f"{part!r} is not like 'Mon-Fri 09:00-17:00'")
            start, end = _minutes(match["start"]), _minutes(match["end"])
            if end <= start:
                raise ValueError(f"{part!r}: the end must come after the start")
            windows.extend((day, start, end) for day in sorted(_days(match["days"])))
        return cls(tuple(sorted(windows)), zone, spec.strip())

    def is_open(self, at: datetime) -> bool:
        local = at.astimezone(self.zone)
        minute = local.hour * 60 + local.minute
        return any(
            day == local.weekday() and start <= minute < end for day, start, end in self.windows
        )

    def _spans(self, at: datetime) -> list[tuple[datetime, datetime]]:
        """Opening windows that end after `at`, over the next eight days, in order."""
        base = at.astimezone(self.zone).date()
        spans = []
        for offset in range(9):
            date = base + timedelta(days=offset - 1)
            for day, start, end in self.windows:
                if day != date.weekday():
                    continue
                opens = datetime.combine(date, time(), self.zone) + timedelta(minutes=start)
                closes = datetime.combine(date, time(), self.zone) + timedelta(minutes=end)
                if closes > at:
                    spans.append((opens, closes))
        return sorted(spans)

    def next_open(self, at: datetime) -> datetime:
        """`at` itself while open, else when the next window opens."""
        opens, _ = self._spans(at)[0]
        return max(opens, at)

    def after_open_time(self, start: datetime, span: timedelta) -> datetime:
        """The moment `span` of open time has passed since `start` (closed hours not counted)."""
        left = span
        at = start
        while True:
            for opens, closes in self._spans(at):
                begin = max(opens, at)
                if begin + left <= closes:
                    return begin + left
                left -= closes - begin
                at = closes
            # (only reached for spans longer than a week of open time)
