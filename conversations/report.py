"""The statistics' plain data: a period of whole months, and the report's sections, rows
and cells (see `conversations.statistics`)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from conversations.disclosure import Cell

NOT_RECORDED = "not_recorded"
NOT_SET = "not_set"


@dataclass(frozen=True)
class Period:
    """Whole months, from the one holding `first` to the one holding `last` (inclusive)."""

    first: date
    last: date
    zone: ZoneInfo

    @classmethod
    def of(cls, first: date, last: date, zone: ZoneInfo) -> Period:
        return cls(first.replace(day=1), last.replace(day=1), zone)

    @property
    def months(self) -> list[date]:
        months, month = [], self.first
        while month <= self.last:
            months.append(month)
            month = next_month(month)
        return months

    def start_of(self, month: date) -> datetime:
        return datetime(month.year, month.month, 1, tzinfo=self.zone)

    @property
    def start(self) -> datetime:
        return self.start_of(self.first)

    @property
    def end(self) -> datetime:
        """The first moment after the period."""
        return self.start_of(next_month(self.last))

    def month_of(self, at: datetime) -> date:
        return at.astimezone(self.zone).date().replace(day=1)

    @property
    def label(self) -> str:
        return f"{self.first:%Y-%m}..{self.last:%Y-%m}"


def next_month(month: date) -> date:
    return (month.replace(day=28) + timedelta(days=4)).replace(day=1)


@dataclass(frozen=True)
class Row:
    key: str
    cells: tuple[Cell, ...]
    unit: str = "count"  # count, minutes, percent or ratio


@dataclass(frozen=True)
class Section:
    key: str
    rows: tuple[Row, ...]
    # What each cell of a row is: one value, or one per column (the months).
    columns: tuple[str, ...] = ("value",)


@dataclass(frozen=True)
class Statistics:
    period: Period
    sections: tuple[Section, ...]

    def section(self, key: str) -> Section | None:
        return next((s for s in self.sections if s.key == key), None)


@dataclass(frozen=True)
class Population:
    """The young people supported in the period, as counts only."""

    total: int
    languages: dict[str, int]
    stages: dict[str, int]
    age_bands: dict[str, int]
    by_month: dict[date, int]


def one(key: str, cell: Cell, unit: str = "count") -> Row:
    return Row(key, (cell,), unit)


def rows_of(cells: dict[str, Cell]) -> tuple[Row, ...]:
    return tuple(one(key, cell) for key, cell in cells.items())
