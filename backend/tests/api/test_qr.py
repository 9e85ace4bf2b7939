"""Table QR codes: images, the printable sheet, the landing page and resolving a code."""

from __future__ import annotations

import base64
import re
import uuid
from datetime import datetime, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from pydantic import SecretStr
from sqlmodel import Session, select

from app.core import table_token
from app.core.config import settings
from app.core.security import InvalidToken, TokenType, encode_token
from app.crud import table as table_crud
from app.models import User, Venue, VenueKind, VenueRole
from app.models.base import utcnow
from app.models.table import VenueTable, VenueTableScanDay
from app.services import qr
from tests.factories import add_member, auth_headers, make_user, make_venue
from tests.factories.places import make_table
from tests.utils import assert_error


def _setup(session: Session, **venue_fields: Any) -> tuple[User, Venue, VenueTable]:
    owner = make_user(session)
    venue = make_venue(session, owner=owner, **venue_fields)
    return owner, venue, make_table(session, venue=venue, label="T4", area="Terrace")


def _token(table: VenueTable) -> str:
    return table_token.encode_table_token(
        venue_id=table.venue_id, table_id=table.id, version=table.token_version
    )


def _scans(session: Session, table: VenueTable) -> int:
    rows = session.exec(
        select(VenueTableScanDay.count).where(VenueTableScanDay.table_id == table.id)
    ).all()
    return sum(rows)


# The token


def test_token_round_trip_and_size() -> None:
    venue_id, table_id = uuid.uuid4(), uuid.uuid4()
    token = table_token.encode_table_token(venue_id=venue_id, table_id=table_id, version=7)
    assert re.fullmatch(r"[A-Za-z0-9_-]{63}", token)
    claims = table_token.decode_table_token(token)
    assert (claims.venue_id, claims.table_id, claims.version) == (venue_id, table_id, 7)


@pytest.mark.parametrize(
    "bad",
    ["", "abc", "x" * 63, "!" * 63, "A" * 5000, "%00" * 21],
)
def test_malformed_tokens_are_rejected(bad: str) -> None:
    with pytest.raises(InvalidToken):
        table_token.decode_table_token(bad)


def test_every_altered_byte_is_rejected() -> None:
    token = table_token.encode_table_token(venue_id=uuid.uuid4(), table_id=uuid.uuid4(), version=1)
    raw = bytearray(base64.urlsafe_b64decode(token + "="))
    for i in range(len(raw)):
        forged = bytearray(raw)
        forged[i] ^= 0x01
        forged_token = base64.urlsafe_b64encode(bytes(forged)).rstrip(b"=").decode()
        with pytest.raises(InvalidToken):
            table_token.decode_table_token(forged_token)


def test_codes_survive_a_key_rotation(monkeypatch: pytest.MonkeyPatch) -> None:
    venue_id, table_id = uuid.uuid4(), uuid.uuid4()
    old = table_token.encode_table_token(venue_id=venue_id, table_id=table_id, version=1)
    old_key = settings.SECRET_KEY
    monkeypatch.setattr(settings, "SECRET_KEY", SecretStr("a-brand-new-secret-key-" + "x" * 20))
    monkeypatch.setattr(settings, "PREVIOUS_SECRET_KEYS", [old_key])
    assert table_token.decode_table_token(old).table_id == table_id
    monkeypatch.setattr(settings, "PREVIOUS_SECRET_KEYS", [])
    with pytest.raises(InvalidToken):
        table_token.decode_table_token(old)


# Images and the sheet


def test_png(session: Session, client: TestClient) -> None:
    owner, venue, table = _setup(session)
    path = f"/api/v1/venues/{venue.id}/tables/{table.id}/qr.png"
    resp = client.get(path, headers=auth_headers(owner))
    assert resp.status_code == 200, resp.text
    assert resp.headers["content-type"] == "image/png"
    assert resp.content.startswith(b"\x89PNG\r\n\x1a\n")
    assert 'filename="table-T4.png"' in resp.headers["content-disposition"]
    # Exactly the code of the table's public URL.
    assert resp.content == qr.png(qr.table_code_url(table))
    bigger = client.get(path, params={"scale": 20}, headers=auth_headers(owner))
    assert len(bigger.content) > len(resp.content)
    assert_error(client.get(path, params={"scale": 0}, headers=auth_headers(owner)), 422)
    assert_error(client.get(path, params={"scale": 41}, headers=auth_headers(owner)), 422)


def test_svg(session: Session, client: TestClient) -> None:
    owner, venue, table = _setup(session)
    resp = client.get(
        f"/api/v1/venues/{venue.id}/tables/{table.id}/qr.svg", headers=auth_headers(owner)
    )
    assert resp.status_code == 200, resp.text
    assert resp.headers["content-type"].startswith("image/svg+xml")
    assert resp.text.startswith("<?xml")
    assert "<svg" in resp.text
    assert "<title>Table T4</title>" in resp.text
    assert resp.content == qr.svg(qr.table_code_url(table), title="Table T4")


def test_qr_sheet(session: Session, client: TestClient) -> None:
    owner, venue, _ = _setup(session, name="Toit & Co")
    make_table(session, venue=venue, label="T10", seats=1)
    make_table(session, venue=venue, label="<b>Bar</b>")
    make_table(session, venue=venue, label="Hidden", is_active=False)
    resp = client.get(f"/api/v1/venues/{venue.id}/tables/qr-sheet", headers=auth_headers(owner))
    assert resp.status_code == 200, resp.text
    assert resp.headers["content-type"].startswith("text/html")
    html = resp.text
    assert html.count("<svg") == 3
    assert "Toit &amp; Co" in html
    assert "&lt;b&gt;Bar&lt;/b&gt;" in html
    assert "<b>Bar</b>" not in html
    assert "T4" in html
    assert "T10" in html
    assert "1 seat<" in html
    assert "Hidden" not in html
    assert not re.search(r"""(src|href)=["']?https?:""", html)


def test_every_card_of_the_sheet_names_the_venue(session: Session, client: TestClient) -> None:
    owner, venue, _ = _setup(session, name="Toit & Co")
    make_table(session, venue=venue, label="T5")
    html = client.get(
        f"/api/v1/venues/{venue.id}/tables/qr-sheet", headers=auth_headers(owner)
    ).text
    cards = re.findall(r'<figure class="card">.*?</figure>', html, flags=re.S)
    assert len(cards) == 2
    for card in cards:
        assert '<div class="venue">Toit &amp; Co</div>' in card


def _sheet_link(client: TestClient, venue: Venue, user: User) -> Any:
    return client.post(f"/api/v1/venues/{venue.id}/tables/sheet-link", headers=auth_headers(user))


def test_a_manager_opens_the_sheet_in_a_browser_with_a_signed_link(
    session: Session, client: TestClient
) -> None:
    _, venue, _ = _setup(session, name="Toit & Co")
    manager = make_user(session)
    add_member(session, venue=venue, user=manager, role=VenueRole.MANAGER)
    before = utcnow()
    response = _sheet_link(client, venue, manager)
    assert response.status_code == 200, response.text
    link = response.json()
    base = str(settings.PUBLIC_BASE_URL).rstrip("/")
    assert link["url"].startswith(f"{base}/api/v1/venues/{venue.id}/tables/qr-sheet/open?token=")
    expires_at = datetime.fromisoformat(link["expires_at"])
    assert before + timedelta(minutes=2) < expires_at <= utcnow() + timedelta(minutes=10)
    # A browser: no Authorization header, just the URL.
    page = client.get(link["url"].removeprefix(base))
    assert page.status_code == 200, page.text
    assert page.headers["content-type"].startswith("text/html")
    assert page.headers["cache-control"] == "private, no-store"
    assert page.headers["referrer-policy"] == "no-referrer"
    assert "Toit &amp; Co" in page.text
    assert page.text.count("<svg") == 1
    # The bearer route still works and shows the same sheet.
    bearer = client.get(f"/api/v1/venues/{venue.id}/tables/qr-sheet", headers=auth_headers(manager))
    assert bearer.status_code == 200
    assert bearer.text.count("<svg") == 1


def test_sheet_links_are_scoped_to_the_venue_and_the_member(
    session: Session, client: TestClient
) -> None:
    owner, venue, _ = _setup(session)
    other_venue = make_venue(session, owner=owner)
    outsider = make_user(session)
    # Only members get a link (404 for others, as for the sheet itself); 401 anonymous.
    assert_error(_sheet_link(client, venue, outsider), 404)
    assert_error(client.post(f"/api/v1/venues/{venue.id}/tables/sheet-link"), 401)
    url = _sheet_link(client, venue, owner).json()["url"]
    path = url.removeprefix(str(settings.PUBLIC_BASE_URL).rstrip("/"))
    token = path.split("token=", 1)[1]
    # Another venue's sheet with this venue's link.
    assert_error(
        client.get(f"/api/v1/venues/{other_venue.id}/tables/qr-sheet/open?token={token}"),
        400,
        "invalid_link",
    )
    # A tampered, foreign or missing token.
    for bad in (
        token[:-2] + "xx",
        table_token.encode_table_token(venue_id=venue.id, table_id=uuid.uuid4(), version=1),
    ):
        opened = client.get(f"/api/v1/venues/{venue.id}/tables/qr-sheet/open?token={bad}")
        assert_error(opened, 400, "invalid_link")
    assert_error(client.get(f"/api/v1/venues/{venue.id}/tables/qr-sheet/open"), 422)
    # An access token is not a sheet link.
    access = auth_headers(owner)["Authorization"].removeprefix("Bearer ")
    assert_error(
        client.get(f"/api/v1/venues/{venue.id}/tables/qr-sheet/open?token={access}"),
        400,
        "invalid_link",
    )
    assert client.get(path).status_code == 200


def test_a_sheet_link_stops_working_when_it_expires_or_the_member_leaves(
    session: Session, client: TestClient
) -> None:
    _, venue, _ = _setup(session)
    staff = make_user(session)
    membership = add_member(session, venue=venue, user=staff, role=VenueRole.STAFF)
    expired = encode_token(
        staff.id, TokenType.TABLE_SHEET, timedelta(seconds=-5), venue=str(venue.id)
    ).token
    open_path = f"/api/v1/venues/{venue.id}/tables/qr-sheet/open"
    assert_error(client.get(open_path, params={"token": expired}), 400, "invalid_link")
    url = _sheet_link(client, venue, staff).json()["url"]
    path = url.removeprefix(str(settings.PUBLIC_BASE_URL).rstrip("/"))
    assert client.get(path).status_code == 200
    session.delete(membership)
    session.flush()
    assert_error(client.get(path), 400, "invalid_link")


def test_qr_sheet_without_tables(session: Session, client: TestClient) -> None:
    owner = make_user(session)
    venue = make_venue(session, owner=owner)
    resp = client.get(f"/api/v1/venues/{venue.id}/tables/qr-sheet", headers=auth_headers(owner))
    assert resp.status_code == 200
    assert "no active tables" in resp.text


# The landing page


def test_landing_page(session: Session, client: TestClient) -> None:
    _, venue, table = _setup(session, name="Skyye <Lounge>", kind=VenueKind.NIGHTCLUB)
    resp = client.get(f"/q/{_token(table)}")
    assert resp.status_code == 200, resp.text
    assert resp.headers["content-type"].startswith("text/html")
    assert resp.headers["cache-control"] == "no-store"
    assert "default-src 'none'" in resp.headers["content-security-policy"]
    html = resp.text
    assert "Skyye &lt;Lounge&gt;" in html
    assert "Table T4" in html
    assert "Terrace" in html
    deep_link = f"{settings.APP_DEEP_LINK_SCHEME}://venue/{venue.id}?table={table.id}"
    assert f'href="{deep_link}"' in html
    # The app opens only when the person taps: no script jumps to the deep link.
    assert "<script" not in html
    assert html.count(deep_link) == 1
    assert "script-src 'none'" in resp.headers["content-security-policy"]
    assert str(settings.APP_STORE_URL) in html
    assert str(settings.PLAY_STORE_URL) in html
    web_menu = str(settings.WEB_MENU_BASE_URL).rstrip("/")
    assert f"{web_menu}/{venue.id}?table={table.id}" in html
    # No external assets: nothing loaded from elsewhere, links only.
    assert not re.search(r"""src=["']?https?:""", html)
    assert "<link" not in html
    assert len(html) < 8_000


def test_landing_page_counts_scans(session: Session, client: TestClient) -> None:
    _, venue, table = _setup(session)
    token = _token(table)
    for _ in range(3):
        assert client.get(f"/q/{token}").status_code == 200
    assert client.get(f"/api/v1/tables/resolve/{token}").status_code == 200
    row = session.exec(
        select(VenueTableScanDay).where(VenueTableScanDay.table_id == table.id)
    ).one()
    assert row.count == 4
    assert row.day == table_crud.venue_today(venue)


def test_head_and_link_previews_open_the_page_without_counting(
    session: Session, client: TestClient
) -> None:
    _, _, table = _setup(session)
    token = _token(table)
    head = client.head(f"/q/{token}")
    assert head.status_code == 200
    assert head.headers["content-type"].startswith("text/html")
    assert head.headers["cache-control"] == "no-store"
    assert head.content == b""
    assert client.head("/q/nope").status_code == 404
    for agent in (
        "WhatsApp/2.23.20.0",
        "facebookexternalhit/1.1 (+http://www.facebook.com/externalhit_uatext.php)",
        "TelegramBot (like TwitterBot)",
        "Slackbot-LinkExpanding 1.0 (+https://api.slack.com/robots)",
    ):
        preview = client.get(f"/q/{token}", headers={"User-Agent": agent})
        assert preview.status_code == 200
        assert "Table T4" in preview.text
    assert _scans(session, table) == 0
    phone = "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 Chrome/126 Mobile"
    assert client.get(f"/q/{token}", headers={"User-Agent": phone}).status_code == 200
    assert _scans(session, table) == 1


def test_opens_beyond_the_per_address_limit_show_the_page_but_do_not_count(
    session: Session, client: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(settings, "QR_SCAN_LIMIT_PER_IP", "3/minute")
    monkeypatch.setattr(settings, "TRUSTED_PROXY_HOPS", 1)  # behind Traefik
    _, venue, table = _setup(session)
    token = _token(table)
    crowd = {"X-Forwarded-For": "198.51.100.7"}
    for _ in range(2):
        assert client.get(f"/q/{token}", headers=crowd).status_code == 200
    resolved = client.get(f"/api/v1/tables/resolve/{token}", headers=crowd)
    assert resolved.status_code == 200  # the app's own scans share the limit
    assert _scans(session, table) == 3
    # A full club on one Wi-Fi still gets the menu; a script no longer moves the count.
    for _ in range(5):
        page = client.get(f"/q/{token}", headers=crowd)
        assert page.status_code == 200
        assert "Table T4" in page.text
        again = client.get(f"/api/v1/tables/resolve/{token}", headers=crowd)
        assert again.json()["venue_id"] == str(venue.id)
    assert _scans(session, table) == 3
    # Another address counts as usual.
    assert client.get(f"/q/{token}", headers={"X-Forwarded-For": "203.0.113.9"}).status_code == 200
    assert _scans(session, table) == 4


@pytest.mark.parametrize(
    "token",
    [
        "nope",
        "A" * 63,
        "A" * 500,
        "..%2F..%2Fetc",
        "%F0%9F%8D%BA" * 10,
        "",
        "a/b/c",
    ],
)
def test_bad_codes_get_a_friendly_404(client: TestClient, token: str) -> None:
    resp = client.get(f"/q/{token}")
    assert resp.status_code == 404
    assert resp.headers["content-type"].startswith("text/html")
    assert "doesn't work" in resp.text
    assert str(settings.APP_STORE_URL) in resp.text


def test_forged_revoked_and_unknown_codes(session: Session, client: TestClient) -> None:
    _, venue, table = _setup(session)
    good = _token(table)
    forged = good[:-2] + ("AA" if not good.endswith("AA") else "BB")
    wrong_version = table_token.encode_table_token(venue_id=venue.id, table_id=table.id, version=2)
    unknown_table = table_token.encode_table_token(
        venue_id=venue.id, table_id=uuid.uuid4(), version=1
    )
    other_venue = make_venue(session)
    wrong_venue = table_token.encode_table_token(
        venue_id=other_venue.id, table_id=table.id, version=1
    )
    for token in (forged, wrong_version, unknown_table, wrong_venue):
        assert client.get(f"/q/{token}").status_code == 404
        assert_error(client.get(f"/api/v1/tables/resolve/{token}"), 404, "not_found")
    assert _scans(session, table) == 0


def test_codes_of_venues_that_are_not_public_do_not_open(
    session: Session, client: TestClient
) -> None:
    _, _, draft_table = _setup(session, verified=False)
    _, _, closed_table = _setup(session, is_active=False)
    for table in (draft_table, closed_table):
        assert client.get(f"/q/{_token(table)}").status_code == 404
        assert_error(client.get(f"/api/v1/tables/resolve/{_token(table)}"), 404)


def test_a_venue_that_is_not_verified_yet_is_not_open_yet(
    session: Session, client: TestClient
) -> None:
    _, venue, table = _setup(session, verified=False, name="Soon <Bar>")
    page = client.get(f"/q/{_token(table)}")
    assert page.status_code == 404
    assert "Soon &lt;Bar&gt;" in page.text
    assert "not open on Socia yet" in page.text
    assert "replaced" not in page.text
    assert "<script" not in page.text
    assert _scans(session, table) == 0
    # The API answers as for any code that does not open.
    assert_error(client.get(f"/api/v1/tables/resolve/{_token(table)}"), 404, "not_found")
    # Revoked codes of that venue, and codes of a deactivated venue, are just invalid.
    revoked = table_token.encode_table_token(venue_id=venue.id, table_id=table.id, version=9)
    _, _, closed_table = _setup(session, is_active=False)
    for token in (revoked, _token(closed_table)):
        other = client.get(f"/q/{token}")
        assert other.status_code == 404
        assert "doesn't work" in other.text
        assert "not open" not in other.text


# Resolving through the API


def test_resolve(session: Session, client: TestClient) -> None:
    _, venue, table = _setup(session, name="Byg Brewski")
    resp = client.get(f"/api/v1/tables/resolve/{_token(table)}")
    assert resp.status_code == 200, resp.text
    assert resp.json() == {
        "venue_id": str(venue.id),
        "venue_name": "Byg Brewski",
        "table_id": str(table.id),
        "table_label": "T4",
        "deep_link": f"{settings.APP_DEEP_LINK_SCHEME}://venue/{venue.id}?table={table.id}",
    }


def test_resolve_bad_token(client: TestClient) -> None:
    assert_error(client.get("/api/v1/tables/resolve/garbage"), 404, "not_found")
