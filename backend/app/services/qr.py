"""Table QR codes: the images and the HTML pages (the signed token and its URL are
`app.core.table_token`).

Nothing here touches the database (deciding whether an open counts as a scan
uses the rate-limit store).
"""

from __future__ import annotations

import io
import re
import uuid
from collections.abc import Iterable
from typing import Any, Protocol

import segno
from fastapi import Request

from app.core import ratelimit, templates
from app.core.config import settings
from app.core.table_token import table_url

TEMPLATES = templates.TEMPLATES_DIR / "qr"


def deep_link(*, venue_id: uuid.UUID, table_id: uuid.UUID) -> str:
    return f"{settings.APP_DEEP_LINK_SCHEME}://venue/{venue_id}?table={table_id}"


def web_menu_url(*, venue_id: uuid.UUID, table_id: uuid.UUID) -> str:
    return f"{str(settings.WEB_MENU_BASE_URL).rstrip('/')}/{venue_id}?table={table_id}"


# Images


def _qr(url: str) -> Any:
    return segno.make_qr(url, error="m", boost_error=True)


def png(url: str, *, scale: int = 10, border: int = 4) -> bytes:
    out = io.BytesIO()
    _qr(url).save(out, kind="png", scale=scale, border=border)
    return out.getvalue()


def svg(url: str, *, scale: int = 10, border: int = 4, title: str | None = None) -> bytes:
    out = io.BytesIO()
    _qr(url).save(out, kind="svg", scale=scale, border=border, title=title, xmldecl=True)
    return out.getvalue()


def svg_inline(url: str, *, border: int = 2) -> str:
    """An `<svg>` element (no XML declaration) that scales with its container."""
    markup: str = _qr(url).svg_inline(scale=1, border=border, omitsize=True, svgclass="qr")
    return markup


# HTML pages


def render(template: str, **context: Any) -> str:
    """Render `app/templates/qr/{template}.html`."""
    ctx = {"project_name": settings.PROJECT_NAME, **context}
    return templates.environment("qr").get_template(f"{template}.html").render(ctx)


class _TableLike(Protocol):
    id: uuid.UUID
    venue_id: uuid.UUID
    label: str
    seats: int
    area: str | None
    token_version: int


def table_code_url(table: _TableLike) -> str:
    return table_url(venue_id=table.venue_id, table_id=table.id, version=table.token_version)


def sheet_html(*, venue_name: str, tables: Iterable[_TableLike]) -> str:
    """One printable page with every given table's code and label."""
    cards = [
        {
            "label": table.label,
            "seats": table.seats,
            "area": table.area,
            "svg": svg_inline(table_code_url(table)),
        }
        for table in tables
    ]
    return render("sheet", venue_name=venue_name, cards=cards)


def landing_html(*, venue_name: str, table: _TableLike) -> str:
    """The page a scanned code opens: a button into the app (never an automatic jump,
    which Chrome blocks and iOS answers with an error when the app is missing), and
    the web menu and the app stores."""
    return render(
        "landing",
        venue_name=venue_name,
        table_label=table.label,
        table_area=table.area,
        deep_link=deep_link(venue_id=table.venue_id, table_id=table.id),
        web_menu_url=web_menu_url(venue_id=table.venue_id, table_id=table.id),
        app_store_url=str(settings.APP_STORE_URL),
        play_store_url=str(settings.PLAY_STORE_URL),
    )


def not_found_html() -> str:
    return render(
        "not_found",
        app_store_url=str(settings.APP_STORE_URL),
        play_store_url=str(settings.PLAY_STORE_URL),
    )


def not_open_html(*, venue_name: str) -> str:
    """A real code of a venue that is not verified yet: it is not open on Socia yet."""
    return render(
        "not_open",
        venue_name=venue_name,
        app_store_url=str(settings.APP_STORE_URL),
        play_store_url=str(settings.PLAY_STORE_URL),
    )


# Messaging apps and search engines fetch a shared link to preview it; that is not
# someone at the table, so it opens the page without counting a scan.
_LINK_PREVIEW_AGENTS = re.compile(
    r"whatsapp|facebookexternalhit|facebot|telegrambot|slackbot|twitterbot|discordbot"
    r"|linkedinbot|skypeuripreview|googlebot|bingbot|applebot|embedly|pinterest|redditbot",
    re.IGNORECASE,
)


def is_link_preview(user_agent: str | None) -> bool:
    return bool(user_agent) and _LINK_PREVIEW_AGENTS.search(user_agent or "") is not None


def counts_as_scan(request: Request) -> bool:
    """Whether opening a code is a person at the table: a GET, not a link preview, from
    an address under `QR_SCAN_LIMIT_PER_IP`. Over the limit the code still opens (a
    full club on one Wi-Fi, or a carrier's shared address, must never be locked out
    of the menu); the opens just stop counting, so a script cannot inflate the counts.
    """
    if request.method != "GET" or is_link_preview(request.headers.get("user-agent")):
        return False
    client = ratelimit.client_ip(request)
    return ratelimit.allow("qr-scan-ip", client, settings.QR_SCAN_LIMIT_PER_IP)
