"""Every list answers in one page shape, named cleanly for generated clients."""

from __future__ import annotations

from typing import Any

from sqlmodel import Session, col, select

from app.crud.common import paginate
from app.main import app
from app.models import Venue
from app.schema.common import Page, PageParams
from tests.factories import make_venue


def test_page_schemas_are_named_after_their_items() -> None:
    schemas: dict[str, Any] = app.openapi()["components"]["schemas"]
    pages = sorted(name for name in schemas if "Page" in name and name != "PageParams")
    assert "VenueSummaryPage" in pages
    assert "PosterFeedItemPage" in pages
    assert all(name.endswith("Page") and "_" not in name for name in pages), pages
    assert set(schemas["VenueSummaryPage"]["required"]) == {"items", "total", "limit", "offset"}


def test_paginate_counts_a_page_past_the_end(session: Session) -> None:
    for n in range(3):
        make_venue(session, name=f"Paged {n}")
    statement = select(Venue).where(col(Venue.name).startswith("Paged ")).order_by(col(Venue.name))

    first: Page[Venue] = paginate(session, statement, page=PageParams(limit=2, offset=0))
    assert [v.name for v in first.items] == ["Paged 0", "Paged 1"]
    assert first.total == 3
    beyond: Page[Venue] = paginate(session, statement, page=PageParams(limit=2, offset=5))
    assert (list(beyond.items), beyond.total) == ([], 3)
    none: Page[Venue] = paginate(
        session, statement.where(col(Venue.name) == "nope"), page=PageParams()
    )
    assert (list(none.items), none.total) == ([], 0)
