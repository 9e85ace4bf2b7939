"""What the job queue itself does not keep: why a job failed.

procrastinate's tables (`procrastinate_jobs`, `procrastinate_events`, ...) hold the
jobs, their status and attempts; they come from procrastinate's own schema (see the
migration `0006_jobs`) and are not models here. `JobError` keeps the error of each
failed attempt, so failed jobs can be listed with their last error
(`socia jobs failed`, `GET /admin/jobs`).
"""

from __future__ import annotations

import uuid
from datetime import datetime

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from app.models.base import IdField, TimestampColumn, utcnow

ERROR_MAX_LENGTH = 2000


class JobError(SQLModel, table=True):
    """One failed attempt of a job (no foreign key: procrastinate owns its table)."""

    __tablename__ = "job_error"

    id: uuid.UUID = IdField()
    job_id: int = Field(sa_column=sa.Column(sa.BigInteger(), nullable=False, index=True))
    task_name: str = Field(max_length=128)
    attempt: int
    error: str = Field(max_length=ERROR_MAX_LENGTH)
    failed_at: datetime = Field(
        default_factory=utcnow, sa_column=TimestampColumn(default_now=True, index=True)
    )
