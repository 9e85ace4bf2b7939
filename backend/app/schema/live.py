"""Live streams (stream tokens) and push devices."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Literal

from pydantic import BaseModel, Field

from app.core.live_token import Stream, StreamKind
from app.models.push import PushPlatform
from app.schema.common import RequestModel


class VenueStreamRequest(RequestModel):
    """A venue's live board (its staff and above)."""

    stream: Literal[StreamKind.VENUE]
    id: uuid.UUID


class TableSessionStreamRequest(RequestModel):
    """A table session's stream (its members)."""

    stream: Literal[StreamKind.TABLE_SESSION]
    id: uuid.UUID


class MyStreamRequest(RequestModel):
    """The caller's own orders."""

    stream: Literal[StreamKind.ME]


#: The stream a token opens: `venue` and `table_session` name their object's `id`.
StreamTokenCreate = Annotated[
    VenueStreamRequest | TableSessionStreamRequest | MyStreamRequest,
    Field(discriminator="stream"),
]


def as_stream(body: VenueStreamRequest | TableSessionStreamRequest | MyStreamRequest) -> Stream:
    if isinstance(body, MyStreamRequest):
        return Stream(StreamKind.ME)
    return Stream(body.stream, body.id)


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
