"""Regression examples found while tuning the lexicons (so NOT a held-out measure).

Each line is ``{"language", "label", "text"}`` with label ``urgent``, ``concern`` (must be
flagged but not urgent) or ``not_urgent`` (benign chat, hard negatives; language left empty so
that script detection alone decides which lexicons apply). Add a line whenever a miss or a
false alarm is fixed.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from safety import Detector, Severity

ROWS = [
    json.loads(line)
    for line in (Path(__file__).resolve().parent / "regressions.jsonl")
    .read_text(encoding="utf-8")
    .splitlines()
    if line.strip()
]
EXPECTED = {
    "urgent": {Severity.URGENT},
    "concern": {Severity.CONCERN},
    "not_urgent": {Severity.NONE, Severity.CONCERN},
}


@pytest.mark.parametrize("row", ROWS, ids=[r["text"][:40] for r in ROWS])
def test_regression(row: dict[str, str]) -> None:
    languages = [row["language"]] if row["language"] else []
    result = Detector.load().scan(row["text"], languages)
    assert result.severity in EXPECTED[row["label"]], result.rules
