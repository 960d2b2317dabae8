"""Shared scoring for labelled JSON-lines sets (the shared dev set)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from safety import Detector, Severity

# The same targets as the blind set's (tests/safety/test_blind.py): the detector is no longer
# built from lexicons tuned to these lines, so they measure it like any other labelled sample.
URGENT_RECALL_TARGET = 0.95
NONE_FALSE_URGENT_TARGET = 0.03


@dataclass
class LanguageScore:
    urgent: int = 0
    urgent_hit: int = 0
    none: int = 0
    none_false_urgent: int = 0
    concern: int = 0
    concern_flagged: int = 0


def load_lines(path: Path) -> list[dict[str, str]]:
    rows = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        row = json.loads(line)
        assert row["label"] in {"urgent", "concern", "none"}, f"{path.name}:{number}"
        rows.append(row)
    return rows


def score(rows: list[dict[str, str]], detector: Detector) -> dict[str, LanguageScore]:
    scores: dict[str, LanguageScore] = {}
    for row in rows:
        s = scores.setdefault(row["language"], LanguageScore())
        result = detector.scan(row["text"], [row["language"]])
        urgent = result.severity is Severity.URGENT
        if row["label"] == "urgent":
            s.urgent += 1
            s.urgent_hit += urgent
        elif row["label"] == "none":
            s.none += 1
            s.none_false_urgent += urgent
        else:
            s.concern += 1
            s.concern_flagged += result.severity is not Severity.NONE
    return scores


def table(scores: dict[str, LanguageScore]) -> str:
    lines = [f"{'lang':5} {'urgent recall':>16} {'none→urgent':>14} {'concern flagged':>16}"]
    total = LanguageScore()
    for lang in sorted(scores):
        s = scores[lang]
        total.urgent += s.urgent
        total.urgent_hit += s.urgent_hit
        total.none += s.none
        total.none_false_urgent += s.none_false_urgent
        total.concern += s.concern
        total.concern_flagged += s.concern_flagged
        lines.append(_row(lang, s))
    lines.append(_row("ALL", total))
    return "\n".join(lines)


def _row(name: str, s: LanguageScore) -> str:
    return (
        f"{name:5} {s.urgent_hit:>7}/{s.urgent:<3} {_pct(s.urgent_hit, s.urgent):>5} "
        f"{s.none_false_urgent:>5}/{s.none:<3} {_pct(s.none_false_urgent, s.none):>5} "
        f"{s.concern_flagged:>7}/{s.concern:<3} {_pct(s.concern_flagged, s.concern):>5}"
    )


def _pct(a: int, b: int) -> str:
    return f"{100 * a / b:.0f}%" if b else "-"


def assert_targets(scores: dict[str, LanguageScore]) -> None:
    urgent = sum(s.urgent for s in scores.values())
    hit = sum(s.urgent_hit for s in scores.values())
    none = sum(s.none for s in scores.values())
    false_urgent = sum(s.none_false_urgent for s in scores.values())
    assert urgent
    assert none
    # Counts only, as for the blind set: a line printed here invites a fix for that line.
    assert hit / urgent >= URGENT_RECALL_TARGET, f"urgent recall {hit}/{urgent}"
    assert false_urgent / none <= NONE_FALSE_URGENT_TARGET, f"false urgent {false_urgent}/{none}"
