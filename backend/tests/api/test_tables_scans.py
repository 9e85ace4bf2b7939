"""Scan counts: one row per table per day, counted atomically, read by managers."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, date, datetime, timedelta

from fastapi.testclient import TestClient
from sqlalchemy import Engine
from sqlmodel import Session, select

from app.core import table_token
from app.crud import table as table_crud
from app.models import Venue, VenueKind, VenueStatus
from app.models.table import VenueTable, VenueTableScanDay
from tests.factories import auth_headers, make_user, make_venue
from tests.factories.places import make_table
from tests.utils import assert_error


def _add_scans(session: Session, table: VenueTable, day: date, count: int) -> None:
    session.add(VenueTableScanDay(table_id=table.id, day=day, count=count))
    session.flush()


def test_scan_report(session: Session, client: TestClient) -> None:
    owner = make_user(session)
    venue = make_venue(session, owner=owner)
    t1 = make_table(session, venue=venue, label="T1")
    t2 = make_table(session, venue=venue, label="T2")
    elsewhere = make_table(session, venue=make_venue(session), label="T1")
    today = table_crud.venue_today(venue)
    _add_scans(session, t1, today, 5)
    _add_scans(session, t2, today, 2)
    _add_scans(session, t1, today - timedelta(days=3), 1)
    _add_scans(session, t1, today - timedelta(days=40), 9)
    _add_scans(session, elsewhere, today, 100)
    url = f"/api/v1/venues/{venue.id}/tables/scans"
    headers = auth_headers(owner)

    resp = client.get(url, headers=headers)
    assert resp.status_code == 200, resp.text
    body = resp.json()
    assert body["date_to"] == today.isoformat()
    assert body["date_from"] == (today - timedelta(days=29)).isoformat()
    assert body["total"] == 8
    assert [(i["label"], i["day"], i["count"]) for i in body["items"]] == [
        ("T1", (today - timedelta(days=3)).isoformat(), 1),
        ("T1", today.isoformat(), 5),
        ("T2", today.isoformat(), 2),
    ]

    params = {
        "date_from": (today - timedelta(days=60)).isoformat(),
        "date_to": (today - timedelta(days=1)).isoformat(),
    }
    body = client.get(url, params=params, headers=headers).json()
    assert body["total"] == 10
    body = client.get(url, params={"table_id": str(t2.id)}, headers=headers).json()
    assert body["total"] == 2
    assert {i["table_id"] for i in body["items"]} == {str(t2.id)}


def test_scan_report_rejects_bad_ranges(session: Session, client: TestClient) -> None:
    owner = make_user(session)
    venue = make_venue(session, owner=owner)
    url = f"/api/v1/venues/{venue.id}/tables/scans"
    headers = auth_headers(owner)
    backwards = {"date_from": "2026-05-02", "date_to": "2026-05-01"}
    assert_error(client.get(url, params=backwards, headers=headers), 422, "invalid_date_range")
    too_long = {"date_from": "2025-01-01", "date_to": "2026-05-01"}
    assert_error(client.get(url, params=too_long, headers=headers), 422, "date_range_too_long")
    assert_error(client.get(url, params={"date_from": "yesterday"}, headers=headers), 422)
    assert client.get(url, params={"date_to": "0001-01-05"}, headers=headers).status_code == 200
    assert client.get(url, params={"date_from": "9999-12-31"}, headers=headers).status_code == 422
    one_day = {"date_from": "2026-05-01", "date_to": "2026-05-01"}
    assert client.get(url, params=one_day, headers=headers).json()["total"] == 0


def test_scans_count_in_the_venues_local_day(session: Session) -> None:
    venue = make_venue(session, timezone="Asia/Kolkata")
    late_utc = datetime(2026, 3, 1, 20, 0, tzinfo=UTC)  # 01:30 on 2 March in India
    assert table_crud.venue_today(venue, late_utc) == date(2026, 3, 2)
    venue.timezone = "Not/AZone"
    assert table_crud.venue_today(venue, late_utc) == date(2026, 3, 1)


def test_concurrent_scans_are_all_counted(engine: Engine) -> None:
    """Parallel scans on real connections: the upsert never loses a count."""
    with Session(engine) as setup:
        venue = Venue(
            kind=VenueKind.RESTAURANT,
            name="Concurrency Cafe",
            address="1 Test Road",
            latitude=12.97,
            longitude=77.59,
            status=VenueStatus.VERIFIED,
        )
        setup.add(venue)
        setup.flush()
        table = VenueTable(venue_id=venue.id, label="T1", seats=2)
        setup.add(table)
        setup.commit()
        venue_id, table_id = venue.id, table.id
    token = table_token.encode_table_token(venue_id=venue_id, table_id=table_id, version=1)

    def scan_once(_: int) -> None:
        with Session(engine) as worker:
            table_crud.scan(worker, token=token)
            worker.commit()

    try:
        with ThreadPoolExecutor(max_workers=8) as pool:
            list(pool.map(scan_once, range(40)))
        with Session(engine) as check:
            counts = check.exec(
                select(VenueTableScanDay.count).where(VenueTableScanDay.table_id == table_id)
            ).all()
        assert counts == [40]
    finally:
        with Session(engine) as cleanup:
            doomed = cleanup.get(Venue, venue_id)
            if doomed is not None:
                cleanup.delete(doomed)
                cleanup.commit()
