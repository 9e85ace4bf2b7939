"""The demo data's images come from the app itself, at PUBLIC_BASE_URL."""

from __future__ import annotations

from urllib.parse import urlsplit
from xml.etree import ElementTree

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session, col, select

from app.core.config import settings
from app.models import Event, Venue
from app.models.poster import Poster
from app.seed import images, places, seed_all
from app.seed.venues import VENUES

SVG = "{http://www.w3.org/2000/svg}"


def _served(client: TestClient, url: str) -> ElementTree.Element:
    base = str(settings.PUBLIC_BASE_URL).rstrip("/")
    assert url.startswith(f"{base}/demo/images/"), url
    response = client.get(urlsplit(url).path)
    assert response.status_code == 200, url
    assert response.headers["content-type"].startswith("image/svg+xml")
    assert "max-age" in response.headers["cache-control"]
    root = ElementTree.fromstring(response.text)
    assert root.tag == f"{SVG}svg"
    assert "<script" not in response.text
    return root


def _title(root: ElementTree.Element) -> str:
    title = root.find(f"{SVG}title")
    assert title is not None
    return title.text or ""


def test_every_demo_image_is_a_poster_with_its_name(client: TestClient) -> None:
    names = images.names()
    plans = {plan.image for plan in places.EVENT_PLANS}
    assert len(names) == len(VENUES) + len(images.GENERIC) + len(plans)
    for name in names:
        _served(client, images.image_url(name))
    assert images.venue_image("Not a demo venue") == "venue"
    assert images.event_image_for("Not a demo night") == "event"
    first = VENUES[0]
    assert _title(_served(client, images.image_url(images.venue_image(first.name)))) == first.name


@pytest.mark.parametrize("name", ["nope", "venue-not-a-demo-venue", "..%2Fsecret", "<b>"])
def test_unknown_images_are_not_drawn(client: TestClient, name: str) -> None:
    assert client.get(f"/demo/images/{name}.svg").status_code == 404


def test_names_are_escaped() -> None:
    svg = images.poster_svg("Rock & <Roll>", 'Fri "late"')
    root = ElementTree.fromstring(svg)
    assert _title(root) == "Rock & <Roll>"
    assert "<Roll>" not in svg


def test_the_seed_points_every_image_at_the_app(client: TestClient, session: Session) -> None:
    seed_all(session)
    demo_names = [spec.name for spec in VENUES]
    venues = session.exec(select(Venue).where(col(Venue.name).in_(demo_names))).all()
    assert len(venues) == len(VENUES)
    for venue in venues:
        [photo] = venue.photos
        assert _title(_served(client, photo)) == venue.name
    venue_ids = [venue.id for venue in venues]
    events = session.exec(select(Event).where(col(Event.venue_id).in_(venue_ids))).all()
    assert events
    for event in events:
        assert event.image_url is not None
        assert _title(_served(client, event.image_url)) == event.title
    posters = session.exec(select(Poster).where(col(Poster.venue_id).in_(venue_ids))).all()
    assert posters
    for poster in posters:
        _served(client, poster.image_url)
