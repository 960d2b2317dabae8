"""The escalation ladder: when an unacknowledged safety alert is raised again.

Level 0 means the initial alert has been sent. ``next_due(raised_at, level)`` answers "when is
re-alert number ``level + 1`` due?": with the default steps (10, 30 minutes) the first re-alert is
due 10 minutes after the alert was raised, the second 30 minutes after that, and from then on
every further 30 minutes. The last step *repeats* until a human acknowledges, because an
alert that goes quiet after two reminders is exactly the failure a safety ladder exists to
prevent. Construct with ``repeat_last=False`` for a ladder that ends (``next_due`` → ``None``).

The ladder is pure: it takes and returns datetimes and never reads a clock, so the sweeper that
stores deadlines in the database owns time.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime, timedelta

__all__ = ["DEFAULT_STEPS", "EscalationLadder"]

DEFAULT_STEPS = (timedelta(minutes=10), timedelta(minutes=30))


@dataclass(frozen=True, slots=True)
class EscalationLadder:
    """Intervals between successive alerts; each step is measured from the previous alert."""

    steps: tuple[timedelta, ...] = DEFAULT_STEPS
    repeat_last: bool = True

    def __post_init__(self) -> None:
        if not self.steps:
            raise ValueError("an escalation ladder needs at least one step")
        if any(step <= timedelta(0) for step in self.steps):
            raise ValueError("escalation steps must be positive")

    @classmethod
    def parse(cls, spec: str, *, repeat_last: bool = True) -> EscalationLadder:
        """Parse a config string of minutes, e.g. ``"10,30"`` (spaces allowed)."""
        parts = [p.strip() for p in spec.split(",")]
        if not spec.strip() or any(not p for p in parts):
            raise ValueError(f"escalation steps must be comma-separated minutes, got {spec!r}")
        try:
            minutes = [float(p) for p in parts]
        except ValueError:
            raise ValueError(f"escalation steps must be numbers of minutes, got {spec!r}") from None
        if not all(math.isfinite(m) for m in minutes):
            raise ValueError(f"escalation steps must be finite, got {spec!r}")
        return cls(tuple(timedelta(minutes=m) for m in minutes), repeat_last=repeat_last)

    def delay(self, level: int) -> timedelta | None:
        """Interval between alert ``level`` and the next one, or ``None`` if the ladder ended."""
        if level < 0:
            raise ValueError("level must be 0 or more")
        if level < len(self.steps):
            return self.steps[level]
        return self.steps[-1] if self.repeat_last else None

    def next_due(self, raised_at: datetime, level: int) -> datetime | None:
        """When re-alert ``level + 1`` is due, given the alert was first raised at ``raised_at``.

        The time is absolute (``raised_at`` plus every step up to ``level``), so a sweeper that
        runs late does not push later re-alerts back.
        """
        if self.delay(level) is None:
            return None
        total = timedelta(0)
        for n in range(level + 1):
            step = self.delay(n)
            if step is None:  # pragma: no cover - guarded above
                return None
            total += step
        return raised_at + total
