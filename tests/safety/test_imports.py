"""safety is pure: it imports nothing of ours, and outside the standard library only numpy (its
model's weights) and, for training alone, scipy."""

from __future__ import annotations

import ast
import sys
from pathlib import Path

SAFETY = Path(__file__).resolve().parents[2] / "safety"
OURS = {"bot", "conversations", "locales", "tests"}
ALLOWED = {"numpy"}
TRAINING_ONLY = {"scipy"}


def imported_modules(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.add(node.module)
    return names


def test_safety_imports_only_itself_the_standard_library_and_numpy() -> None:
    files = sorted(SAFETY.rglob("*.py"))
    assert files
    for path in files:
        allowed = ALLOWED | (TRAINING_ONLY if path.name == "train.py" else set())
        for name in imported_modules(path):
            top = name.split(".")[0]
            assert top not in OURS, f"{path.name} imports {name}"
            assert top in {"safety", "__future__", *allowed} or top in sys.stdlib_module_names, (
                f"{path.name} imports {name}"
            )
