"""The safety-scan JSON-lines contract."""

from __future__ import annotations

import io
import json

from safety import Detector, scan_lines


def run(text: str) -> tuple[int, list[dict[str, object]]]:
    out = io.StringIO()
    code = scan_lines(io.StringIO(text), out, Detector.load())
    return code, [json.loads(line) for line in out.getvalue().splitlines()]


def test_one_output_line_per_input_line() -> None:
    code, rows = run(
        '{"text": "i want to die", "language": "en"}\n'
        '{"text": "good morning"}\n'
        '{"text": "Dua të vdes", "language": "sq"}\n'
        '{"text": "i feel sad", "language": null}\n'
    )
    assert code == 0
    assert [r["severity"] for r in rows][:3] == ["urgent", "none", "urgent"]
    assert rows[3]["severity"] != "urgent"
    assert "self_harm" in rows[0]["categories"]
    assert "en.selfharm.die.1" in rows[0]["rules"]
    assert {k: rows[1][k] for k in ("severity", "categories", "rules", "reasons")} == {
        "severity": "none",
        "categories": [],
        "rules": [],
        "reasons": [],
    }
    assert set(rows[0]) == {"severity", "categories", "rules", "score", "reasons"}
    assert rows[0]["score"] > rows[1]["score"]


def test_blank_lines_are_skipped() -> None:
    code, rows = run('\n{"text": "hello"}\n   \n\n{"text": "help me"}\n')
    assert code == 0
    assert len(rows) == 2


def test_malformed_lines_report_and_continue() -> None:
    code, rows = run(
        "not json\n"
        '{"text": "i need help now"}\n'
        "[1, 2]\n"
        '{"language": "en"}\n'
        '{"text": 5}\n'
        '{"text": "hi", "language": 3}\n'
        '{"text": "hello"}\n'
    )
    assert code == 1
    assert len(rows) == 7
    assert rows[0]["error"].startswith("line 1:")
    assert rows[1]["severity"] == "urgent"
    assert all("error" in r for r in rows[2:6])
    assert rows[6]["severity"] == "none"


def test_default_detector_and_no_trailing_newline() -> None:
    out = io.StringIO()
    assert scan_lines(io.StringIO('{"text": "im in danger"}'), out) == 0
    assert json.loads(out.getvalue())["severity"] == "urgent"
    assert out.getvalue().endswith("\n")


def test_unicode_is_written_verbatim() -> None:
    out = io.StringIO()
    scan_lines(io.StringIO('{"text": "\\u0623\\u062d\\u062a\\u0627\\u062c"}\n'), out)
    assert json.loads(out.getvalue())["severity"] in {"none", "concern", "urgent"}
