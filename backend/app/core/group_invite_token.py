"""The signed token of a group's invitation link, and the link that carries it.

It is the URL-safe base64 (no padding) of 33 bytes:

    format (1) | invite id (16) | MAC (16)

The invite id is random (UUID4) and the MAC is an HMAC-SHA256, truncated to 128 bits,
under a key derived from `SECRET_KEY` for group invitations only (a table's or a
ticket's code never verifies as one; the codec: app/core/signed_code.py). The token
says only which invitation it is: whether it still works (its expiry, its uses, a
revocation, the group being closed) is read from the database when it is used, so
revoking a link stops it at once. Links made before a key rotation keep working while
the old key is in `PREVIOUS_SECRET_KEYS`.
"""

from __future__ import annotations

import uuid

from app.core import links
from app.core.security import TokenType
from app.core.signed_code import SignedCode

_CODES = SignedCode(
    purpose=TokenType.GROUP_INVITE, fields="16s", mac_bytes=16, what="group invitation"
)
TOKEN_LENGTH = _CODES.length
LINK_PATH = "/g/"


def encode_invite_token(*, invite_id: uuid.UUID) -> str:
    return _CODES.encode(invite_id.bytes)


def decode_invite_token(token: str) -> uuid.UUID:
    """The invitation a token names; `InvalidToken` if it is not one of ours.

    Takes the bare token or the whole link (what a phone shares)."""
    if LINK_PATH in token:
        token = token.rsplit(LINK_PATH, 1)[1]
    (invite,) = _CODES.decode(token)
    return uuid.UUID(bytes=invite)


def invite_link(*, invite_id: uuid.UUID) -> str:
    """The public link to share: the app opens it and shows the invitation."""
    return links.public_url(LINK_PATH + encode_invite_token(invite_id=invite_id))
