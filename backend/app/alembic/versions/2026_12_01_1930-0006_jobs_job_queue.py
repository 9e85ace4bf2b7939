"""job queue: procrastinate's schema (pinned version) and the job_error table

procrastinate's tables, types and functions come from its own `schema.sql`, read
from the installed package; the version is pinned below so a later procrastinate
cannot silently change what this revision creates. Upgrading procrastinate means a
new revision that runs its `sql/migrations/*.sql` for the versions in between (and
moving `PROCRASTINATE_VERSION` here is not that).

Revision ID: 0006_jobs
Revises: 0005_posters
Create Date: 2026-12-01 19:30:00+00:00
"""

from collections.abc import Sequence
from importlib.metadata import version

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0006_jobs"
down_revision: str | None = "0005_posters"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

PROCRASTINATE_VERSION = "3.10."
PROCRASTINATE_TABLES = (
    "procrastinate_events",
    "procrastinate_periodic_defers",
    "procrastinate_jobs",
    "procrastinate_workers",
)


def upgrade() -> None:
    from procrastinate.schema import SchemaManager

    installed = version("procrastinate")
    if not installed.startswith(PROCRASTINATE_VERSION):
        raise RuntimeError(
            f"migration 0006_jobs creates procrastinate {PROCRASTINATE_VERSION}x's schema, "
            f"but procrastinate {installed} is installed"
        )
    # On the driver connection without parameters, so `%` in function bodies stays as is;
    # still inside the migration's transaction.
    op.get_bind().connection.driver_connection.execute(SchemaManager.get_schema())

    op.create_table(
        "job_error",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("job_id", sa.BigInteger(), nullable=False),
        sa.Column("task_name", sqlmodel.sql.sqltypes.AutoString(length=128), nullable=False),
        sa.Column("attempt", sa.Integer(), nullable=False),
        sa.Column("error", sqlmodel.sql.sqltypes.AutoString(length=2000), nullable=False),
        sa.Column(
            "failed_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_job_error")),
    )
    op.create_index(op.f("ix_job_error_job_id"), "job_error", ["job_id"], unique=False)
    op.create_index(op.f("ix_job_error_failed_at"), "job_error", ["failed_at"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_job_error_failed_at"), table_name="job_error")
    op.drop_index(op.f("ix_job_error_job_id"), table_name="job_error")
    op.drop_table("job_error")
    for table in PROCRASTINATE_TABLES:
        op.execute(f"DROP TABLE IF EXISTS {table} CASCADE")
    op.execute(
        """
        DO $$
        DECLARE fn regprocedure;
        BEGIN
            FOR fn IN
                SELECT p.oid::regprocedure FROM pg_proc p
                JOIN pg_namespace n ON n.oid = p.pronamespace
                WHERE n.nspname = current_schema() AND p.proname LIKE 'procrastinate\\_%'
            LOOP
                EXECUTE 'DROP FUNCTION ' || fn || ' CASCADE';
            END LOOP;
        END $$
        """
    )
    for type_name in (
        "procrastinate_job_to_defer_v1",
        "procrastinate_job_event_type",
        "procrastinate_job_status",
    ):
        op.execute(f"DROP TYPE IF EXISTS {type_name} CASCADE")
