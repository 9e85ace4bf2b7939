"""Stream tokens: what opens a live stream (Server-Sent Events).

A browser's `EventSource` cannot send an `Authorization` header, so a signed-in
caller first asks for a short-lived token for one stream (`POST /api/v1/live/tokens`)
and opens the stream with it in the query string (`?token=`). The token is a JWT
signed with `SECRET_KEY` (verified with `PREVIOUS_SECRET_KEYS` too) naming the user,
the kind of stream and its object; it is good for `LIVE_TOKEN_TTL_SECONDS` and for
that one stream only. The caller's relation to the object is checked again when the
stream opens.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from app.core.config import settings
from app.core.security import InvalidToken, TokenType, decode_token, encode_token


class StreamKind(StrEnum):
    VENUE = "venue"  # a venue's live board (its staff; a food court's team too)
    TABLE_SESSION = "table_session"  # a table session (its members)
    ME = "me"  # the caller's own orders (events for them as consumer)


@dataclass(frozen=True)
class Stream:
    """One live stream: a kind, and the venue or session it follows (`None` for `me`)."""

    kind: StreamKind
    object_id: uuid.UUID | None = None

    def __post_init__(self) -> None:
        if (self.kind == StreamKind.ME) != (self.object_id is None):
            raise ValueError("a venue or table-session stream names its object; `me` does not")


@dataclass(frozen=True)
class StreamToken:
    token: str
    expires_at: datetime


def issue(*, user_id: uuid.UUID, stream: Stream, now: datetime | None = None) -> StreamToken:
    encoded = encode_token(
        user_id,
        TokenType.LIVE_STREAM,
        timedelta(seconds=settings.LIVE_TOKEN_TTL_SECONDS),
        now=now,
        stream=stream.kind.value,
        obj=str(stream.object_id) if stream.object_id is not None else None,
    )
    return StreamToken(token=encoded.token, expires_at=encoded.expires_at)


def read(token: str, *, stream: Stream) -> uuid.UUID:
    """The user a token was issued to, if it is valid for `stream`; else `InvalidToken`."""
    payload = decode_token(token, TokenType.LIVE_STREAM)
    wanted_obj = str(stream.object_id) if stream.object_id is not None else None
    if payload.get("stream") != stream.kind.value or payload.get("obj") != wanted_obj:
        raise InvalidToken("the token is for another stream")
    try:
        return uuid.UUID(str(payload["sub"]))
    except ValueError as exc:
        raise InvalidToken("malformed subject") from exc
