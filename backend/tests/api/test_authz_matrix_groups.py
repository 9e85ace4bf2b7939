"""The authorization matrix for groups.

A group is private to its current members: former members, other consumers, venue
staff and platform admins get 404 on every route under `/groups/{group_id}`, anonymous
callers 401. The admin-only routes answer a plain member 403 (`not_group_admin`).
Making a group and using an invitation link are for consumer accounts (a phone
number): business accounts and platform admins without one get 403
(`consumer_account_required`); anyone holding a link may preview it and join.

Each case runs in a fresh world: a group (made for a confirmed group-pass booking of
four) with its admin, a member and a former member, and an open invitation link.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session, select

from app.models import User, VenueKind, VenueRole
from app.models.booking import BookingStatus, OfferingKind
from app.models.group import Group, WalletSpend
from app.schema.booking import BookingItemCreate
from app.services import bookings as bookings_service
from tests.factories import add_member, auth_headers, make_consumer, make_user, make_venue
from tests.factories.bookings import make_booking, make_offering, make_pool
from tests.factories.groups import leave_group, make_group, make_invite
from tests.factories.places import make_event
from tests.factories.wallets import top_up

API = "/api/v1"
ONE = API + "/groups/{group_id}"


class Actor(StrEnum):
    GROUP_ADMIN = "group_admin"
    MEMBER = "member"
    FORMER_MEMBER = "former_member"
    OTHER_CONSUMER = "other_consumer"
    VENUE_STAFF = "venue_staff"
    PLATFORM_ADMIN = "platform_admin"
    ANONYMOUS = "anonymous"


@dataclass
class GroupWorld:
    session: Session
    group: Group
    users: dict[Actor, User | None]
    ids: dict[str, Any] = field(default_factory=dict)

    def user(self, actor: Actor) -> User:
        user = self.users[actor]
        assert user is not None
        return user

    def headers(self, actor: Actor) -> dict[str, str]:
        user = self.users[actor]
        return auth_headers(user) if user is not None else {}


@pytest.fixture
def world(session: Session) -> GroupWorld:
    admin = make_consumer(session, full_name="Group admin")
    member = make_consumer(session, full_name="Member")
    former = make_consumer(session, full_name="Former member")
    staff = make_user(session, full_name="Venue staff")
    venue = make_venue(session, owner=make_user(session), kind=VenueKind.NIGHTCLUB)
    add_member(session, venue=venue, user=staff, role=VenueRole.STAFF)
    event = make_event(session, venue=venue)
    pass_of_four = make_offering(
        session,
        event=event,
        pools=[make_pool(session, event=event)],
        kind=OfferingKind.GROUP,
        guests_per_pass=4,
    )
    booking = make_booking(
        session, consumer=admin, items=[(pass_of_four, 1)], status=BookingStatus.CONFIRMED
    )
    group = make_group(session, admin=admin, members=[member, former], booking_id=booking.id)
    leave_group(session, group=group, user=former)
    invite, token = make_invite(session, group=group, max_uses=10)
    # A wallet with money in it and a member's spend waiting for the admin.
    top_up(session, group=group, member=admin, amount=500_000)
    group.approval_above_minor = 0
    session.add(group)
    session.flush()
    waiting = bookings_service.create_booking(
        session,
        event_id=event.id,
        consumer=member,
        items=[BookingItemCreate(offering_id=pass_of_four.id, quantity=1)],
        wallet_group_id=group.id,
    )
    spend = session.exec(
        select(WalletSpend).where(WalletSpend.payment_id == waiting.payment.id)  # type: ignore[union-attr]
    ).one()
    return GroupWorld(
        session=session,
        group=group,
        users={
            Actor.GROUP_ADMIN: admin,
            Actor.MEMBER: member,
            Actor.FORMER_MEMBER: former,
            Actor.OTHER_CONSUMER: make_consumer(session),
            Actor.VENUE_STAFF: staff,
            Actor.PLATFORM_ADMIN: make_user(session, full_name="Platform admin", is_superuser=True),
            Actor.ANONYMOUS: None,
        },
        ids={
            "group_id": group.id,
            "admin_id": admin.id,
            "member_id": member.id,
            "invite_id": invite.id,
            "spend_id": spend.id,
            "token": token,
            "unknown_id": uuid.uuid4(),
        },
    )


def expect(
    *,
    group_admin: int,
    member: int,
    former_member: int = 404,
    other_consumer: int = 404,
    venue_staff: int = 404,
    platform_admin: int = 404,
) -> dict[Actor, int]:
    return {
        Actor.GROUP_ADMIN: group_admin,
        Actor.MEMBER: member,
        Actor.FORMER_MEMBER: former_member,
        Actor.OTHER_CONSUMER: other_consumer,
        Actor.VENUE_STAFF: venue_staff,
        Actor.PLATFORM_ADMIN: platform_admin,
        Actor.ANONYMOUS: 401,
    }


MEMBERS = expect(group_admin=200, member=200)
ADMIN_ONLY = expect(group_admin=200, member=403)
ADMIN_CREATES = expect(group_admin=201, member=403)
ANY_CONSUMER = expect(
    group_admin=200,
    member=200,
    former_member=200,
    other_consumer=200,
    venue_staff=403,
    platform_admin=403,
)


@dataclass(frozen=True)
class Case:
    method: str
    path: str
    expected: dict[Actor, int]
    body: dict[str, Any] | Callable[[GroupWorld], dict[str, Any]] | None = None

    def __str__(self) -> str:
        return f"{self.method} {self.path}"


def _new_guest(w: GroupWorld) -> dict[str, Any]:
    return {"phone": make_consumer(w.session).phone}


CASES = [
    Case(
        "POST",
        API + "/groups",
        expect(
            group_admin=201,
            member=201,
            former_member=201,
            other_consumer=201,
            venue_staff=403,
            platform_admin=403,
        ),
        body={"name": "Saturday"},
    ),
    Case(
        "GET",
        API + "/groups",
        expect(
            group_admin=200,
            member=200,
            former_member=200,
            other_consumer=200,
            venue_staff=200,
            platform_admin=200,
        ),
    ),
    Case("GET", ONE, MEMBERS),
    Case("GET", API + "/groups/{unknown_id}", expect(group_admin=404, member=404)),
    Case("PATCH", ONE, ADMIN_ONLY, body={"name": "Renamed", "cap_minor": 100_000}),
    Case("POST", ONE + "/members", ADMIN_ONLY, body=_new_guest),
    Case("PATCH", ONE + "/members/{member_id}", ADMIN_ONLY, body={"can_spend": False}),
    # A member removes themself (leaves); the admin removes them.
    Case("DELETE", ONE + "/members/{member_id}", expect(group_admin=204, member=204)),
    # The admin cannot leave before handing over; a member cannot remove the admin.
    Case("DELETE", ONE + "/members/{admin_id}", expect(group_admin=409, member=403)),
    Case(
        "POST",
        ONE + "/admin",
        ADMIN_ONLY,
        body=lambda w: {"user_id": str(w.user(Actor.MEMBER).id)},
    ),
    # The world's wallet has a spend waiting for the admin: closing is refused (409).
    Case("POST", ONE + "/close", expect(group_admin=409, member=403)),
    Case("GET", ONE + "/invites", ADMIN_ONLY),
    Case("POST", ONE + "/invites", ADMIN_CREATES, body={"max_uses": 2}),
    Case("GET", ONE + "/invites/{invite_id}", ADMIN_ONLY),
    Case("DELETE", ONE + "/invites/{invite_id}", ADMIN_ONLY),
    Case("GET", API + "/group-invites/{token}", ANY_CONSUMER),
    # The wallet: members read it and top it up; the admin decides waiting spends.
    Case("GET", ONE + "/wallet", MEMBERS),
    Case("GET", ONE + "/wallet/entries", MEMBERS),
    Case("GET", ONE + "/wallet/spends", MEMBERS),
    Case(
        "POST",
        ONE + "/wallet/top-ups",
        expect(group_admin=201, member=201),
        body={"amount_minor": 10_000},
    ),
    Case("POST", ONE + "/wallet/spends/{spend_id}/approve", ADMIN_ONLY),
    Case("POST", ONE + "/wallet/spends/{spend_id}/decline", ADMIN_ONLY),
    Case("POST", API + "/group-invites/{token}/accept", ANY_CONSUMER),
]


@pytest.mark.parametrize("case", CASES, ids=str)
@pytest.mark.parametrize("actor", list(Actor), ids=str)
def test_matrix(world: GroupWorld, client: TestClient, case: Case, actor: Actor) -> None:
    body = case.body(world) if callable(case.body) else case.body
    url = case.path.format(**world.ids)
    response = client.request(case.method, url, json=body, headers=world.headers(actor))
    expected = case.expected[actor]
    assert response.status_code == expected, (
        f"{case} as {actor}: expected {expected}, got {response.status_code}: {response.text}"
    )


def test_every_group_route_is_in_the_matrix(client: TestClient) -> None:
    routes = {
        (method, path)
        for path, item in client.app.openapi()["paths"].items()  # type: ignore[attr-defined]
        if path.startswith((API + "/groups", API + "/group-invites"))
        for method in item
    }
    covered = {
        (case.method.lower(), case.path.replace("{unknown_id}", "{group_id}")) for case in CASES
    }
    covered |= {
        (m, p.replace("{member_id}", "{user_id}").replace("{admin_id}", "{user_id}"))
        for m, p in covered
    }
    assert routes <= covered, routes - covered
