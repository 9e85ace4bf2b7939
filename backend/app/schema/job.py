"""Jobs of the queue, as platform admins see them (never their arguments: emailed
links are secrets)."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from pydantic import BaseModel, ConfigDict


class JobStatus(StrEnum):
    TODO = "todo"
    DOING = "doing"
    SUCCEEDED = "succeeded"
    FAILED = "failed"
    CANCELLED = "cancelled"
    ABORTED = "aborted"


class JobRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    task_name: str
    queue_name: str
    status: JobStatus
    attempts: int
    scheduled_at: datetime | None
    last_error: str | None
    last_failed_at: datetime | None
