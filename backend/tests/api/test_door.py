"""The door: batches of scans, what each answers, what is recorded, attendance."""

from __future__ import annotations

import itertools
import uuid
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session, col, select

from app.core import table_token, ticket_token
from app.core.config import settings
from app.models import Event, EventStatus, User, Venue, VenueRole
from app.models.booking import OfferingKind, TicketScan
from app.services.tickets import void_tickets
from tests.factories import add_member, auth_headers, make_user, make_venue
from tests.factories.bookings import make_offering
from tests.factories.places import make_event
from tests.factories.tickets import make_ticket, make_tickets, token_of
from tests.utils import QueryCounter, assert_error

_nonces = itertools.count(1)


class Door:
    """A venue with a staff member at the door of an event that has started."""

    def __init__(self, session: Session, client: TestClient, **event_fields: Any) -> None:
        self.session, self.client = session, client
        self.venue: Venue = make_venue(session, owner=make_user(session), timezone="Asia/Kolkata")
        self.staff: User = make_user(session, full_name="Door staff")
        add_member(session, venue=self.venue, user=self.staff, role=VenueRole.STAFF)
        event_fields.setdefault("starts_in", -timedelta(hours=1))
        self.event: Event = make_event(session, venue=self.venue, **event_fields)

    @property
    def url(self) -> str:
        return f"/api/v1/venues/{self.venue.id}/events/{self.event.id}"

    def post(self, scans: Sequence[dict[str, Any]]) -> Any:
        return self.client.post(
            self.url + "/scans", json={"scans": list(scans)}, headers=auth_headers(self.staff)
        )

    def scan(self, token: str, direction: str = "entry", **fields: Any) -> dict[str, Any]:
        response = self.post([scan(token, direction, **fields)])
        assert response.status_code == 200, response.text
        [result] = response.json()["results"]
        return dict(result)


def scan(token: str, direction: str = "entry", **fields: Any) -> dict[str, Any]:
    return {
        "token": token,
        "direction": direction,
        "client_nonce": fields.pop("client_nonce", f"nonce-{next(_nonces)}"),
        "scanned_at": fields.pop("scanned_at", datetime.now(UTC).isoformat()),
        **fields,
    }


@pytest.fixture
def door(session: Session, client: TestClient) -> Door:
    return Door(session, client)


def test_entry_exit_and_reentry(door: Door) -> None:
    couple = make_offering(
        door.session, event=door.event, name="Couple", kind=OfferingKind.COUPLE, guests_per_pass=2
    )
    ticket = make_ticket(door.session, event=door.event, offering=couple)
    token = token_of(ticket)

    first = door.scan(token, gate="Main")
    assert first["outcome"] == "ok"
    assert first["replayed"] is False
    assert (first["ticket_id"], first["guests"], first["offering_name"], first["inside"]) == (
        str(ticket.id),
        2,
        "Couple",
        True,
    )
    assert door.scan(token)["outcome"] == "already_inside"
    out = door.scan(token, "exit")
    assert (out["outcome"], out["inside"]) == ("ok", False)
    assert door.scan(token, "exit")["outcome"] == "not_inside"
    again = door.scan(token)
    assert (again["outcome"], again["inside"]) == ("ok", True)

    door.session.refresh(ticket)
    assert ticket.inside is True
    assert ticket.entered_at is not None
    assert ticket.entered_at <= datetime.now(UTC)


def test_no_reentry_after_going_out_when_the_pass_does_not_allow_it(door: Door) -> None:
    ticket = make_ticket(door.session, event=door.event, reentry_allowed=False)
    token = token_of(ticket)
    assert door.scan(token)["outcome"] == "ok"
    assert door.scan(token, "exit")["outcome"] == "ok"
    refused = door.scan(token)
    assert (refused["outcome"], refused["inside"]) == ("no_reentry", False)


def test_an_exit_before_any_entry_is_not_inside(door: Door) -> None:
    result = door.scan(token_of(make_ticket(door.session, event=door.event)), "exit")
    assert (result["outcome"], result["inside"]) == ("not_inside", False)


def test_a_void_ticket_is_refused_with_its_old_and_its_new_code(door: Door) -> None:
    booking, [ticket] = make_tickets(door.session, event=door.event)
    old = token_of(ticket)
    void_tickets(door.session, booking=booking)
    for token in (old, token_of(ticket)):
        result = door.scan(token)
        assert result["outcome"] == "void"
        assert result["ticket_id"] == str(ticket.id)
        assert result["inside"] is False
    assert door.scan(old, "exit")["outcome"] == "void"


def test_a_guest_inside_whose_ticket_is_voided_can_still_go_out(door: Door) -> None:
    booking, [ticket] = make_tickets(door.session, event=door.event)
    token = token_of(ticket)
    assert door.scan(token)["outcome"] == "ok"
    void_tickets(door.session, booking=booking)
    assert door.scan(token)["outcome"] == "void"
    out = door.scan(token, "exit")
    assert (out["outcome"], out["inside"]) == ("ok", False)


def test_a_ticket_of_another_event_is_the_wrong_event_and_tells_nothing(door: Door) -> None:
    other = make_event(door.session, venue=door.venue, starts_in=-timedelta(hours=1))
    ticket = make_ticket(door.session, event=other)
    result = door.scan(token_of(ticket))
    assert result["outcome"] == "wrong_event"
    assert (result["ticket_id"], result["guests"], result["offering_name"], result["inside"]) == (
        None,
        None,
        None,
        None,
    )
    door.session.refresh(ticket)
    assert ticket.inside is False
    [row] = door.session.exec(select(TicketScan).where(TicketScan.event_id == door.event.id)).all()
    assert row.ticket_id == ticket.id  # recorded for the venue's own audit


@pytest.mark.parametrize(
    "token",
    [
        "garbage",
        "",
        "A" * 50,
        "https://socia.example/t/nope",
        "\u00e9" * 50,
    ],
)
def test_a_code_that_is_not_ours_is_unknown_and_recorded_without_a_ticket(
    door: Door, token: str
) -> None:
    body = scan(token or "x")
    response = door.post([body])
    assert response.status_code == 200, response.text
    [result] = response.json()["results"]
    assert result["outcome"] == "unknown"
    assert result["ticket_id"] is None
    assert result["guests"] is None
    row = door.session.exec(
        select(TicketScan).where(TicketScan.client_nonce == body["client_nonce"])
    ).one()
    assert (row.ticket_id, row.outcome) == (None, "unknown")


def test_forged_and_foreign_codes_are_unknown(door: Door) -> None:
    ticket = make_ticket(door.session, event=door.event)
    token = token_of(ticket)
    forged = token[:-2] + ("AA" if token[-2:] != "AA" else "BB")
    table_code = table_token.encode_table_token(
        venue_id=door.venue.id, table_id=uuid.uuid4(), version=1
    )
    unknown_ticket = ticket_token.encode_ticket_token(ticket_id=uuid.uuid4(), version=1)
    for code in (forged, table_code, unknown_ticket):
        assert door.scan(code)["outcome"] == "unknown"


def test_the_whole_ticket_url_is_taken_too(door: Door) -> None:
    ticket = make_ticket(door.session, event=door.event)
    url = ticket_token.ticket_url(ticket_id=ticket.id, version=ticket.token_version)
    assert door.scan(url)["outcome"] == "ok"


# --- the door window --------------------------------------------------------------------


def test_the_door_opens_some_minutes_before_the_start(session: Session, client: TestClient) -> None:
    early = settings.DOOR_OPENS_MINUTES_BEFORE + 30
    door = Door(session, client, starts_in=timedelta(minutes=early))
    token = token_of(make_ticket(session, event=door.event))
    result = door.scan(token)
    assert (result["outcome"], result["inside"]) == ("not_open_yet", False)

    soon = Door(
        session, client, starts_in=timedelta(minutes=settings.DOOR_OPENS_MINUTES_BEFORE - 5)
    )
    assert soon.scan(token_of(make_ticket(session, event=soon.event)))["outcome"] == "ok"


def test_the_window_follows_the_setting(
    session: Session, client: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    door = Door(session, client, starts_in=timedelta(minutes=90))
    token = token_of(make_ticket(session, event=door.event))
    monkeypatch.setattr(settings, "DOOR_OPENS_MINUTES_BEFORE", 120)
    assert door.scan(token)["outcome"] == "ok"


def test_no_entry_once_the_event_is_over_but_exits_still_count(
    session: Session, client: TestClient
) -> None:
    door = Door(session, client, starts_in=-timedelta(hours=6), duration=timedelta(hours=5))
    ticket = make_ticket(session, event=door.event)
    token = token_of(ticket)
    assert door.scan(token)["outcome"] == "event_over"
    ticket.inside = True  # came in before the end
    session.add(ticket)
    session.flush()
    out = door.scan(token, "exit")
    assert (out["outcome"], out["inside"]) == ("ok", False)


def test_an_offline_scan_is_judged_at_its_own_time(session: Session, client: TestClient) -> None:
    door = Door(session, client, starts_in=-timedelta(hours=6), duration=timedelta(hours=5))
    token = token_of(make_ticket(session, event=door.event))
    during = door.event.ends_at - timedelta(hours=1)
    assert door.scan(token, scanned_at=during.isoformat())["outcome"] == "ok"


def test_a_scan_time_in_the_future_counts_as_now(session: Session, client: TestClient) -> None:
    door = Door(session, client, starts_in=timedelta(hours=5))
    token = token_of(make_ticket(session, event=door.event))
    for far in (
        door.event.starts_at + timedelta(hours=1),
        datetime(9999, 12, 31, 23, 0, tzinfo=UTC),
    ):
        result = door.scan(token, scanned_at=far.isoformat().replace("+00:00", "-05:00"))
        assert result["outcome"] == "not_open_yet"
        assert datetime.fromisoformat(result["scanned_at"]) <= datetime.now(UTC)


def test_a_cancelled_event_lets_nobody_in(session: Session, client: TestClient) -> None:
    door = Door(session, client)
    token = token_of(make_ticket(session, event=door.event))
    door.event.status = EventStatus.CANCELLED
    session.add(door.event)
    session.flush()
    assert door.scan(token)["outcome"] == "event_cancelled"


# --- batches, nonces and the record ------------------------------------------------------


def test_every_scan_is_recorded_with_who_when_where_and_which_way(door: Door) -> None:
    ticket = make_ticket(door.session, event=door.event)
    token = token_of(ticket)
    at = datetime.now(UTC) - timedelta(minutes=3)
    scans = [
        scan(token, scanned_at=at.isoformat(), gate="  VIP  ", client_nonce="a"),
        scan(token, scanned_at=(at + timedelta(minutes=1)).isoformat(), client_nonce="b"),
        scan("forged", scanned_at=at.isoformat(), client_nonce="c"),
    ]
    response = door.post(scans)
    assert response.status_code == 200, response.text
    assert [r["outcome"] for r in response.json()["results"]] == [
        "ok",
        "already_inside",
        "unknown",
    ]
    rows = {
        row.client_nonce: row
        for row in door.session.exec(
            select(TicketScan).where(TicketScan.event_id == door.event.id)
        ).all()
    }
    assert set(rows) == {"a", "b", "c"}
    assert rows["a"].gate == "VIP"
    assert rows["b"].gate is None
    for row in rows.values():
        assert row.scanned_by_id == door.staff.id
        assert row.direction == "entry"
        assert row.recorded_at >= row.scanned_at
    assert rows["a"].scanned_at == at
    assert rows["a"].ticket_id == ticket.id
    assert rows["b"].outcome == "already_inside"


def test_a_batch_is_applied_in_the_order_scanned_and_answered_in_the_order_sent(
    door: Door,
) -> None:
    token = token_of(make_ticket(door.session, event=door.event))
    at = datetime.now(UTC) - timedelta(minutes=30)
    exit_later = scan(token, "exit", scanned_at=(at + timedelta(minutes=10)).isoformat())
    entry_first = scan(token, "entry", scanned_at=at.isoformat())
    response = door.post([exit_later, entry_first])
    results = response.json()["results"]
    assert [(r["client_nonce"], r["direction"], r["outcome"]) for r in results] == [
        (exit_later["client_nonce"], "exit", "ok"),
        (entry_first["client_nonce"], "entry", "ok"),
    ]


def test_an_upload_sent_again_is_answered_from_the_record_not_applied_twice(door: Door) -> None:
    ticket = make_ticket(door.session, event=door.event)
    token = token_of(ticket)
    batch = [scan(token, client_nonce="dev1-0001")]
    first = door.post(batch).json()["results"][0]
    assert (first["outcome"], first["replayed"]) == ("ok", False)
    assert door.scan(token, "exit")["outcome"] == "ok"

    again = door.post(batch).json()["results"][0]
    assert (again["outcome"], again["replayed"]) == ("ok", True)
    assert again["recorded_at"] == first["recorded_at"]
    assert again["inside"] is False  # as it is now: the entry was not applied again
    door.session.refresh(ticket)
    assert ticket.inside is False
    count = door.session.exec(
        select(TicketScan).where(col(TicketScan.client_nonce) == "dev1-0001")
    ).all()
    assert len(count) == 1


def test_a_nonce_twice_in_one_batch_counts_once(door: Door) -> None:
    token = token_of(make_ticket(door.session, event=door.event))
    results = door.post([scan(token, client_nonce="same"), scan(token, client_nonce="same")])
    assert [(r["outcome"], r["replayed"]) for r in results.json()["results"]] == [
        ("ok", False),
        ("ok", True),
    ]


def test_nonces_are_per_event(session: Session, client: TestClient) -> None:
    one, two = Door(session, client), Door(session, client)
    for door in (one, two):
        token = token_of(make_ticket(session, event=door.event))
        assert door.scan(token, client_nonce="n-1")["replayed"] is False


def test_a_big_batch(door: Door) -> None:
    tokens = [token_of(t) for t in make_tickets(door.session, event=door.event, quantity=100)[1]]
    scans = [scan(t) for t in tokens] + [scan(t, "exit") for t in tokens]
    response = door.post(scans)
    assert response.status_code == 200
    assert {r["outcome"] for r in response.json()["results"]} == {"ok"}


# --- bad input -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "body",
    [
        {},
        {"scans": []},
        {"scans": "nope"},
        {"scans": [scan("t")] * 201},
        {"scans": [{**scan("t"), "direction": "sideways"}]},
        {"scans": [{**scan("t"), "client_nonce": ""}]},
        {"scans": [{**scan("t"), "client_nonce": "n" * 65}]},
        {"scans": [{**scan("t"), "client_nonce": "a\u0000b"}]},
        {"scans": [{**scan("t"), "scanned_at": "2026-12-01T22:00:00"}]},  # no offset
        {"scans": [{**scan("t"), "scanned_at": 1764626400}]},
        {"scans": [{**scan("t"), "scanned_at": "0001-01-01T00:00:00+05:00"}]},
        {"scans": [{**scan("t"), "scanned_at": "1999-12-31T23:59:59Z"}]},
        {"scans": [{**scan("t"), "gate": "g" * 51}]},
        {"scans": [{**scan("t"), "token": "t" * 2049}]},
        {"scans": [{**scan("t"), "extra": 1}]},
        {"scans": [{k: v for k, v in scan("t").items() if k != "scanned_at"}]},
    ],
)
def test_bad_batches_are_422(door: Door, body: dict[str, Any]) -> None:
    response = door.client.post(door.url + "/scans", json=body, headers=auth_headers(door.staff))
    assert_error(response, 422, "invalid")
    assert door.session.exec(select(TicketScan)).all() == []


def test_an_event_of_another_venue_is_not_found(door: Door) -> None:
    elsewhere = make_event(door.session, venue=make_venue(door.session))
    url = f"/api/v1/venues/{door.venue.id}/events/{elsewhere.id}"
    response = door.client.post(
        url + "/scans", json={"scans": [scan("x")]}, headers=auth_headers(door.staff)
    )
    assert_error(response, 404, "not_found")
    assert_error(
        door.client.get(url + "/attendance", headers=auth_headers(door.staff)), 404, "not_found"
    )


# --- attendance --------------------------------------------------------------------------


def test_attendance(door: Door) -> None:
    couple = make_offering(door.session, event=door.event, guests_per_pass=2)
    booking, couples = make_tickets(door.session, event=door.event, offering=couple, quantity=3)
    _, [stag] = make_tickets(door.session, event=door.event)
    refunded, [gone] = make_tickets(door.session, event=door.event)
    void_tickets(door.session, booking=refunded)

    def attendance() -> dict[str, Any]:
        response = door.client.get(door.url + "/attendance", headers=auth_headers(door.staff))
        assert response.status_code == 200, response.text
        return dict(response.json())

    assert attendance() == {
        "event_id": str(door.event.id),
        "guests_inside": 0,
        "guests_checked_in": 0,
        "passes_sold": 4,
        "guests_sold": 7,
    }
    door.post([scan(token_of(t)) for t in (*couples[:2], stag)])
    door.post([scan(token_of(stag), "exit")])
    assert attendance() | {"event_id": None} == {
        "event_id": None,
        "guests_inside": 4,
        "guests_checked_in": 5,
        "passes_sold": 4,
        "guests_sold": 7,
    }
    assert booking.id != refunded.id
    assert gone.status == "void"


def test_a_batch_reads_its_tickets_in_a_bounded_number_of_queries(
    door: Door, queries: QueryCounter
) -> None:
    """Besides one insert per scan (and the upsert of each consumer's club visit) and
    the tickets' updates, the same few queries whatever the size of the batch."""
    counts = []
    for size in (2, 40):
        tokens = [
            token_of(t) for t in make_tickets(door.session, event=door.event, quantity=size)[1]
        ]
        with queries.count() as counted:
            assert door.post([scan(t) for t in tokens]).status_code == 200
        inserts = [s for s in counted.statements if s.lstrip().upper().startswith("INSERT")]
        assert len(inserts) == size + 1  # the scans, and the one consumer's visit
        counts.append(counted.total - len(inserts))
    assert counts[0] == counts[1]
