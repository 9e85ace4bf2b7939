"""Demo data for local development: a small, realistic Bengaluru.

`seed_all` is idempotent: each part checks what is there before adding.
Parts run in order because later ones use earlier ones (venues need owners).
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime

from sqlmodel import Session

from app.seed import bookings, groups, orders, passes, people, places, posters, venues, visits

logger = logging.getLogger(__name__)


def seed_all(session: Session) -> None:
    people.seed(session)
    venues.seed(session)
    now = datetime.now(UTC)
    places.seed(session, now=now)
    passes.seed(session, now=now)
    bookings.seed(session, now=now)
    orders.seed(session)
    groups.seed(session)
    posters.seed(session)
    visits.seed(session, now=now)
    session.flush()
    logger.info("demo data in place")
