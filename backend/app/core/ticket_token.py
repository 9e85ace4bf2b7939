"""The signed token of a ticket's QR code and the public URL of its ticket page.

It is the URL-safe base64 (no padding) of 37 bytes:

    format (1) | ticket id (16) | token version (4) | MAC (16)

The ticket id is random (UUID4) and the MAC is an HMAC-SHA256, truncated to 128
bits, under a key derived from `SECRET_KEY` for ticket codes only (a table code's
MAC never verifies as a ticket's). A pass is worth money, so the MAC is longer
than a table code's. Codes issued before a key rotation keep working as long as
the old key is listed in `PREVIOUS_SECRET_KEYS`. Voiding a ticket bumps its
`token_version`, so a screenshot of the old code stops working.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from app.core import links
from app.core.security import TokenType
from app.core.signed_code import SignedCode

_CODES = SignedCode(purpose=TokenType.TICKET_QR, fields="16sI", mac_bytes=16, what="ticket")
TOKEN_LENGTH = _CODES.length
PAGE_PATH = "/t/"


@dataclass(frozen=True)
class TicketToken:
    ticket_id: uuid.UUID
    version: int


def encode_ticket_token(*, ticket_id: uuid.UUID, version: int) -> str:
    return _CODES.encode(ticket_id.bytes, version)


def decode_ticket_token(token: str) -> TicketToken:
    """The ticket and version a token names; `InvalidToken` if it is not ours.

    Takes the bare token or the whole ticket URL (what a scanner reads off the code).
    """
    if PAGE_PATH in token:
        token = token.rsplit(PAGE_PATH, 1)[1]
    ticket, version = _CODES.decode(token)
    return TicketToken(ticket_id=uuid.UUID(bytes=ticket), version=version)


def ticket_url(*, ticket_id: uuid.UUID, version: int) -> str:
    """The public URL of the ticket's page, which its QR code encodes."""
    token = encode_ticket_token(ticket_id=ticket_id, version=version)
    return links.public_url(PAGE_PATH + token)
