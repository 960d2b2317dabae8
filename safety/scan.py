"""The ``alongside safety-scan`` contract: JSON lines in, one JSON line out per input line.

Input lines are objects ``{"text": str, "language": str (optional)}``; blank lines are skipped.
Each non-blank line produces exactly one output line, either
``{"severity": ..., "categories": [...], "rules": [...]}`` or ``{"error": "..."}`` for a line that
is not such an object, so a caller can zip inputs with outputs. The return value is the process
exit code: 1 if any line was bad, else 0.
"""

from __future__ import annotations

import json
from typing import TextIO

from safety.detector import Detector

__all__ = ["scan_lines"]


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
    for number, line in enumerate(inp, start=1):
        if not line.strip():
            continue
        try:
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
                },
                ensure_ascii=False,
            )
            + "\n"
        )
        # One answer per line as it comes, so a caller reading a pipe is never kept waiting.
        out.flush()
    return status
