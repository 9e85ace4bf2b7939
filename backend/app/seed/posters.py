"""Demo data: carousel posters for the demo venues and their upcoming events.

Idempotent: a venue gets one venue poster, and an upcoming event one event
poster, unless it already has one. Posters go through crud, so their geo
cells are written exactly as in production.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlmodel import Session, col, select

from app.crud import poster as poster_crud
from app.models import Event, EventStatus, Venue, VenueKind
from app.models.base import utcnow
from app.models.poster import Poster
from app.schema.poster import PosterCreate
from app.seed import images

# A club night is advertised further away than a café.
RADIUS_BY_KIND = {
    VenueKind.NIGHTCLUB: 8_000,
    VenueKind.RESTAURANT: 3_000,
    VenueKind.QSR: 1_500,
    VenueKind.FOOD_COURT: 2_500,
}


# Posters that managers create need https:// images (the app loads them over TLS).
# The demo images are served by this backend at PUBLIC_BASE_URL, plain http locally,
# so a poster is checked with a stand-in and then given its demo image.
_HTTPS_STAND_IN = "https://demo.socia.app/poster.svg"


def _with_demo_image(data: PosterCreate, image: str) -> PosterCreate:
    return data.model_copy(update={"image_url": images.image_url(image)})


def seed(session: Session, *, now: datetime | None = None) -> None:
    """Idempotent: adds what is missing."""
    now = now or utcnow()
    venues = session.exec(select(Venue).order_by(col(Venue.name))).all()
    if not venues:
        return
    with_venue_poster = set(
        session.exec(select(Poster.venue_id).where(col(Poster.event_id).is_(None))).all()
    )
    with_event_poster = set(
        session.exec(select(Poster.event_id).where(col(Poster.event_id).is_not(None))).all()
    )
    events_by_venue: dict[object, list[Event]] = {}
    for event in session.exec(
        select(Event)
        .where(Event.status == EventStatus.SCHEDULED, col(Event.ends_at) > now)
        .order_by(col(Event.starts_at))
    ).all():
        events_by_venue.setdefault(event.venue_id, []).append(event)

    for n, venue in enumerate(venues):
        if venue.id not in with_venue_poster:
            poster_crud.create(
                session,
                venue=venue,
                data=_with_demo_image(
                    PosterCreate(
                        venue_id=venue.id,
                        title=venue.name,
                        image_url=_HTTPS_STAND_IN,
                        deep_link=f"socia://venue/{venue.id}",
                        starts_at=now - timedelta(hours=1),
                        expires_at=now + timedelta(days=60),
                        radius_m=RADIUS_BY_KIND.get(venue.kind, 3_000),
                        priority=n % 4,
                    ),
                    images.venue_image(venue.name),
                ),
            )
        for event in events_by_venue.get(venue.id, []):
            if event.id in with_event_poster:
                continue
            poster_crud.create(
                session,
                venue=venue,
                data=_with_demo_image(
                    PosterCreate(
                        event_id=event.id,
                        title=event.title,
                        image_url=_HTTPS_STAND_IN,
                        deep_link=f"socia://event/{event.id}",
                        starts_at=now - timedelta(hours=1),
                        expires_at=max(event.ends_at, now + timedelta(hours=1)),
                        radius_m=12_000,
                        priority=10,
                    ),
                    images.event_image_for(event.title),
                ),
            )
    session.flush()
