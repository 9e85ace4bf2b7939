"""Live streams (stream tokens) and push devices."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Self

from pydantic import BaseModel, Field, model_validator

from app.core.live_token import Stream, StreamKind
from app.models.push import PushPlatform
from app.schema.common import RequestModel


class StreamTokenCreate(RequestModel):
    """The stream to open: a venue's board (`venue`, with its `id`), a table session
    (`table_session`, with its `id`), or the caller's own orders (`me`, no `id`)."""

    stream: StreamKind
    id: uuid.UUID | None = None

    @model_validator(mode="after")
    def _id_matches_kind(self) -> Self:
        if self.stream == StreamKind.ME and self.id is not None:
            raise ValueError("the `me` stream takes no id")
        if self.stream != StreamKind.ME and self.id is None:
            raise ValueError(f"a `{self.stream.value}` stream needs the id of its object")
        return self

    def as_stream(self) -> Stream:
        return Stream(self.stream, self.id)


class StreamTokenRead(BaseModel):
    token: str
    expires_at: datetime
    # The stream's path with the token, ready for `new EventSource(url)`.
    url: str


class PushDeviceRegister(RequestModel):
    platform: PushPlatform


class PushDeviceRead(BaseModel):
    token: str = Field(max_length=4096)
    platform: PushPlatform
    created_at: datetime
    last_seen_at: datetime
