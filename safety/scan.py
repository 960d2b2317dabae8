"""The ``alongside safety-scan`` contract: JSON lines in, one JSON line out per input line.

Input lines are objects ``{"text": str, "language": str (optional)}``; blank lines are skipped.
Each non-blank line produces exactly one output line, either
``{"severity": ..., "categories": [...], "rules": [...], "score": float, "reasons": [...]}`` or
``{"error": "..."}`` for a line that is not such an object or is longer than ``MAX_LINE``
characters (read and dropped in pieces, never held whole), so a caller can zip inputs with
outputs. The return value is the process exit code: 1 if any line was bad, else 0.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Final, TextIO

from safety.detector import Detector

__all__ = ["MAX_LINE", "scan_lines"]

MAX_LINE: Final = 1 << 20  # characters; a chat message is at most 4,096


def _lines(inp: TextIO) -> Iterator[str | None]:
    """Each line, or None for one too long to hold (the rest of it is read and dropped)."""
    while True:
        line = inp.readline(MAX_LINE + 1)
        if not line:
            return
        if len(line) <= MAX_LINE or line.endswith("\n"):
            yield line
            continue
        while line and not line.endswith("\n"):
            line = inp.readline(MAX_LINE)
        yield None


def _parse(line: str) -> tuple[str, tuple[str, ...]]:
    try:
        data = json.loads(line)
    except json.JSONDecodeError as exc:
        raise ValueError(f"not JSON: {exc.msg}") from None
    if not isinstance(data, dict):
        raise ValueError("each line must be a JSON object")
    text = data.get("text")
    if not isinstance(text, str):
        raise ValueError("'text' must be a string")
    language = data.get("language")
    if language is None:
        return text, ()
    if not isinstance(language, str):
        raise ValueError("'language' must be a string")
    return text, (language,) if language.strip() else ()


def scan_lines(inp: TextIO, out: TextIO, detector: Detector | None = None) -> int:
    """Scan every JSON line of ``inp`` into ``out``; return 1 if any line was malformed."""
    det = detector or Detector.load()
    status = 0
    for number, line in enumerate(_lines(inp), start=1):
        if line is not None and not line.strip():
            continue
        try:
            if line is None:
                raise ValueError(f"longer than {MAX_LINE} characters")
            text, languages = _parse(line)
        except ValueError as exc:
            out.write(json.dumps({"error": f"line {number}: {exc}"}) + "\n")
            out.flush()
            status = 1
            continue
        result = det.scan(text, languages)
        out.write(
            json.dumps(
                {
                    "severity": result.severity.value,
                    "categories": list(result.categories),
                    "rules": list(result.rules),
                    "score": result.score,
                    "reasons": list(result.reasons),
                },
                ensure_ascii=False,
            )
            + "\n"
        )
        # One answer per line as it comes, so a caller reading a pipe is never kept waiting.
        out.flush()
    return status
