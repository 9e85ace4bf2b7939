"""`.env.example` documents exactly the settings, and parses."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from dotenv import dotenv_values

from app.core.config import BACKEND_DIR, Environment, Settings

ENV_EXAMPLE = BACKEND_DIR.parent / ".env.example"
# Read by docker-compose.yml only (the PostgreSQL container, the image tag, HTTPS).
COMPOSE_ONLY = {"POSTGRES_USER", "POSTGRES_PASSWORD", "POSTGRES_DB", "TAG", "DOMAIN", "ACME_EMAIL"}


def example_values(path: Path = ENV_EXAMPLE) -> dict[str, str | None]:
    return dict(dotenv_values(path))


def test_env_example_names_every_setting_and_nothing_else() -> None:
    names = set(example_values()) - COMPOSE_ONLY
    fields = set(Settings.model_fields)
    assert not fields - names, f"settings missing from .env.example: {sorted(fields - names)}"
    assert not names - fields, f".env.example names unknown settings: {sorted(names - fields)}"


def test_env_example_documents_every_setting_with_a_comment() -> None:
    """Each setting, or the block of settings it belongs to, follows a comment."""
    lines = ENV_EXAMPLE.read_text().splitlines()
    for index, line in enumerate(lines):
        if line.startswith("#") or "=" not in line:
            continue
        above = index - 1
        while above >= 0 and "=" in lines[above] and not lines[above].startswith("#"):
            above -= 1
        assert above >= 0, f"undocumented: {line}"
        assert lines[above].startswith("#"), f"undocumented: {line}"


def test_env_example_parses_into_local_settings() -> None:
    # The process environment wins over the file (the suite sets ENVIRONMENT=test).
    cfg = Settings(_env_file=ENV_EXAMPLE)
    assert example_values()["ENVIRONMENT"] == Environment.LOCAL.value
    assert cfg.PROJECT_NAME == "Socia"
    assert cfg.DB_POOL_SIZE + cfg.DB_MAX_OVERFLOW < cfg.THREADPOOL_SIZE


def test_env_example_values_are_the_defaults() -> None:
    """The example shows the defaults, so copying it changes nothing by surprise."""
    given: dict[str, Any] = {
        name: value
        for name, value in example_values().items()
        if value and name in Settings.model_fields
    }
    parsed = Settings(_env_file=None, **given)
    defaults = Settings.model_construct()
    for name in given:
        assert getattr(parsed, name) == getattr(defaults, name), name
