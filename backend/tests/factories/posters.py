"""Factories for carousel posters (and the events they promote)."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlmodel import Session

from app.crud import poster as poster_crud
from app.models import Event, Venue
from app.models.base import utcnow
from app.models.poster import Poster
from app.schema.poster import PosterCreate


def make_event(
    session: Session,
    *,
    venue: Venue,
    starts_at: datetime | None = None,
    ends_at: datetime | None = None,
    **fields: Any,
) -> Event:
    starts_at = starts_at or utcnow() + timedelta(hours=2)
    event = Event(
        venue_id=venue.id,
        title=fields.pop("title", "Friday night"),
        starts_at=starts_at,
        ends_at=ends_at or starts_at + timedelta(hours=5),
        **fields,
    )
    session.add(event)
    session.flush()
    return event


def poster_payload(**fields: Any) -> dict[str, Any]:
    """A valid JSON body for creating a poster (promoting nothing yet: add venue_id or event_id)."""
    return {
        "title": "Ladies night",
        "image_url": "https://cdn.example.com/posters/1.jpg",
        "deep_link": "socia://venue/1",
        "expires_at": (utcnow() + timedelta(days=7)).isoformat(),
        "radius_m": 3000,
        "priority": 10,
        **fields,
    }


def make_poster(
    session: Session,
    *,
    venue: Venue,
    event: Event | None = None,
    radius_m: int = 3000,
    priority: int = 0,
    starts_at: datetime | None = None,
    expires_at: datetime | None = None,
    is_paused: bool = False,
    **fields: Any,
) -> Poster:
    """A poster written through crud (so its geo cells exist). `starts_at` and
    `expires_at` may be in the past: they are set after the validated create."""
    now = utcnow()
    data = PosterCreate(
        venue_id=None if event is not None else venue.id,
        event_id=event.id if event is not None else None,
        title=fields.pop("title", "A poster"),
        image_url=fields.pop("image_url", "https://cdn.example.com/p.jpg"),
        deep_link=fields.pop("deep_link", "socia://venue/x"),
        expires_at=now + timedelta(days=30),
        radius_m=radius_m,
        priority=priority,
        is_paused=is_paused,
    )
    poster = poster_crud.create(session, venue=venue, data=data)
    poster.starts_at = starts_at or now - timedelta(hours=1)
    poster.expires_at = expires_at or now + timedelta(days=30)
    for name, value in fields.items():
        setattr(poster, name, value)
    session.add(poster)
    session.flush()
    return poster
