"""Every field a log call passes is one the formatter writes: none is dropped unseen."""

from __future__ import annotations

import ast
from pathlib import Path

from bot.logs import SAFE_FIELDS

ROOT = Path(__file__).resolve().parents[2]
LOG_METHODS = {"debug", "info", "warning", "error", "critical", "exception", "log"}


def _passed_fields() -> dict[str, set[str]]:
    found: dict[str, set[str]] = {}
    for package in ("bot", "conversations", "safety"):
        for path in sorted((ROOT / package).rglob("*.py")):
            tree = ast.parse(path.read_text(encoding="utf-8"))
            for node in ast.walk(tree):
                if not (
                    isinstance(node, ast.Call)
                    and isinstance(node.func, ast.Attribute)
                    and node.func.attr in LOG_METHODS
                ):
                    continue
                for keyword in node.keywords:
                    if keyword.arg == "extra" and isinstance(keyword.value, ast.Dict):
                        for key in keyword.value.keys:
                            if isinstance(key, ast.Constant) and isinstance(key.value, str):
                                found.setdefault(key.value, set()).add(str(path.relative_to(ROOT)))
    return found


def test_every_logged_field_is_written() -> None:
    passed = _passed_fields()
    assert passed, "the scan finds the log calls"
    unknown = {name: sorted(where) for name, where in passed.items() if name not in SAFE_FIELDS}
    assert unknown == {}
