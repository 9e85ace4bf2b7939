"""The ticket code: signed, unguessable, naming the ticket and its version."""

from __future__ import annotations

import base64
import re
import uuid

import pytest
from pydantic import SecretStr

from app.core import table_token, ticket_token
from app.core.config import settings
from app.core.security import InvalidToken


def test_round_trip_and_shape() -> None:
    ticket_id = uuid.uuid4()
    token = ticket_token.encode_ticket_token(ticket_id=ticket_id, version=3)
    assert re.fullmatch(r"[A-Za-z0-9_-]{50}", token)
    claims = ticket_token.decode_ticket_token(token)
    assert (claims.ticket_id, claims.version) == (ticket_id, 3)


def test_the_ticket_url_carries_the_token_and_decodes_as_a_whole() -> None:
    ticket_id = uuid.uuid4()
    url = ticket_token.ticket_url(ticket_id=ticket_id, version=1)
    assert url.startswith(str(settings.PUBLIC_BASE_URL).rstrip("/") + "/t/")
    assert ticket_token.decode_ticket_token(url).ticket_id == ticket_id


def _flip(token: str, index: int) -> str:
    raw = bytearray(base64.urlsafe_b64decode(token + "=="))
    raw[index] ^= 0x01
    return base64.urlsafe_b64encode(bytes(raw)).rstrip(b"=").decode()


@pytest.mark.parametrize("index", [0, 1, 17, 20, 36])  # format, id, version, MAC
def test_any_changed_byte_is_refused(index: int) -> None:
    token = ticket_token.encode_ticket_token(ticket_id=uuid.uuid4(), version=1)
    with pytest.raises(InvalidToken):
        ticket_token.decode_ticket_token(_flip(token, index))


@pytest.mark.parametrize(
    "bad",
    ["", "abc", "x" * 50, "!" * 50, "A" * 49 + "=", "é" * 50, "\x00" * 50, "A" * 5000, "/t/"],
)
def test_garbage_is_refused(bad: str) -> None:
    with pytest.raises(InvalidToken):
        ticket_token.decode_ticket_token(bad)


def test_a_table_code_is_not_a_ticket_code() -> None:
    table = table_token.encode_table_token(venue_id=uuid.uuid4(), table_id=uuid.uuid4(), version=1)
    with pytest.raises(InvalidToken):
        ticket_token.decode_ticket_token(table)


def test_a_code_signed_with_another_secret_is_forged(monkeypatch: pytest.MonkeyPatch) -> None:
    token = ticket_token.encode_ticket_token(ticket_id=uuid.uuid4(), version=1)
    old = settings.SECRET_KEY
    monkeypatch.setattr(settings, "SECRET_KEY", SecretStr("another-secret-0123456789-abcdefghijkl"))
    with pytest.raises(InvalidToken, match="forged"):
        ticket_token.decode_ticket_token(token)
    # Listed as a previous key, the old secret still verifies (a key rotation).
    monkeypatch.setattr(settings, "PREVIOUS_SECRET_KEYS", [old])
    assert ticket_token.decode_ticket_token(token).version == 1
