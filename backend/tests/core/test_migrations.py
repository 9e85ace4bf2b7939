"""The schema comes from migrations, and the migrations match the models."""

from __future__ import annotations

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine, create_engine, inspect

from app.core import migrations
from app.models.base import SQLModel
from tests.conftest import TestDatabase


def test_single_head() -> None:
    script = ScriptDirectory.from_config(migrations.alembic_config())
    assert len(script.get_heads()) == 1, script.get_heads()


def test_models_match_migrations(engine: Engine) -> None:
    with engine.connect() as conn:
        context = MigrationContext.configure(
            conn,
            opts={
                "compare_type": True,
                "compare_server_default": True,
                "include_object": migrations.include_object,
            },
        )
        diff = compare_metadata(context, SQLModel.metadata)
    assert diff == [], f"models and migrations differ; run alembic revision --autogenerate: {diff}"


def test_upgrade_downgrade_upgrade_on_empty_database(test_database: TestDatabase) -> None:
    url = test_database.create_empty_database()
    try:
        cfg = migrations.alembic_config(url=url)
        command.upgrade(cfg, "head")
        probe = create_engine(url)
        try:
            tables = set(inspect(probe).get_table_names())
            assert set(SQLModel.metadata.tables) <= tables
            command.downgrade(cfg, "base")
            assert set(inspect(probe).get_table_names()) <= {"alembic_version"}
            command.upgrade(cfg, "head")
            assert set(SQLModel.metadata.tables) <= set(inspect(probe).get_table_names())
        finally:
            probe.dispose()
    finally:
        test_database.drop_database(url)
