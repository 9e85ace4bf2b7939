"""Demo data: people. A platform admin and a few consumers.

Sign in locally as the admin with `admin@socia.app` and `DEMO_PASSWORD` (Swagger
UI's Authorize button), or as a consumer by asking a code for one of the
`CONSUMERS` phones (the console SMS provider writes the code to the log).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import date

from sqlmodel import Session

from app.crud import user as user_crud
from app.models import Gender, User
from app.models.base import utcnow
from app.services import accounts

logger = logging.getLogger(__name__)

ADMIN_EMAIL = "admin@socia.app"
DEMO_PASSWORD = "socia-demo-2026"  # noqa: S105 (demo data, local only)


@dataclass(frozen=True)
class DemoConsumer:
    phone: str
    full_name: str
    gender: Gender
    date_of_birth: date


CONSUMERS = [
    DemoConsumer("+919810000001", "Aarav Sharma", Gender.MALE, date(1997, 4, 12)),
    DemoConsumer("+919810000002", "Diya Iyer", Gender.FEMALE, date(1999, 9, 3)),
    DemoConsumer("+919810000003", "Kabir Nair", Gender.NON_BINARY, date(2000, 1, 27)),
    DemoConsumer("+919810000004", "Meera Reddy", Gender.PREFER_NOT_TO_SAY, date(1995, 11, 19)),
]


def seed(session: Session) -> None:
    """Idempotent: adds what is missing."""
    admin = user_crud.get_by_email(session, email=ADMIN_EMAIL)
    if admin is None:
        admin = accounts.ensure_superuser(
            session, email=ADMIN_EMAIL, password=DEMO_PASSWORD, full_name="Socia Admin"
        )
        admin.email_verified_at = utcnow()
        logger.info("demo admin %s (password %s)", ADMIN_EMAIL, DEMO_PASSWORD)
    for person in CONSUMERS:
        if user_crud.get_by_phone(session, phone=person.phone) is not None:
            continue
        session.add(
            User(
                phone=person.phone,
                phone_verified_at=utcnow(),
                full_name=person.full_name,
                gender=person.gender,
                date_of_birth=person.date_of_birth,
            )
        )
        logger.info("demo consumer %s (%s)", person.full_name, person.phone)
    session.flush()
