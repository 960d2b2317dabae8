"""The package as the image installs it (`pip install .`, not editable): every file the code
reads at run time is in the wheel, and the installed copy plays the demo from another directory.
Editable installs read the source tree, so only this shows what a wheel left out."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from tests.conftest import PATIENCE

pytestmark = pytest.mark.slow
ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ("bot", "conversations", "safety", "locales")
# Kept beside the code for people, never read by it.
FOR_PEOPLE = (".md",)


def _tracked_data_files() -> set[str]:
    listed = subprocess.run(
        ["git", "ls-files", *PACKAGES], cwd=ROOT, capture_output=True, text=True, check=True
    ).stdout.split()
    return {name for name in listed if not name.endswith((".py", *FOR_PEOPLE))}


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Built from a clean copy: a build in the tree leaves `build/` and `*.egg-info` behind, and
    the next build would take its file list from them."""
    source = tmp_path_factory.mktemp("source") / "alongside"
    shutil.copytree(
        ROOT,
        source,
        ignore=shutil.ignore_patterns(
            ".git", ".venv", "build", "*.egg-info", "alongside-data", "__pycache__", ".*_cache"
        ),
    )
    out = tmp_path_factory.mktemp("wheel")
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--quiet", "-w", str(out), str(source)],
        check=True,
        capture_output=True,
        timeout=300 * PATIENCE,
    )
    [built] = out.glob("alongside-*.whl")
    return built


def test_the_wheel_holds_every_file_the_code_reads(wheel: Path) -> None:
    if not (ROOT / ".git").exists():
        pytest.skip("needs the git checkout to list its files")
    with zipfile.ZipFile(wheel) as archive:
        packed = set(archive.namelist())
    assert _tracked_data_files() - packed == set()


def test_the_installed_package_plays_the_demo(wheel: Path, tmp_path: Path) -> None:
    target = tmp_path / "site"
    install = [sys.executable, "-m", "pip", "install", "--no-deps", "--quiet"]
    subprocess.run(
        [*install, "--target", str(target), str(wheel)],
        check=True,
        capture_output=True,
        timeout=300 * PATIENCE,
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith(("ALONGSIDE_", "PYTHON"))}
    # Ahead of the editable install: the installed copy is what runs (checked below).
    env["PYTHONPATH"] = str(target)
    code = "import bot, sys; print(bot.__file__); import bot.cli; sys.exit(bot.cli.main(['demo']))"
    done = subprocess.run(
        [sys.executable, "-c", code],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=180 * PATIENCE,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    first, *rest = done.stdout.splitlines()
    assert first == str(target / "bot" / "__init__.py")
    assert rest[-1] == "Demo finished: the bot stopped and its temporary data was deleted."
