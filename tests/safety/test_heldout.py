"""Our own held-out set: new wordings, misspellings, missing diacritics, transliteration and
hard negatives, written without looking at which rules exist."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

from safety import Detector
from tests.safety._metrics import assert_targets, load_lines, score, table

HELDOUT = Path(__file__).resolve().parent / "heldout.jsonl"


def test_heldout_covers_every_language() -> None:
    counts = Counter(row["language"] for row in load_lines(HELDOUT))
    for lang in ("en", "sq", "vi", "ar", "fa", "fr", "ro"):
        assert counts[lang] >= 10, lang
    for lang in ("ps", "ckb", "ti", "am", "pl"):
        assert counts[lang] >= 4, lang


def test_heldout_meets_targets() -> None:
    scores = score(load_lines(HELDOUT), Detector.load())
    print(f"\nsafety held-out set:\n{table(scores)}")
    assert_targets(scores)
