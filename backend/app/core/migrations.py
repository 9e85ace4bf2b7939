"""Run Alembic from code (CLI, tests)."""

from __future__ import annotations

from typing import Any

from alembic import command
from alembic.config import Config
from sqlalchemy import Connection

from app.core.config import BACKEND_DIR


def include_object(
    obj: Any, name: str | None, type_: str, _reflected: bool, _compare_to: Any
) -> bool:
    """Leave procrastinate's tables (made by its own schema SQL in migration 0006_jobs,
    not by models) out of the models-vs-migrations comparison."""
    table = getattr(obj, "table", None)
    table_name = name if type_ == "table" else getattr(table, "name", None)
    return not (table_name or "").startswith("procrastinate_")


def alembic_config(*, url: str | None = None, connection: Connection | None = None) -> Config:
    cfg = Config(str(BACKEND_DIR / "alembic.ini"))
    cfg.set_main_option("script_location", str(BACKEND_DIR / "app" / "alembic"))
    cfg.attributes["configure_logger"] = False
    if url is not None:
        cfg.attributes["url"] = url
    if connection is not None:
        cfg.attributes["connection"] = connection
    return cfg


def upgrade_head(*, url: str | None = None) -> None:
    command.upgrade(alembic_config(url=url), "head")
