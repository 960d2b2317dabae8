"""What may be published of a count or a time: small counts suppressed, and nothing that lets
a suppressed count be worked out from the figures around it.

Pure functions on plain numbers, for `conversations.statistics`.

- A count of 1 to 4 is shown as "under 5" (`UNDER_5`); 0 is shown, as it says nothing about
  anyone.
- The parts of a published total (young people by language, alerts by severity ...) are one
  equation: a lone suppressed part is the total less the others. So, while any suppressed part
  could still be pinned to one value (knowing that an "under 5" part is 1 to 4 and a hidden one
  5 or more), the smallest shown part is hidden too (`HIDDEN`); when nothing is left to hide,
  the total itself is hidden.
- A time (minutes to acknowledge, to answer) is a percentile of at least 5 values, or hidden.
- A share or a ratio of two counts is shown only when both counts are: it could otherwise give
  a suppressed one away.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

THRESHOLD = 5
UNDER_5 = "under_5"
HIDDEN = "hidden"


@dataclass(frozen=True)
class Cell:
    """One published figure: its value, or why it is not shown (None and None: nothing to
    show, such as a share of nothing)."""

    value: int | float | None  # a float only for a ratio, to one decimal place
    hidden: str | None = None


def count(n: int) -> Cell:
    return Cell(None, UNDER_5) if 0 < n < THRESHOLD else Cell(n)


def _bounds(kind: str) -> tuple[int, float]:
    return (1, THRESHOLD - 1) if kind == UNDER_5 else (THRESHOLD, math.inf)


def _pinned(values: Mapping[str, int], hidden: Mapping[str, str]) -> bool:
    """Whether a reader who knows the total, the shown parts and what each marker means can
    work out any hidden part exactly."""
    total = sum(values[key] for key in hidden)
    for key in hidden:
        others = [_bounds(kind) for other, kind in hidden.items() if other != key]
        own_low, own_high = _bounds(hidden[key])
        low = max(own_low, total - sum(high for _, high in others))
        high = min(own_high, total - sum(low for low, _ in others))
        if low == high:
            return True
    return False


def partition(parts: Mapping[str, int]) -> tuple[dict[str, Cell], bool]:
    """The cells of the parts of a published total, and whether that total must be hidden."""
    hidden = {key: UNDER_5 for key, n in parts.items() if 0 < n < THRESHOLD}
    total_hidden = False
    while hidden and _pinned(parts, hidden):
        shown = [(n, key) for key, n in parts.items() if n > 0 and key not in hidden]
        if not shown:
            total_hidden = True
            break
        hidden[min(shown)[1]] = HIDDEN
    cells = {key: Cell(None, hidden[key]) if key in hidden else Cell(n) for key, n in parts.items()}
    return cells, total_hidden


def total(n: int, *partitions: Mapping[str, int]) -> Cell:
    """A total whose parts are published in `partitions`: hidden if any of them needs it."""
    if any(partition(parts)[1] for parts in partitions):
        return Cell(None, UNDER_5 if 0 < n < THRESHOLD else HIDDEN)
    return count(n)


def percentile(values: Sequence[float], p: float) -> float:
    """The nearest-rank percentile (`p` from 0 to 100) of a non-empty sequence."""
    ordered = sorted(values)
    rank = max(1, math.ceil(p / 100 * len(ordered)))
    return ordered[rank - 1]


def minutes(values: Sequence[float], p: float) -> Cell:
    """A percentile of durations in minutes, rounded, from at least `THRESHOLD` of them."""
    if len(values) < THRESHOLD:
        return Cell(None, HIDDEN if values else None)
    return Cell(round(percentile(values, p)))


def share(part: Cell, whole: Cell) -> Cell:
    """A percentage of two shown counts; hidden when either is."""
    if part.value is None or whole.value is None:
        return Cell(None, HIDDEN if part.hidden or whole.hidden else None)
    if whole.value == 0:
        return Cell(None)
    return Cell(round(100 * part.value / whole.value))


def ratio(part: Cell, whole: Cell) -> Cell:
    """How many of the one there are for each of the other (episodes per young person), to
    one decimal place; hidden when either count is."""
    if part.value is None or whole.value is None:
        return Cell(None, HIDDEN if part.hidden or whole.hidden else None)
    if whole.value == 0:
        return Cell(None)
    return Cell(round(part.value / whole.value, 1))
