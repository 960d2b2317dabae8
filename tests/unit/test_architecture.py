"""Each room imports only what it may: safety nothing of ours, conversations never telegram."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def _imports(package: str) -> set[str]:
    names: set[str] = set()
    for path in (ROOT / package).rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                names.update(alias.name.split(".")[0] for alias in node.names)
            elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
                names.add(node.module.split(".")[0])
    return names


@pytest.mark.parametrize(("package", "forbidden"), [
    ("safety", {"bot", "conversations", "telegram", "sqlalchemy"}),
    ("conversations", {"bot", "telegram"}),
])
def test_layers(package: str, forbidden: set[str]) -> None:
    assert not _imports(package) & forbidden
