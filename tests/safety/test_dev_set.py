"""The shared dev set: a labelled sample (not the test) of what children write."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from safety import Detector
from tests.safety._metrics import assert_targets, load_lines, score, table

DEV_SET = Path(
    os.environ.get(
        "ALONGSIDE_SAFETY_DEV_SET",
        str(Path(__file__).resolve().parents[3] / "shared" / "safety" / "dev-set.jsonl"),
    )
)


def test_dev_set_meets_targets() -> None:
    if not DEV_SET.is_file():
        message = f"safety dev set not found at {DEV_SET} (set ALONGSIDE_SAFETY_DEV_SET)"
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(message)
        pytest.skip(message)
    scores = score(load_lines(DEV_SET), Detector.load())
    print(f"\nsafety dev set ({DEV_SET}):\n{table(scores)}")
    assert_targets(scores)
