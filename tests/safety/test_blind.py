"""Detection measured on what it was not tuned to.

* The frozen blind set (``tests/safety/blind``, written by hands that never saw ``safety/``):
  urgent recall overall and in every language, false urgent on ordinary and hard-negative lines.
* Published text (``../shared/safety/benign-a.jsonl``, the UDHR, news and web sentences,
  Tatoeba, MasakhaNEWS, Kurdish news): false urgent overall and in every language. Skipped with
  the reason where the shared folder is absent, never in CI.

Only counts are printed, never a line: the hands that tune the detector must not see them.
"""

from __future__ import annotations

import os

import pytest

from safety import Detector
from safety.evaluate import BENIGN, BLIND, benign_report, blind_report

# The targets detection is held to (the README gives the measured figures beside them).
RECALL_TARGET = 0.95
RECALL_PER_LANGUAGE_TARGET = 0.85
FALSE_URGENT_TARGET = 0.03
PUBLISHED_TARGET = 0.003
PUBLISHED_PER_LANGUAGE_TARGET = 0.01


@pytest.fixture(scope="module")
def det() -> Detector:
    return Detector.load()


def test_the_blind_set_is_frozen_and_whole() -> None:
    files = sorted(BLIND.glob("*.jsonl"))
    assert [f.stem for f in files] == sorted(
        ["am", "ar", "ckb", "en", "fa", "fr", "pl", "ps", "ro", "sq", "ti", "vi"]
    )
    for path in files:
        lines = [line for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
        assert len(lines) == 88, path.name


def test_urgent_recall_on_the_blind_set(det: Detector) -> None:
    report = blind_report(det)
    print(
        "\n"
        + "\n".join(
            [
                *report.recall.lines("urgent recall"),
                *report.by_language.lines("by language"),
                *report.by_category.lines("by category"),
                *report.by_style.lines("by style"),
            ]
        )
    )
    assert report.recall.rate("all") >= RECALL_TARGET
    for language in report.by_language.total:
        assert report.by_language.rate(language) >= RECALL_PER_LANGUAGE_TARGET, language


def test_false_urgent_on_the_blind_sets_ordinary_and_hard_negative_lines(det: Detector) -> None:
    report = blind_report(det)
    print("\n" + "\n".join(report.false_urgent.lines("false urgent")))
    assert report.false_urgent.rate("all") <= FALSE_URGENT_TARGET


def test_false_urgent_on_published_text(det: Detector) -> None:
    if not BENIGN.is_file():
        message = f"published text not found at {BENIGN}"
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(message)
        pytest.skip(message)
    urgent, _ = benign_report(det)
    print("\n" + "\n".join(urgent.lines("false urgent on published text")))
    assert urgent.rate("all") <= PUBLISHED_TARGET
    for language in {key for key in urgent.total if ":" not in key and key != "all"}:
        assert urgent.rate(language) <= PUBLISHED_PER_LANGUAGE_TARGET, language
