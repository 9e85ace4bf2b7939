"""Staff: invitations by email, accepting them, roles, removal and the last owner."""

from __future__ import annotations

from datetime import timedelta
from urllib.parse import parse_qs, urlparse

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session, select

from app.models import User, Venue, VenueMembership, VenueRole
from app.models.base import utcnow
from app.models.venue import VenueInvite
from app.providers import email as email_provider
from tests.factories import add_member, auth_headers, make_consumer, make_user, make_venue
from tests.factories.jobs import last_error, make_due, queued_jobs, run_jobs
from tests.utils import assert_error

URL = "/api/v1/venues"


@pytest.fixture
def outbox(mail_outbox: list[email_provider.EmailMessage]) -> list[email_provider.EmailMessage]:
    return mail_outbox


def token_from(message: email_provider.EmailMessage) -> str:
    link = str(message.meta["link"])
    assert link in message.html
    return parse_qs(urlparse(link).query)["token"][0]


def invite(client: TestClient, venue: Venue, owner: User, email: str, role: str) -> dict[str, str]:
    response = client.post(
        f"{URL}/{venue.id}/invites",
        json={"email": email, "role": role},
        headers=auth_headers(owner),
    )
    assert response.status_code == 201, response.text
    body: dict[str, str] = response.json()
    return body


def role_of(session: Session, venue: Venue, user: User) -> VenueRole | None:
    role = session.exec(
        select(VenueMembership.role).where(
            VenueMembership.venue_id == venue.id, VenueMembership.user_id == user.id
        )
    ).first()
    return VenueRole(role) if role else None


def test_invite_email_accept_once(
    client: TestClient, session: Session, outbox: list[email_provider.EmailMessage]
) -> None:
    owner = make_user(session, full_name="Asha Owner")
    venue = make_venue(session, owner=owner, name="Toit")
    invitee = make_user(session, email="new.manager@example.com")
    body = invite(client, venue, owner, "New.Manager@Example.com", "manager")
    assert body["email"] == "new.manager@example.com"
    assert "token" not in body

    [message] = outbox
    assert message.to == "new.manager@example.com"
    assert "Toit" in message.subject
    assert "manager" in message.html
    token = token_from(message)
    stored = session.get(VenueInvite, body["id"])
    assert stored is not None
    assert token not in stored.token_hash  # only a digest is stored

    # Signed in as someone else: refused, and the invitation is still usable.
    intruder = make_user(session)
    assert_error(
        client.post(
            "/api/v1/invites/accept", json={"token": token}, headers=auth_headers(intruder)
        ),
        403,
    )
    assert_error(client.post("/api/v1/invites/accept", json={"token": token}), 401)

    response = client.post(
        "/api/v1/invites/accept", json={"token": token}, headers=auth_headers(invitee)
    )
    assert response.status_code == 200, response.text
    assert response.json()["role"] == "manager"
    assert role_of(session, venue, invitee) == VenueRole.MANAGER

    # Single use.
    session.delete(
        session.exec(
            select(VenueMembership).where(
                VenueMembership.venue_id == venue.id, VenueMembership.user_id == invitee.id
            )
        ).one()
    )
    session.flush()
    assert_error(
        client.post("/api/v1/invites/accept", json={"token": token}, headers=auth_headers(invitee)),
        409,
    )


def test_expired_revoked_and_unknown_tokens(
    client: TestClient, session: Session, outbox: list[email_provider.EmailMessage]
) -> None:
    owner = make_user(session)
    venue = make_venue(session, owner=owner)
    invitee = make_user(session, email="late@example.com")
    body = invite(client, venue, owner, "late@example.com", "staff")
    token = token_from(outbox[-1])
    stored = session.get(VenueInvite, body["id"])
    assert stored is not None
    stored.expires_at = utcnow() - timedelta(seconds=1)
    session.add(stored)
    session.flush()
    accept = "/api/v1/invites/accept"
    assert_error(client.post(accept, json={"token": token}, headers=auth_headers(invitee)), 409)

    body = invite(client, venue, owner, "late@example.com", "staff")
    token = token_from(outbox[-1])
    response = client.delete(f"{URL}/{venue.id}/invites/{body['id']}", headers=auth_headers(owner))
    assert response.status_code == 204
    assert_error(client.post(accept, json={"token": token}, headers=auth_headers(invitee)), 404)
    assert_error(client.post(accept, json={"token": "x" * 43}, headers=auth_headers(invitee)), 404)
    assert_error(client.post(accept, json={"token": "short"}, headers=auth_headers(invitee)), 422)


def test_reinvite_replaces_the_pending_invitation(
    client: TestClient, session: Session, outbox: list[email_provider.EmailMessage]
) -> None:
    owner = make_user(session)
    venue = make_venue(session, owner=owner)
    invitee = make_user(session, email="twice@example.com")
    invite(client, venue, owner, "twice@example.com", "staff")
    first = token_from(outbox[-1])
    invite(client, venue, owner, "twice@example.com", "manager")
    second = token_from(outbox[-1])
    pending = client.get(f"{URL}/{venue.id}/invites", headers=auth_headers(owner)).json()
    assert [(p["email"], p["role"]) for p in pending] == [("twice@example.com", "manager")]
    accept = "/api/v1/invites/accept"
    assert_error(client.post(accept, json={"token": first}, headers=auth_headers(invitee)), 404)
    response = client.post(accept, json={"token": second}, headers=auth_headers(invitee))
    assert response.status_code == 200
    assert role_of(session, venue, invitee) == VenueRole.MANAGER


def test_inviting_a_member_or_a_bad_address(
    client: TestClient, session: Session, outbox: list[email_provider.EmailMessage]
) -> None:
    owner = make_user(session, email="boss@example.com")
    venue = make_venue(session, owner=owner)
    url = f"{URL}/{venue.id}/invites"
    headers = auth_headers(owner)
    assert_error(
        client.post(url, json={"email": "BOSS@example.com", "role": "staff"}, headers=headers), 409
    )
    assert_error(client.post(url, json={"email": "nope", "role": "staff"}, headers=headers), 422)
    assert_error(client.post(url, json={"email": "a@b.co", "role": "king"}, headers=headers), 422)
    assert outbox == []


def test_accepting_when_already_a_member(
    client: TestClient, session: Session, outbox: list[email_provider.EmailMessage]
) -> None:
    owner = make_user(session)
    venue = make_venue(session, owner=owner)
    member = make_user(session, email="already@example.com")
    invite(client, venue, owner, "already@example.com", "manager")
    add_member(session, venue=venue, user=member, role=VenueRole.STAFF)
    response = client.post(
        "/api/v1/invites/accept",
        json={"token": token_from(outbox[-1])},
        headers=auth_headers(member),
    )
    assert_error(response, 409)


def test_owner_changes_roles_and_removes_members(client: TestClient, session: Session) -> None:
    owner, manager, staff = make_user(session), make_user(session), make_user(session)
    venue = make_venue(session, owner=owner)
    add_member(session, venue=venue, user=manager, role=VenueRole.MANAGER)
    add_member(session, venue=venue, user=staff, role=VenueRole.STAFF)

    members = client.get(f"{URL}/{venue.id}/members", headers=auth_headers(manager)).json()
    assert {m["role"] for m in members} == {"owner", "manager", "staff"}

    url = f"{URL}/{venue.id}/members/{staff.id}"
    assert_error(client.patch(url, json={"role": "manager"}, headers=auth_headers(manager)), 403)
    response = client.patch(url, json={"role": "manager"}, headers=auth_headers(owner))
    assert response.status_code == 200, response.text
    assert role_of(session, venue, staff) == VenueRole.MANAGER
    assert_error(client.patch(url, json={"role": "boss"}, headers=auth_headers(owner)), 422)

    assert_error(client.delete(url, headers=auth_headers(manager)), 403)
    assert client.delete(url, headers=auth_headers(owner)).status_code == 204
    assert role_of(session, venue, staff) is None
    assert_error(client.delete(url, headers=auth_headers(owner)), 404)
    assert_error(
        client.patch(
            f"{URL}/{venue.id}/members/{make_consumer(session).id}",
            json={"role": "staff"},
            headers=auth_headers(owner),
        ),
        404,
    )


def test_the_last_owner_cannot_leave_or_be_demoted(client: TestClient, session: Session) -> None:
    owner, manager = make_user(session), make_user(session)
    venue = make_venue(session, owner=owner)
    add_member(session, venue=venue, user=manager, role=VenueRole.MANAGER)
    me = f"{URL}/{venue.id}/members/{owner.id}"
    assert_error(client.patch(me, json={"role": "manager"}, headers=auth_headers(owner)), 409)
    assert_error(client.delete(me, headers=auth_headers(owner)), 409)
    assert_error(client.post(f"{URL}/{venue.id}/leave", headers=auth_headers(owner)), 409)

    # With a second owner the first may step down, then leave.
    response = client.patch(
        f"{URL}/{venue.id}/members/{manager.id}",
        json={"role": "owner"},
        headers=auth_headers(owner),
    )
    assert response.status_code == 200
    assert client.patch(me, json={"role": "staff"}, headers=auth_headers(owner)).status_code == 200
    assert client.post(f"{URL}/{venue.id}/leave", headers=auth_headers(owner)).status_code == 204
    assert role_of(session, venue, owner) is None
    # Now the former manager is the last owner.
    assert_error(client.post(f"{URL}/{venue.id}/leave", headers=auth_headers(manager)), 409)


def test_staff_can_leave(client: TestClient, session: Session) -> None:
    owner, staff = make_user(session), make_user(session)
    venue = make_venue(session, owner=owner)
    add_member(session, venue=venue, user=staff, role=VenueRole.STAFF)
    assert client.post(f"{URL}/{venue.id}/leave", headers=auth_headers(staff)).status_code == 204
    assert_error(client.post(f"{URL}/{venue.id}/leave", headers=auth_headers(staff)), 404)


@pytest.mark.usefixtures("smtp_down")
def test_an_invitation_is_kept_when_the_mail_server_is_down(
    client: TestClient, session: Session
) -> None:
    owner = make_user(session)
    venue = make_venue(session, owner=owner)
    invite(client, venue, owner, "later@example.com", "staff")  # 201 all the same
    pending = client.get(f"{URL}/{venue.id}/invites", headers=auth_headers(owner)).json()
    assert [p["email"] for p in pending] == ["later@example.com"]
    # The email job fails and is retried with backoff, then stays failed, visible.
    for attempt in range(1, 7):
        assert run_jobs(session) == 1
        make_due(session)
        [job] = queued_jobs(session)
        assert job.attempts == attempt
    assert job.status == "failed"
    assert job.task_name == "send_email"
    assert "ConnectionRefusedError" in (last_error(session, job.id) or "")
    assert run_jobs(session) == 0
