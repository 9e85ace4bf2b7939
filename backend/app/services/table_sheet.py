"""The printable sheet of a venue's table codes, opened from a short-lived signed link.

A browser cannot send a bearer header when someone opens a page to print it, so a
member asks the API for a link (`POST .../tables/sheet-link`): a token signed for
that venue and that member, valid `SHEET_LINK_TTL`. Opening it checks again that the
member is still active and still has the staff role (or above) at the venue.
"""

from __future__ import annotations

import uuid
from datetime import timedelta
from urllib.parse import urlencode

from sqlmodel import Session

from app.core.config import settings
from app.core.errors import AppError, InvalidLink
from app.core.links import public_url
from app.core.security import InvalidToken, TokenType, decode_token, encode_token
from app.crud import table as table_crud
from app.crud import user as user_crud
from app.crud import venue as venue_crud
from app.models import User, Venue, VenueRole
from app.schema.table import TableSheetLink
from app.services import qr

SHEET_LINK_TTL = timedelta(minutes=5)
SHEET_ROLE = VenueRole.STAFF  # who may read the tables' codes (see api/routes/tables.py)


def sheet_path(venue_id: uuid.UUID) -> str:
    return f"{settings.API_V1_STR}/venues/{venue_id}/tables/qr-sheet/open"


def issue_link(*, venue: Venue, user: User) -> TableSheetLink:
    token = encode_token(user.id, TokenType.TABLE_SHEET, SHEET_LINK_TTL, venue=str(venue.id))
    url = f"{public_url(sheet_path(venue.id))}?{urlencode({'token': token.token})}"
    return TableSheetLink(url=url, expires_at=token.expires_at)


def _holder(session: Session, *, venue_id: uuid.UUID, token: str) -> tuple[Venue, User]:
    try:
        claims = decode_token(token, TokenType.TABLE_SHEET)
        user_id = uuid.UUID(str(claims["sub"]))
    except (InvalidToken, ValueError) as exc:
        raise InvalidLink("This sheet link is invalid or has expired; ask for a new one") from exc
    if claims.get("venue") != str(venue_id):
        raise InvalidLink("This sheet link is invalid or has expired; ask for a new one")
    user = user_crud.get(session, user_id)
    if user is None or not user.is_active or user.deleted_at is not None:
        raise InvalidLink("This sheet link is invalid or has expired; ask for a new one")
    try:
        venue = venue_crud.get(session, venue_id=venue_id)
        venue_crud.require_role(session, venue=venue, user=user, minimum=SHEET_ROLE)
    except AppError as exc:  # gone, or the holder left or lost the role since
        raise InvalidLink("This sheet link is invalid or has expired; ask for a new one") from exc
    return venue, user


def open_sheet(session: Session, *, venue_id: uuid.UUID, token: str) -> str:
    """The sheet's HTML for the holder of a valid link (`InvalidLink` otherwise)."""
    venue, _ = _holder(session, venue_id=venue_id, token=token)
    return sheet_html(session, venue=venue)


def sheet_html(session: Session, *, venue: Venue) -> str:
    tables = table_crud.list_all_for_venue(session, venue_id=venue.id, is_active=True)
    return qr.sheet_html(venue_name=venue.name, tables=tables)
