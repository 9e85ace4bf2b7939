"""Groups over HTTP: making one (for a booking, a table session or nothing), reading it,
the admin's rules, members leaving and being removed, handing the admin role on,
invitation links, adding a booking's guests by phone, and closing."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session, col, select

from app.core.config import settings
from app.core.group_invite_token import decode_invite_token, encode_invite_token
from app.models import User, VenueKind
from app.models.booking import Booking, BookingStatus, OfferingKind
from app.models.group import Group, GroupInvite, GroupMember, GroupWallet, LeftReason
from app.models.order import TableSession, TableSessionStatus
from tests.factories import auth_headers, make_consumer, make_user, make_venue
from tests.factories.bookings import make_booking, make_offering, make_pool
from tests.factories.groups import leave_group, make_group, make_invite
from tests.factories.orders import join
from tests.factories.places import make_event, make_table
from tests.utils import QueryCounter, assert_error

API = "/api/v1"
GROUPS = f"{API}/groups"


def h(user: User) -> dict[str, str]:
    return auth_headers(user)


def confirmed_booking(
    session: Session, *, consumer: User, kind: OfferingKind = OfferingKind.COUPLE, **venue: Any
) -> Booking:
    place = make_venue(session, owner=make_user(session), kind=VenueKind.NIGHTCLUB, **venue)
    event = make_event(session, venue=place)
    pool = make_pool(session, event=event)
    guests = 2 if kind is OfferingKind.COUPLE else 1
    offering = make_offering(session, event=event, pools=[pool], kind=kind, guests_per_pass=guests)
    return make_booking(
        session, consumer=consumer, items=[(offering, 1)], status=BookingStatus.CONFIRMED
    )


def members_of(session: Session, group_id: Any) -> list[GroupMember]:
    return list(
        session.exec(
            select(GroupMember)
            .where(GroupMember.group_id == group_id)
            .order_by(col(GroupMember.joined_at))
            .execution_options(populate_existing=True)
        ).all()
    )


# --- making a group -----------------------------------------------------------------------


def test_a_consumer_makes_a_group_with_its_wallet(session: Session, client: TestClient) -> None:
    me = make_consumer(session, full_name="Asha")
    resp = client.post(GROUPS, json={"name": "  Friday crew "}, headers=h(me))
    assert resp.status_code == 201, resp.text
    body = resp.json()
    assert resp.headers["Location"] == f"{GROUPS}/{body['id']}"
    assert body["name"] == "Friday crew"
    assert body["currency"] == "INR"
    assert body["status"] == "open"
    assert body["admin_id"] == str(me.id)
    assert body["cap_minor"] is None
    assert body["cap_period"] == "night"
    assert body["approval_above_minor"] is None
    assert [(m["user_id"], m["name"], m["role"], m["can_spend"]) for m in body["members"]] == [
        (str(me.id), "Asha", "admin", True)
    ]
    wallet = session.get(GroupWallet, body["id"])
    assert wallet is not None
    assert wallet.currency == "INR"
    read = client.get(resp.headers["Location"], headers=h(me))
    assert read.status_code == 200
    assert read.json() == body


def test_a_group_for_a_confirmed_booking_takes_its_currency_and_time_zone(
    session: Session, client: TestClient
) -> None:
    me = make_consumer(session)
    booking = confirmed_booking(session, consumer=me, timezone="Asia/Dubai")
    resp = client.post(
        GROUPS, json={"name": "Couple", "booking_id": str(booking.id)}, headers=h(me)
    )
    assert resp.status_code == 201, resp.text
    assert resp.json()["booking_id"] == str(booking.id)
    assert resp.json()["currency"] == booking.currency
    assert resp.json()["time_zone"] == "Asia/Dubai"
    other = client.post(
        GROUPS,
        json={"name": "Couple", "booking_id": str(booking.id), "currency": "USD"},
        headers=h(me),
    )
    body = assert_error(other, 422, "group_currency_mismatch")
    assert body["detail"][0]["loc"] == ["body", "currency"]


@pytest.mark.parametrize("status", [BookingStatus.HELD, BookingStatus.CANCELLED])
def test_a_booking_not_confirmed_is_a_404(
    session: Session, client: TestClient, status: BookingStatus
) -> None:
    me = make_consumer(session)
    booking = confirmed_booking(session, consumer=me)
    booking.status = status
    session.add(booking)
    session.flush()
    resp = client.post(GROUPS, json={"name": "X", "booking_id": str(booking.id)}, headers=h(me))
    assert_error(resp, 404, "not_found")


def test_someone_elses_booking_is_a_404(session: Session, client: TestClient) -> None:
    booking = confirmed_booking(session, consumer=make_consumer(session))
    resp = client.post(
        GROUPS,
        json={"name": "X", "booking_id": str(booking.id)},
        headers=h(make_consumer(session)),
    )
    assert_error(resp, 404, "not_found")
    assert session.exec(select(Group).where(Group.booking_id == booking.id)).first() is None


def test_a_group_for_a_table_session_needs_a_member_of_the_open_session(
    session: Session, client: TestClient
) -> None:
    venue = make_venue(session, owner=make_user(session), kind=VenueKind.NIGHTCLUB)
    table = make_table(session, venue=venue)
    me, stranger = make_consumer(session), make_consumer(session)
    table_session = join(session, table=table, user=me)
    body = {"name": "Table 4", "table_session_id": str(table_session.id)}
    assert_error(client.post(GROUPS, json=body, headers=h(stranger)), 404, "not_found")
    resp = client.post(GROUPS, json=body, headers=h(me))
    assert resp.status_code == 201, resp.text
    assert resp.json()["table_session_id"] == str(table_session.id)
    assert resp.json()["currency"] == venue.currency
    closed = session.get(TableSession, table_session.id)
    assert closed is not None
    closed.status = TableSessionStatus.CLOSED
    closed.closed_at = datetime.now(UTC)
    session.add(closed)
    session.flush()
    assert_error(client.post(GROUPS, json=body, headers=h(me)), 409, "table_session_closed")


def test_business_accounts_and_anonymous_callers_make_no_group(
    session: Session, client: TestClient
) -> None:
    staff = make_user(session)
    admin = make_user(session, is_superuser=True)
    for user in (staff, admin):
        resp = client.post(GROUPS, json={"name": "X"}, headers=h(user))
        assert_error(resp, 403, "consumer_account_required")
    assert_error(client.post(GROUPS, json={"name": "X"}), 401, "not_authenticated")


@pytest.mark.parametrize(
    "body",
    [
        {"name": "x" * 101},
        {"name": "   "},
        {"name": ""},
        {"name": "a\x00b"},
        {"name": 12},
        {"name": "X", "colour": "red"},
        {"name": "X", "currency": "inr"},
        {"name": "X", "booking_id": "not-a-uuid"},
        {"name": "X", "booking_id": None, "table_session_id": None, "extra": 1},
        {
            "name": "X",
            "booking_id": "00000000-0000-4000-8000-000000000000",
            "table_session_id": "00000000-0000-4000-8000-000000000001",
        },
        {},
    ],
)
def test_bad_group_bodies_are_a_422(
    session: Session, client: TestClient, body: dict[str, Any]
) -> None:
    resp = client.post(GROUPS, json=body, headers=h(make_consumer(session)))
    assert_error(resp, 422)


# --- reading ------------------------------------------------------------------------------


def test_my_groups_lists_the_current_ones(session: Session, client: TestClient) -> None:
    me, friend = make_consumer(session), make_consumer(session)
    mine = make_group(session, admin=me, members=[friend], name="Mine")
    theirs = make_group(session, admin=friend, members=[me], name="Theirs")
    left = make_group(session, admin=friend, members=[me], name="Left")
    leave_group(session, group=left, user=me)
    make_group(session, admin=friend, name="Not mine")
    resp = client.get(GROUPS, headers=h(me))
    assert resp.status_code == 200, resp.text
    page = resp.json()
    assert page["total"] == 2
    got = {g["name"]: (g["role"], g["member_count"]) for g in page["items"]}
    assert got == {"Mine": ("admin", 2), "Theirs": ("member", 2)}
    assert {g["id"] for g in page["items"]} == {str(mine.id), str(theirs.id)}
    assert client.get(GROUPS, headers=h(make_user(session))).json()["total"] == 0


def test_only_current_members_read_a_group(session: Session, client: TestClient) -> None:
    admin, member, former = make_consumer(session), make_consumer(session), make_consumer(session)
    group = make_group(session, admin=admin, members=[member, former])
    leave_group(session, group=group, user=former)
    url = f"{GROUPS}/{group.id}"
    resp = client.get(url, headers=h(member))
    assert resp.status_code == 200
    assert [m["user_id"] for m in resp.json()["members"]] == [str(admin.id), str(member.id)]
    assert set(resp.json()["members"][0]) == {"user_id", "name", "role", "can_spend", "joined_at"}
    for outsider in (former, make_consumer(session), make_user(session, is_superuser=True)):
        assert_error(client.get(url, headers=h(outsider)), 404, "not_found")


# --- the admin's rules ----------------------------------------------------------------------


def test_the_admin_sets_the_wallet_rules(session: Session, client: TestClient) -> None:
    admin, member = make_consumer(session), make_consumer(session)
    group = make_group(session, admin=admin, members=[member])
    url = f"{GROUPS}/{group.id}"
    resp = client.patch(
        url,
        json={"cap_minor": 200_000, "cap_period": "day", "approval_above_minor": 50_000},
        headers=h(admin),
    )
    assert resp.status_code == 200, resp.text
    body = resp.json()
    assert (body["cap_minor"], body["cap_period"], body["approval_above_minor"]) == (
        200_000,
        "day",
        50_000,
    )
    resp = client.patch(url, json={"cap_minor": None, "name": "Renamed"}, headers=h(admin))
    assert resp.json()["cap_minor"] is None
    assert resp.json()["name"] == "Renamed"
    assert resp.json()["approval_above_minor"] == 50_000  # left out: unchanged
    assert_error(client.patch(url, json={"name": "X"}, headers=h(member)), 403, "not_group_admin")


@pytest.mark.parametrize(
    "body",
    [
        {"cap_minor": 0},
        {"cap_minor": -5},
        {"cap_minor": settings.WALLET_MAX_BALANCE_MINOR + 1},
        {"cap_minor": 10**30},
        {"cap_minor": "100"},
        {"cap_minor": 1.5},
        {"approval_above_minor": -1},
        {"approval_above_minor": 2**63},
        {"cap_period": "week"},
        {"cap_period": None},
        {"name": None},
        {"name": "y" * 101},
        {"name": "\x00"},
        {"status": "closed"},
        {"admin_id": "00000000-0000-4000-8000-000000000000"},
    ],
)
def test_bad_rules_are_a_422(session: Session, client: TestClient, body: dict[str, Any]) -> None:
    admin = make_consumer(session)
    group = make_group(session, admin=admin)
    assert_error(client.patch(f"{GROUPS}/{group.id}", json=body, headers=h(admin)), 422)


def test_the_admin_says_who_may_spend(session: Session, client: TestClient) -> None:
    admin, member = make_consumer(session), make_consumer(session)
    group = make_group(session, admin=admin, members=[member])
    url = f"{GROUPS}/{group.id}/members/{member.id}"
    resp = client.patch(url, json={"can_spend": False}, headers=h(admin))
    assert resp.status_code == 200, resp.text
    spend = {m["user_id"]: m["can_spend"] for m in resp.json()["members"]}
    assert spend == {str(admin.id): True, str(member.id): False}
    assert_error(client.patch(url, json={"can_spend": 0}, headers=h(admin)), 422)
    assert_error(
        client.patch(url, json={"can_spend": True}, headers=h(member)), 403, "not_group_admin"
    )
    stranger = f"{GROUPS}/{group.id}/members/{make_consumer(session).id}"
    assert_error(client.patch(stranger, json={"can_spend": True}, headers=h(admin)), 404)


# --- leaving, removing, handing over --------------------------------------------------------


def test_a_member_leaves_and_becomes_a_former_member(session: Session, client: TestClient) -> None:
    admin, member = make_consumer(session), make_consumer(session)
    group = make_group(session, admin=admin, members=[member])
    resp = client.delete(f"{GROUPS}/{group.id}/members/{member.id}", headers=h(member))
    assert resp.status_code == 204, resp.text
    row = next(m for m in members_of(session, group.id) if m.user_id == member.id)
    assert row.left_reason is LeftReason.LEFT
    assert row.left_at is not None
    assert_error(client.get(f"{GROUPS}/{group.id}", headers=h(member)), 404)
    again = client.delete(f"{GROUPS}/{group.id}/members/{member.id}", headers=h(member))
    assert_error(again, 404)


def test_the_admin_removes_a_member_but_members_remove_no_one(
    session: Session, client: TestClient
) -> None:
    admin, one, two = make_consumer(session), make_consumer(session), make_consumer(session)
    group = make_group(session, admin=admin, members=[one, two])
    refused = client.delete(f"{GROUPS}/{group.id}/members/{two.id}", headers=h(one))
    assert_error(refused, 403, "not_group_admin")
    refused = client.delete(f"{GROUPS}/{group.id}/members/{admin.id}", headers=h(one))
    assert_error(refused, 403, "not_group_admin")
    resp = client.delete(f"{GROUPS}/{group.id}/members/{two.id}", headers=h(admin))
    assert resp.status_code == 204
    row = next(m for m in members_of(session, group.id) if m.user_id == two.id)
    assert row.left_reason is LeftReason.REMOVED
    gone = client.delete(
        f"{GROUPS}/{group.id}/members/{make_consumer(session).id}", headers=h(admin)
    )
    assert_error(gone, 404, "not_found")


def test_the_admin_hands_over_before_leaving(session: Session, client: TestClient) -> None:
    admin, member = make_consumer(session), make_consumer(session)
    group = make_group(session, admin=admin, members=[member])
    leave = f"{GROUPS}/{group.id}/members/{admin.id}"
    body = assert_error(client.delete(leave, headers=h(admin)), 409, "admin_must_hand_over")
    assert "hand the admin role" in body["detail"]
    stranger = make_consumer(session)
    not_member = client.post(
        f"{GROUPS}/{group.id}/admin", json={"user_id": str(stranger.id)}, headers=h(admin)
    )
    assert_error(not_member, 404, "not_found")
    resp = client.post(
        f"{GROUPS}/{group.id}/admin", json={"user_id": str(member.id)}, headers=h(admin)
    )
    assert resp.status_code == 200, resp.text
    assert resp.json()["admin_id"] == str(member.id)
    roles = {m["user_id"]: m["role"] for m in resp.json()["members"]}
    assert roles == {str(admin.id): "member", str(member.id): "admin"}
    # The former admin is a plain member now; the new one holds the rules.
    assert_error(client.patch(f"{GROUPS}/{group.id}", json={"name": "X"}, headers=h(admin)), 403)
    assert client.delete(leave, headers=h(admin)).status_code == 204
    assert client.get(f"{GROUPS}/{group.id}", headers=h(member)).json()["members"] == [
        {
            "user_id": str(member.id),
            "name": member.full_name,
            "role": "admin",
            "can_spend": True,
            "joined_at": resp.json()["members"][0]["joined_at"],
        }
    ]


def test_handing_over_to_oneself_changes_nothing(session: Session, client: TestClient) -> None:
    admin = make_consumer(session)
    group = make_group(session, admin=admin)
    resp = client.post(
        f"{GROUPS}/{group.id}/admin", json={"user_id": str(admin.id)}, headers=h(admin)
    )
    assert resp.status_code == 200
    assert resp.json()["admin_id"] == str(admin.id)


# --- invitation links -----------------------------------------------------------------------


def test_an_invitation_link_lets_people_join(session: Session, client: TestClient) -> None:
    admin, friend = make_consumer(session, full_name="Admin A"), make_consumer(session)
    group = make_group(session, admin=admin, name="Goa trip")
    resp = client.post(
        f"{GROUPS}/{group.id}/invites",
        json={"max_uses": 2, "expires_in_hours": 3},
        headers=h(admin),
    )
    assert resp.status_code == 201, resp.text
    invite = resp.json()
    assert resp.headers["Location"] == f"{GROUPS}/{group.id}/invites/{invite['id']}"
    assert (invite["max_uses"], invite["uses"], invite["revoked_at"]) == (2, 0, None)
    expires = datetime.fromisoformat(invite["expires_at"])
    assert timedelta(hours=2, minutes=59) < expires - datetime.now(UTC) <= timedelta(hours=3)
    assert invite["link"].endswith("/g/" + invite["token"])
    assert str(decode_invite_token(invite["link"])) == invite["id"]
    assert client.get(resp.headers["Location"], headers=h(admin)).json() == invite

    preview = client.get(f"{API}/group-invites/{invite['token']}", headers=h(friend))
    assert preview.status_code == 200, preview.text
    assert preview.json() == {
        "group_name": "Goa trip",
        "admin_name": "Admin A",
        "member_count": 1,
        "currency": "INR",
        "expires_at": invite["expires_at"],
        "state": "open",
    }
    joined = client.post(f"{API}/group-invites/{invite['token']}/accept", headers=h(friend))
    assert joined.status_code == 200, joined.text
    assert [m["user_id"] for m in joined.json()["members"]] == [str(admin.id), str(friend.id)]
    # Again: already in, the same answer, no second use.
    again = client.post(f"{API}/group-invites/{invite['token']}/accept", headers=h(friend))
    assert again.status_code == 200
    assert again.json() == joined.json()
    row = session.get(GroupInvite, invite["id"], populate_existing=True)
    assert row is not None
    assert row.uses == 1
    member = next(m for m in members_of(session, group.id) if m.user_id == friend.id)
    assert str(member.invite_id) == invite["id"]
    state = client.get(f"{API}/group-invites/{invite['token']}", headers=h(friend))
    assert state.json()["state"] == "member"
    listed = client.get(f"{GROUPS}/{group.id}/invites", headers=h(admin))
    assert [i["uses"] for i in listed.json()] == [1]


def test_a_link_is_used_up_after_max_uses(session: Session, client: TestClient) -> None:
    group = make_group(session, admin=make_consumer(session))
    _, token = make_invite(session, group=group, max_uses=1)
    first, second = make_consumer(session), make_consumer(session)
    assert client.post(f"{API}/group-invites/{token}/accept", headers=h(first)).status_code == 200
    resp = client.post(f"{API}/group-invites/{token}/accept", headers=h(second))
    assert_error(resp, 409, "group_invite_used_up")
    assert client.get(f"{API}/group-invites/{token}", headers=h(second)).json()["state"] == (
        "used_up"
    )


@pytest.mark.parametrize(
    ("made", "code", "state"),
    [
        ({"expired": True}, "group_invite_expired", "expired"),
        ({"revoked": True}, "group_invite_revoked", "revoked"),
    ],
)
def test_expired_and_revoked_links_are_refused(
    session: Session, client: TestClient, made: dict[str, bool], code: str, state: str
) -> None:
    group = make_group(session, admin=make_consumer(session))
    _, token = make_invite(session, group=group, **made)
    friend = make_consumer(session)
    assert_error(client.post(f"{API}/group-invites/{token}/accept", headers=h(friend)), 409, code)
    assert client.get(f"{API}/group-invites/{token}", headers=h(friend)).json()["state"] == state
    assert len(members_of(session, group.id)) == 1


def test_the_admin_revokes_a_link(session: Session, client: TestClient) -> None:
    admin = make_consumer(session)
    group = make_group(session, admin=admin)
    invite, token = make_invite(session, group=group)
    url = f"{GROUPS}/{group.id}/invites/{invite.id}"
    resp = client.delete(url, headers=h(admin))
    assert resp.status_code == 200, resp.text
    assert resp.json()["revoked_at"] is not None
    assert client.delete(url, headers=h(admin)).json()["revoked_at"] == resp.json()["revoked_at"]
    refused = client.post(f"{API}/group-invites/{token}/accept", headers=h(make_consumer(session)))
    assert_error(refused, 409, "group_invite_revoked")
    other = make_group(session, admin=admin)
    assert_error(client.delete(f"{GROUPS}/{other.id}/invites/{invite.id}", headers=h(admin)), 404)


def test_a_full_group_takes_no_one_more(
    session: Session, client: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(settings, "GROUP_MAX_MEMBERS", 3)
    group = make_group(session, admin=make_consumer(session), members=[make_consumer(session)])
    _, token = make_invite(session, group=group, max_uses=3)
    ok, late = make_consumer(session), make_consumer(session)
    assert client.post(f"{API}/group-invites/{token}/accept", headers=h(ok)).status_code == 200
    assert client.get(f"{API}/group-invites/{token}", headers=h(late)).json()["state"] == (
        "group_full"
    )
    assert_error(
        client.post(f"{API}/group-invites/{token}/accept", headers=h(late)), 409, "group_full"
    )


def test_a_former_member_may_join_again_with_a_link(session: Session, client: TestClient) -> None:
    admin, friend = make_consumer(session), make_consumer(session)
    group = make_group(session, admin=admin, members=[friend])
    leave_group(session, group=group, user=friend)
    _, token = make_invite(session, group=group)
    assert client.post(f"{API}/group-invites/{token}/accept", headers=h(friend)).status_code == 200
    rows = [m for m in members_of(session, group.id) if m.user_id == friend.id]
    assert [m.left_at is None for m in rows] == [False, True]


@pytest.mark.parametrize(
    "token",
    [
        "nope",
        "A" * 44,
        "x" * 200,
        # ours, but no such invitation (a fixed id: xdist workers must collect the same ids)
        encode_invite_token(invite_id=uuid.UUID(int=0x5EED)),
    ],
    ids=["short", "right_length", "long", "no_such_invitation"],
)
def test_a_token_not_of_ours_is_a_404(session: Session, client: TestClient, token: str) -> None:
    friend = make_consumer(session)
    assert_error(client.get(f"{API}/group-invites/{token}", headers=h(friend)), 404, "not_found")
    accept = client.post(f"{API}/group-invites/{token}/accept", headers=h(friend))
    assert_error(accept, 404, "not_found")


def test_a_forged_token_is_a_404(session: Session, client: TestClient) -> None:
    group = make_group(session, admin=make_consumer(session))
    _, token = make_invite(session, group=group)
    forged = token[:-2] + ("AA" if token[-2:] != "AA" else "BB")
    resp = client.post(f"{API}/group-invites/{forged}/accept", headers=h(make_consumer(session)))
    assert_error(resp, 404, "not_found")


def test_a_table_code_is_not_an_invitation(session: Session, client: TestClient) -> None:
    from tests.factories.orders import token_of

    venue = make_venue(session, owner=make_user(session))
    code = token_of(make_table(session, venue=venue))
    resp = client.get(f"{API}/group-invites/{code}", headers=h(make_consumer(session)))
    assert_error(resp, 404)


@pytest.mark.parametrize(
    "body",
    [
        {"max_uses": 0},
        {"max_uses": settings.GROUP_MAX_MEMBERS + 1},
        {"max_uses": 10**20},
        {"max_uses": "2"},
        {"max_uses": 2, "expires_in_hours": 0},
        {"max_uses": 2, "expires_in_hours": settings.GROUP_INVITE_HOURS + 1},
        {"max_uses": 2, "expires_in_hours": 1.5},
        {"max_uses": 2, "uses": 0},
        {},
    ],
)
def test_bad_invitation_bodies_are_a_422(
    session: Session, client: TestClient, body: dict[str, Any]
) -> None:
    admin = make_consumer(session)
    group = make_group(session, admin=admin)
    assert_error(client.post(f"{GROUPS}/{group.id}/invites", json=body, headers=h(admin)), 422)


def test_a_link_lasts_group_invite_hours_by_default(session: Session, client: TestClient) -> None:
    admin = make_consumer(session)
    group = make_group(session, admin=admin)
    resp = client.post(f"{GROUPS}/{group.id}/invites", json={"max_uses": 1}, headers=h(admin))
    left = datetime.fromisoformat(resp.json()["expires_at"]) - datetime.now(UTC)
    assert timedelta(hours=settings.GROUP_INVITE_HOURS - 1) < left
    assert left <= timedelta(hours=settings.GROUP_INVITE_HOURS)


def test_a_preview_names_no_member(session: Session, client: TestClient) -> None:
    admin, member = make_consumer(session), make_consumer(session)
    group = make_group(session, admin=admin, members=[member])
    _, token = make_invite(session, group=group)
    text = client.get(f"{API}/group-invites/{token}", headers=h(make_consumer(session))).text
    for person in (admin, member):
        assert str(person.id) not in text
        assert person.phone is not None
        assert person.phone not in text
    assert str(group.id) not in text


# --- a booking's guests, added by phone -----------------------------------------------------


def test_the_admin_adds_a_couple_pass_guest_by_phone(session: Session, client: TestClient) -> None:
    admin = make_consumer(session)
    booking = confirmed_booking(session, consumer=admin, kind=OfferingKind.COUPLE)
    group = make_group(session, admin=admin, booking_id=booking.id)
    partner, third = make_consumer(session), make_consumer(session)
    url = f"{GROUPS}/{group.id}/members"
    resp = client.post(url, json={"phone": partner.phone}, headers=h(admin))
    assert resp.status_code == 200, resp.text
    assert [m["user_id"] for m in resp.json()["members"]] == [str(admin.id), str(partner.id)]
    again = client.post(url, json={"phone": partner.phone}, headers=h(admin))
    assert again.status_code == 200
    assert len(again.json()["members"]) == 2
    body = assert_error(
        client.post(url, json={"phone": third.phone}, headers=h(admin)),
        409,
        "booking_guests_in_group",
    )
    assert "invitation link" in body["detail"]


def test_a_phone_of_no_one_is_a_neutral_422(session: Session, client: TestClient) -> None:
    admin = make_consumer(session)
    booking = confirmed_booking(session, consumer=admin)
    group = make_group(session, admin=admin, booking_id=booking.id)
    business = make_user(session)  # an email account: no phone
    gone = make_consumer(session, deleted_at=datetime.now(UTC))
    for phone in ("+919000000001", gone.phone):
        resp = client.post(f"{GROUPS}/{group.id}/members", json={"phone": phone}, headers=h(admin))
        body = assert_error(resp, 422, "phone_not_addable")
        assert body["detail"][0]["loc"] == ["body", "phone"]
    assert business.phone is None
    bad = client.post(f"{GROUPS}/{group.id}/members", json={"phone": "12ab"}, headers=h(admin))
    assert_error(bad, 422)
    assert len(members_of(session, group.id)) == 1


def test_a_group_without_a_booking_adds_no_one_by_phone(
    session: Session, client: TestClient
) -> None:
    admin = make_consumer(session)
    group = make_group(session, admin=admin)
    resp = client.post(
        f"{GROUPS}/{group.id}/members",
        json={"phone": make_consumer(session).phone},
        headers=h(admin),
    )
    assert_error(resp, 409, "group_not_for_booking")


# --- closing --------------------------------------------------------------------------------


def test_a_closed_group_is_read_but_never_changed(session: Session, client: TestClient) -> None:
    admin, member = make_consumer(session), make_consumer(session)
    booking = confirmed_booking(session, consumer=admin, kind=OfferingKind.GROUP)
    group = make_group(session, admin=admin, members=[member], booking_id=booking.id)
    invite, token = make_invite(session, group=group)
    assert_error(client.post(f"{GROUPS}/{group.id}/close", headers=h(member)), 403)
    resp = client.post(f"{GROUPS}/{group.id}/close", headers=h(admin))
    assert resp.status_code == 200, resp.text
    assert resp.json()["status"] == "closed"
    assert resp.json()["closed_at"] is not None
    assert len(resp.json()["members"]) == 2  # memberships stay
    assert client.get(f"{GROUPS}/{group.id}", headers=h(member)).json()["status"] == "closed"
    assert client.get(GROUPS, headers=h(member)).json()["items"][0]["status"] == "closed"

    base = f"{GROUPS}/{group.id}"
    changes = [
        ("POST", f"{base}/close", None),
        ("PATCH", base, {"name": "Again"}),
        ("PATCH", f"{base}/members/{member.id}", {"can_spend": False}),
        ("DELETE", f"{base}/members/{member.id}", None),
        ("POST", f"{base}/admin", {"user_id": str(member.id)}),
        ("POST", f"{base}/invites", {"max_uses": 1}),
        ("DELETE", f"{base}/invites/{invite.id}", None),
        ("POST", f"{base}/members", {"phone": make_consumer(session).phone}),
    ]
    for method, url, body in changes:
        resp = client.request(method, url, json=body, headers=h(admin))
        assert_error(resp, 409, "group_closed")
    left = client.delete(f"{base}/members/{member.id}", headers=h(member))
    assert_error(left, 409, "group_closed")
    late = make_consumer(session)
    assert client.get(f"{API}/group-invites/{token}", headers=h(late)).json()["state"] == (
        "group_closed"
    )
    assert_error(
        client.post(f"{API}/group-invites/{token}/accept", headers=h(late)), 409, "group_closed"
    )
    # A member of the closed group still gets it back from the link.
    assert client.post(f"{API}/group-invites/{token}/accept", headers=h(member)).status_code == 200


def test_closing_replays_with_the_same_key(session: Session, client: TestClient) -> None:
    admin = make_consumer(session)
    group = make_group(session, admin=admin)
    headers = {**h(admin), "Idempotency-Key": "close-1"}
    first = client.post(f"{GROUPS}/{group.id}/close", headers=headers)
    second = client.post(f"{GROUPS}/{group.id}/close", headers=headers)
    assert first.status_code == second.status_code == 200
    assert second.headers["Idempotent-Replayed"] == "true"
    assert second.json() == first.json()


def test_lists_take_the_same_queries_however_many_groups_and_members(
    session: Session, client: TestClient, queries: QueryCounter
) -> None:
    me = make_consumer(session)
    make_group(session, admin=me, members=[make_consumer(session)])
    with queries.count() as one:
        assert client.get(GROUPS, headers=h(me)).json()["total"] == 1
    for _ in range(4):
        make_group(session, admin=make_consumer(session), members=[me, make_consumer(session)])
    with queries.count() as five:
        assert client.get(GROUPS, headers=h(me)).json()["total"] == 5
    assert five.total == one.total

    small = make_group(session, admin=me)
    big = make_group(session, admin=me, members=[make_consumer(session) for _ in range(6)])
    with queries.count() as read_small:
        client.get(f"{GROUPS}/{small.id}", headers=h(me))
    with queries.count() as read_big:
        assert len(client.get(f"{GROUPS}/{big.id}", headers=h(me)).json()["members"]) == 7
    assert read_big.total == read_small.total
