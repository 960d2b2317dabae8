"""What the statistics may publish, on plain numbers: suppression, hidden totals, percentiles,
and how waits for an answer are found."""

from __future__ import annotations

import itertools
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from conversations import disclosure
from conversations.disclosure import HIDDEN, UNDER_5, Cell
from conversations.report import Period
from conversations.service_figures import alert_section, answered_section, waits

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("n", "cell"),
    [
        (0, Cell(0)),
        (1, Cell(None, UNDER_5)),
        (4, Cell(None, UNDER_5)),
        (5, Cell(5)),
        (120, Cell(120)),
    ],
)
def test_counts_under_5_are_suppressed_and_zero_is_shown(n: int, cell: Cell) -> None:
    assert disclosure.count(n) == cell


def test_parts_without_small_counts_are_all_shown() -> None:
    cells, total_hidden = disclosure.partition({"en": 12, "sq": 7, "vi": 0})
    assert cells == {"en": Cell(12), "sq": Cell(7), "vi": Cell(0)}
    assert not total_hidden


def test_a_lone_small_part_takes_the_next_smallest_with_it() -> None:
    cells, total_hidden = disclosure.partition({"en": 20, "sq": 9, "ar": 2})
    assert cells == {"en": Cell(20), "sq": Cell(None, HIDDEN), "ar": Cell(None, UNDER_5)}
    assert not total_hidden


def test_two_small_parts_that_could_only_be_ones_are_not_left_alone() -> None:
    # 1 + 1 = 2 from a shown total: both would be known to be 1.
    cells, _ = disclosure.partition({"en": 30, "sq": 1, "ar": 1})
    assert cells["en"] == Cell(None, HIDDEN)
    # 2 + 3: either could be 1 to 4.
    cells, _ = disclosure.partition({"en": 30, "sq": 2, "ar": 3})
    assert cells["en"] == Cell(30)


def test_a_total_that_gives_a_small_part_away_is_hidden() -> None:
    # 1 and 5 make 6: with "<5" meaning 1-4 and "*" 5 or more, only 1 + 5 fits.
    parts = {"urgent": 1, "concern": 5}
    cells, total_hidden = disclosure.partition(parts)
    assert cells == {"urgent": Cell(None, UNDER_5), "concern": Cell(None, HIDDEN)}
    assert total_hidden
    assert disclosure.total(6, parts) == Cell(None, HIDDEN)
    assert disclosure.total(26, {"urgent": 1, "concern": 25}) == Cell(26)


def _consistent(cells: dict[str, Cell], total: int) -> list[tuple[int, ...]]:
    """Every assignment of the hidden cells a reader could not rule out (up to the total)."""
    hidden = [k for k, c in cells.items() if c.value is None]
    rest = total - sum(int(c.value or 0) for c in cells.values())
    ranges = [range(1, 5) if cells[k].hidden == UNDER_5 else range(5, rest + 1) for k in hidden]
    return [combo for combo in itertools.product(*ranges) if sum(combo) == rest]


def test_no_suppressed_part_can_be_worked_out_from_a_shown_total() -> None:
    for parts in itertools.product(range(8), repeat=3):
        _check_cannot_be_worked_out(parts)


def _check_cannot_be_worked_out(parts: tuple[int, ...]) -> None:
    named = dict(zip(("a", "b", "c"), parts, strict=True))
    cells, total_hidden = disclosure.partition(named)
    assert all(
        cells[k] == Cell(n) or cells[k].hidden in (UNDER_5, HIDDEN) for k, n in named.items()
    )
    assert all(cells[k].hidden == UNDER_5 for k, n in named.items() if 0 < n < 5)
    if total_hidden or not any(c.value is None for c in cells.values()):
        return
    options = _consistent(cells, sum(parts))
    hidden = [k for k, c in cells.items() if c.value is None]
    for index, _ in enumerate(hidden):
        assert len({combo[index] for combo in options}) > 1, (parts, cells)


def test_percentiles_are_nearest_rank() -> None:
    values = [5.0, 1.0, 3.0, 2.0, 4.0, 10.0, 6.0, 7.0, 8.0, 9.0]
    assert disclosure.percentile(values, 50) == 5.0
    assert disclosure.percentile(values, 90) == 9.0
    assert disclosure.percentile(values, 100) == 10.0
    assert disclosure.percentile([7.0], 90) == 7.0


def test_a_time_needs_five_values() -> None:
    assert disclosure.minutes([1.0, 2.0, 3.0, 4.0], 50) == Cell(None, HIDDEN)
    assert disclosure.minutes([], 50) == Cell(None)
    assert disclosure.minutes([1.0, 2.4, 3.6, 4.0, 30.0], 50) == Cell(4)


def test_alerts_by_severity_with_acknowledgement_times() -> None:
    rows = [("urgent", T0, T0 + timedelta(minutes=m)) for m in (2, 4, 6, 8, 10, 12, 14, 16, 18)]
    rows += [("urgent", T0, None)] + [("concern", T0, T0 + timedelta(hours=1))] * 6
    section = alert_section(rows)
    figures = {row.key: row.cells[0] for row in section.rows}
    assert figures["raised"] == Cell(16)
    assert figures["urgent"] == Cell(10)
    assert figures["concern"] == Cell(6)
    # Acknowledged: 2..18 minutes, then six at 60.
    assert figures["acknowledged_p50"] == Cell(16)
    assert figures["acknowledged_p90"] == Cell(60)
    assert figures["never_acknowledged"] == Cell(None, UNDER_5)


def test_a_share_of_hidden_counts_is_hidden() -> None:
    section = answered_section("check_ins", "sent", 12, 2)
    figures = {row.key: row.cells[0] for row in section.rows}
    assert figures["answered"] == Cell(None, UNDER_5)
    assert figures["not_answered"] == Cell(None, HIDDEN)
    assert figures["answered_percent"].value is None
    shown = {r.key: r.cells[0] for r in answered_section("c", "sent", 20, 15).rows}
    assert shown["answered_percent"] == Cell(75)


@pytest.mark.parametrize(
    ("episodes", "young_people", "cell"),
    [
        # Both shown: to one decimal place.
        (7, 6, Cell(1.2)),
        (12, 5, Cell(2.4)),
        (5, 5, Cell(1.0)),
        # Either one suppressed: 6 episodes at a shown ratio would give the "<5" away.
        (6, 3, Cell(None, HIDDEN)),
        (3, 3, Cell(None, HIDDEN)),
        # Nobody missing: nothing to show, and nothing hidden.
        (0, 0, Cell(None)),
    ],
)
def test_episodes_per_young_person_is_shown_only_beside_both_its_counts(
    episodes: int, young_people: int, cell: Cell
) -> None:
    assert disclosure.ratio(disclosure.count(episodes), disclosure.count(young_people)) == cell


def test_a_wait_runs_from_the_first_unanswered_message_to_the_next_answer() -> None:
    at = [T0 + timedelta(minutes=m) for m in range(10)]
    found = waits(
        [
            ("a", "in", at[0]),
            ("a", "in", at[1]),  # joins the wait already running
            ("a", "out", at[3]),
            ("a", "out", at[4]),  # nothing waiting
            ("a", "in", at[5]),  # never answered
            ("b", "out", at[0]),
            ("b", "in", at[2]),
            ("b", "out", at[9]),
        ]
    )
    assert found == [(at[0], at[3]), (at[5], None), (at[2], at[9])]


def test_a_period_is_whole_months_in_the_deployments_zone() -> None:
    zone = ZoneInfo("Europe/London")
    period = Period.of(date(2026, 3, 17), date(2026, 5, 2), zone)
    assert period.months == [date(2026, 3, 1), date(2026, 4, 1), date(2026, 5, 1)]
    assert period.start == datetime(2026, 3, 1, tzinfo=zone)
    assert period.end == datetime(2026, 6, 1, tzinfo=zone)
    # 23:30 UTC on 31 May is 00:30 on 1 June in London.
    assert period.month_of(datetime(2026, 5, 31, 23, 30, tzinfo=UTC)) == date(2026, 6, 1)
