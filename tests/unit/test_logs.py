"""The log flood guard: a repeated event is let through a few times, then counted."""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Iterator

import pytest

from bot.logs import RepeatFilter, SafeFormatter, configure_logging


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def out() -> io.StringIO:
    return io.StringIO()


def _logger(
    out: io.StringIO, clock: Clock, json_lines: bool = False, **limits: int
) -> tuple[logging.Logger, RepeatFilter]:
    handler = logging.StreamHandler(out)
    handler.setFormatter(SafeFormatter(json_lines))
    guard = RepeatFilter(handler.handle, clock=clock, **limits)
    handler.addFilter(guard)
    log = logging.Logger("tests.flood")
    log.addHandler(handler)
    return log, guard


def test_a_repeated_error_is_let_through_ten_times_then_counted(
    out: io.StringIO, clock: Clock
) -> None:
    log, _ = _logger(out, clock)
    for _ in range(10_000):
        log.error("outbox.send_crashed", extra={"outbox_id": 7})
    line = "error   tests.flood: outbox.send_crashed outbox_id=7"
    assert out.getvalue().splitlines() == [line] * 10
    clock.now = 10
    log.info("bot.started")
    assert out.getvalue().splitlines()[10:] == [
        "error   tests.flood: log.suppressed count=9990 of=outbox.send_crashed",
        "info    tests.flood: bot.started",
    ]


def test_the_count_comes_in_json_too(out: io.StringIO, clock: Clock) -> None:
    log, _ = _logger(out, clock, json_lines=True, limit=1)
    for _ in range(3):
        log.warning("webhook.wrong_secret", extra={"count": 1})
    clock.now = 10
    log.warning("webhook.wrong_secret", extra={"count": 1})
    lines = [json.loads(line) for line in out.getvalue().splitlines()]
    assert [(line["event"], line["count"]) for line in lines] == [
        ("webhook.wrong_secret", 1),
        ("log.suppressed", 2),
        ("webhook.wrong_secret", 1),
    ]
    assert lines[1]["of"] == "webhook.wrong_secret"
    assert lines[1]["level"] == "warning"


def test_distinct_events_are_all_kept_and_memory_stays_bounded(
    out: io.StringIO, clock: Clock
) -> None:
    log, guard = _logger(out, clock, keys=100)
    for i in range(5_000):
        log.warning(f"event.{i}")
    assert len(out.getvalue().splitlines()) == 5_000
    assert len(guard._windows) == 100  # the bound is the point


def test_a_window_closed_to_make_room_reports_its_count(out: io.StringIO, clock: Clock) -> None:
    log, _ = _logger(out, clock, keys=2)
    for _ in range(15):
        log.error("a")
    log.error("b")
    log.error("c")
    assert out.getvalue().splitlines()[10:] == [
        "error   tests.flood: b",
        "error   tests.flood: log.suppressed count=5 of=a",
        "error   tests.flood: c",
    ]


def test_the_same_event_at_another_level_or_logger_is_another_event(
    out: io.StringIO, clock: Clock
) -> None:
    log, _ = _logger(out, clock, limit=1)
    other = logging.Logger("tests.other")
    other.handlers = log.handlers
    log.info("x")
    log.warning("x")
    other.info("x")
    log.info("x")
    assert len(out.getvalue().splitlines()) == 3


@pytest.fixture
def root_restored() -> Iterator[None]:
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    yield
    root.handlers[:] = handlers
    root.setLevel(level)


@pytest.mark.usefixtures("root_restored")
def test_configure_logging_guards_the_root_handler(capsys: pytest.CaptureFixture[str]) -> None:
    configure_logging()
    log = logging.getLogger("tests.flood")
    for _ in range(10_000):
        log.error("dispatcher.crashed")
    log.warning("something.else")
    lines = capsys.readouterr().err.splitlines()
    assert lines.count("error   tests.flood: dispatcher.crashed") == 10
    assert lines[-1] == "warning tests.flood: something.else"
    assert len(lines) == 11
