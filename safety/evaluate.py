"""Measure the detector: ``python -m safety.evaluate [--blind DIR] [--benign FILE]``.

Prints counts and rates only, never a line of the evaluation sets: the hands that tune the
detector must not see them (see ``tests/safety/blind/README.md``).

* Blind set: urgent recall overall, by language, category and style; false urgent on the
  ``none`` lines (ordinary and hard negatives); concern lines caught as at least concern.
* Published text (``benign-a.jsonl`` from the shared folder): false urgent overall and by
  language, and how many lines were flagged at all.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from safety.detector import Detector
from safety.lexicon import Severity
from safety.train import in_benign_training_half

ROOT = Path(__file__).resolve().parent.parent
BLIND = ROOT / "tests" / "safety" / "blind"
BENIGN = ROOT.parent / "shared" / "safety" / "benign-a.jsonl"


@dataclass
class Tally:
    hit: Counter[str] = field(default_factory=Counter)
    total: Counter[str] = field(default_factory=Counter)

    def add(self, key: str, ok: bool) -> None:
        self.total[key] += 1
        self.hit[key] += ok

    def rate(self, key: str) -> float:
        return self.hit[key] / self.total[key] if self.total[key] else 0.0

    def lines(self, title: str) -> Iterator[str]:
        yield title
        for key in sorted(self.total):
            yield f"  {key:24} {self.hit[key]:5}/{self.total[key]:<5} {self.rate(key):6.1%}"


@dataclass
class BlindReport:
    recall: Tally = field(default_factory=Tally)
    by_language: Tally = field(default_factory=Tally)
    by_category: Tally = field(default_factory=Tally)
    by_style: Tally = field(default_factory=Tally)
    false_urgent: Tally = field(default_factory=Tally)
    false_flag: Tally = field(default_factory=Tally)
    concern: Tally = field(default_factory=Tally)


def read_jsonl(paths: Iterable[Path]) -> Iterator[dict[str, str]]:
    for path in paths:
        with path.open(encoding="utf-8") as handle:
            for line in handle:
                if line.strip():
                    yield json.loads(line)


def blind_report(detector: Detector, directory: Path = BLIND) -> BlindReport:
    report = BlindReport()
    for row in read_jsonl(sorted(directory.glob("*.jsonl"))):
        severity = detector.scan(row["text"], (row["language"],)).severity
        urgent = severity is Severity.URGENT
        if row["label"] == "urgent":
            report.recall.add("all", urgent)
            report.by_language.add(row["language"], urgent)
            report.by_category.add(row["category"], urgent)
            report.by_style.add(row["style"], urgent)
        elif row["label"] == "none":
            report.false_urgent.add("all", urgent)
            report.false_urgent.add(row["category"], urgent)
            report.false_urgent.add(f"lang:{row['language']}", urgent)
            report.false_flag.add("all", severity is not Severity.NONE)
            report.false_flag.add(row["category"], severity is not Severity.NONE)
        else:
            report.concern.add("all", severity is not Severity.NONE)
    return report


def benign_report(detector: Detector, path: Path = BENIGN) -> tuple[Tally, Tally]:
    """False urgent and anything flagged, by language, on published text; "unseen" counts
    only the half the model was not trained on (see safety.train)."""
    urgent, flagged = Tally(), Tally()
    for row in read_jsonl([path]):
        severity = detector.scan(row["text"], (row["language"],)).severity
        half = "trained" if in_benign_training_half(row["text"]) else "unseen"
        for key in ("all", f"half:{half}", f"source:{row.get('source', '?')}", row["language"]):
            urgent.add(key, severity is Severity.URGENT)
            flagged.add(key, severity is not Severity.NONE)
    return urgent, flagged


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m safety.evaluate", description=__doc__)
    parser.add_argument("--blind", type=Path, default=BLIND)
    parser.add_argument("--benign", type=Path, default=BENIGN)
    args = parser.parse_args(argv)
    detector = Detector.load()
    out: list[str] = []
    if args.blind.is_dir():
        report = blind_report(detector, args.blind)
        out += report.recall.lines("urgent recall")
        out += report.by_language.lines("urgent recall by language")
        out += report.by_category.lines("urgent recall by category")
        out += report.by_style.lines("urgent recall by style")
        out += report.false_urgent.lines("false urgent on none lines")
        out += report.false_flag.lines("none lines flagged at all (concern or urgent)")
        out += report.concern.lines("concern lines flagged (concern or urgent)")
    if args.benign.is_file():
        urgent, flagged = benign_report(detector, args.benign)
        out += urgent.lines("false urgent on published text")
        out += flagged.lines("published text flagged at all")
    else:
        out.append(f"(no published text at {args.benign})")
    print("\n".join(out))
    return 0


if __name__ == "__main__":
    sys.exit(main())
