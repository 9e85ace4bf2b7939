"""The signed token of a table's QR code and the public URL that carries it.

The token is kept short so the printed code stays small (a version-5 QR for a
typical domain). It is the URL-safe base64 (no padding) of 47 bytes:

    format (1) | venue id (16) | table id (16) | token version (4) | MAC (10)

The MAC is an HMAC-SHA256, truncated to 80 bits (the codec: app/core/signed_code.py;
codes printed before a key rotation keep working as long as the old key is listed
in `PREVIOUS_SECRET_KEYS`). Bumping a table's `token_version`
revokes every code printed before.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from app.core import links
from app.core.security import TokenType
from app.core.signed_code import SignedCode

_CODES = SignedCode(purpose=TokenType.TABLE_QR, fields="16s16sI", mac_bytes=10, what="table")
TOKEN_LENGTH = _CODES.length


@dataclass(frozen=True)
class TableToken:
    venue_id: uuid.UUID
    table_id: uuid.UUID
    version: int


def encode_table_token(*, venue_id: uuid.UUID, table_id: uuid.UUID, version: int) -> str:
    return _CODES.encode(venue_id.bytes, table_id.bytes, version)


def decode_table_token(token: str) -> TableToken:
    """The venue, table and version a token names; `InvalidToken` if it is not ours."""
    venue, table, version = _CODES.decode(token)
    return TableToken(
        venue_id=uuid.UUID(bytes=venue), table_id=uuid.UUID(bytes=table), version=version
    )


def public_base_url() -> str:
    return links.public_url()


def table_url(*, venue_id: uuid.UUID, table_id: uuid.UUID, version: int) -> str:
    """The short public URL a table's QR code encodes."""
    token = encode_table_token(venue_id=venue_id, table_id=table_id, version=version)
    return f"{public_base_url()}/q/{token}"
