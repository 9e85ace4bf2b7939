"""Demo data for local development: a small, realistic Bengaluru.

`seed_all` is idempotent: each part checks what is there before adding.
Parts run in order because later ones use earlier ones (venues need owners).
"""

from __future__ import annotations

import logging

from sqlmodel import Session

from app.seed import people, places, posters, venues

logger = logging.getLogger(__name__)


def seed_all(session: Session) -> None:
    people.seed(session)
    venues.seed(session)
    places.seed(session)
    posters.seed(session)
    session.flush()
    logger.info("demo data in place")
