"""Each room imports only what it may: safety nothing of ours, conversations never telegram,
and the bot reaches the database only through conversations (outside its wiring)."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
OURS = {"bot", "conversations", "safety", "tests", "locales"}


def _modules(package: str) -> list[Path]:
    return sorted((ROOT / package).rglob("*.py"))


def _imports(path: Path) -> set[str]:
    """Top-level names a module imports, relative imports resolved against its package."""
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    package = parts if path.name == "__init__.py" else parts[:-1]
    if package and package[-1] == "__init__":
        package = package[:-1]
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package[: len(package) - (node.level - 1)]
                names.add(base[0] if base else "..")
            elif node.module:
                names.add(node.module.split(".")[0])
        elif (
            isinstance(node, ast.Call)
            and isinstance(node.func, (ast.Name, ast.Attribute))
            and getattr(node.func, "id", getattr(node.func, "attr", ""))
            in {"import_module", "__import__"}
            and node.args
            and isinstance(node.args[0], ast.Constant)
            and isinstance(node.args[0].value, str)
        ):
            names.add(node.args[0].value.split(".")[0])
    return names


@pytest.mark.parametrize("path", _modules("safety"), ids=lambda p: p.name)
def test_safety_imports_nothing_of_ours(path: Path) -> None:
    assert not _imports(path) & (OURS - {"safety"})
    assert not _imports(path) & {"telegram", "sqlalchemy"}, "safety stays pure"


@pytest.mark.parametrize("path", _modules("conversations"), ids=lambda p: str(p.relative_to(ROOT)))
def test_conversations_never_imports_telegram_or_the_bot(path: Path) -> None:
    assert not _imports(path) & {"telegram", "bot"}


# The wiring builds the store and runs the admin commands on it; every other module of the bot
# (settings included: database URLs are read by `conversations.urls`) works through the named
# operations of `conversations`.
WIRING = {"app.py", "commands.py"}
BEHIND_THE_DOOR = ("sqlalchemy", "conversations.models")


def _full_imports(path: Path) -> set[str]:
    """Dotted names a module imports, `from a import b` counted as both `a` and `a.b`."""
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            names.add(node.module)
            names.update(f"{node.module}.{alias.name}" for alias in node.names)
    return names


@pytest.mark.parametrize(
    "path",
    [p for p in _modules("bot") if p.relative_to(ROOT / "bot").as_posix() not in WIRING],
    ids=lambda p: str(p.relative_to(ROOT)),
)
def test_the_bot_reaches_the_database_only_through_conversations(path: Path) -> None:
    reached = {
        name
        for name in _full_imports(path)
        if any(name == door or name.startswith(f"{door}.") for door in BEHIND_THE_DOOR)
    }
    assert not reached


def test_the_walk_sees_imports() -> None:
    # A control: a walker that saw nothing would pass the tests above vacuously.
    assert len(_modules("safety")) >= 5
    assert len(_modules("conversations")) >= 10
    assert "sqlalchemy" in _imports(ROOT / "conversations" / "store.py")
    assert "telegram" in _imports(ROOT / "bot" / "app.py")
    assert "conversations" in _imports(ROOT / "bot" / "app.py")
    assert "conversations.models" in _full_imports(ROOT / "bot" / "app.py")
    assert "sqlalchemy" in _full_imports(ROOT / "bot" / "app.py")
