"""Bad input from outside: free-form JSON, what a 422 echoes, body limits, strict types,
405s and OPTIONS, and no write committed before its answer renders."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient
from sqlalchemy import Engine
from sqlmodel import Session, col

from app.core.config import settings
from app.main import app as fastapi_app
from app.main import create_app
from app.models import User, VenueKind
from tests.factories import auth_headers, make_consumer, make_user, make_venue
from tests.factories.identity import API
from tests.utils import assert_error

ME = f"{API}/users/me"


def nested(depth: int) -> dict[str, Any]:
    value: dict[str, Any] = {"leaf": 1}
    for _ in range(depth - 1):
        value = {"a": value}
    return value


def send(client: TestClient, method: str, url: str, text: str, **headers: str) -> Any:
    return client.request(
        method, url, content=text.encode(), headers={"content-type": "application/json", **headers}
    )


# --- free-form JSON ---------------------------------------------------------------------


def test_deep_preferences_are_a_422_naming_the_field(client: TestClient, session: Session) -> None:
    user = make_consumer(session)
    response = client.patch(ME, headers=auth_headers(user), json={"preferences": nested(256)})
    body = assert_error(response, 422, "invalid")
    assert body["detail"][0]["loc"] == ["body", "preferences"]
    assert "levels deep" in body["detail"][0]["msg"]
    assert len(response.content) < 2000  # the echo is cut short
    session.refresh(user)
    assert user.preferences == {}
    assert client.get(ME, headers=auth_headers(user)).status_code == 200


def test_preferences_within_the_bounds_are_kept(client: TestClient, session: Session) -> None:
    user = make_consumer(session)
    response = client.patch(ME, headers=auth_headers(user), json={"preferences": nested(8)})
    assert response.status_code == 200, response.text
    assert response.json()["preferences"] == nested(8)


@pytest.mark.parametrize(
    ("preferences", "message"),
    [
        ('{"a": ' + json.dumps(nested(8)) + "}", "levels deep"),
        ('{"blob": "' + "x" * 9000 + '"}', "bytes"),
        ('{"x": NaN}', "finite"),
        ('{"x": [1, Infinity]}', "finite"),
        ('{"x": "\\ud800"}', "surrogates"),
        ('{"\\udc00": 1}', "surrogates"),
    ],
)
def test_preferences_out_of_bounds(
    client: TestClient, session: Session, preferences: str, message: str
) -> None:
    user = make_consumer(session)
    response = send(
        client, "PATCH", ME, '{"preferences": ' + preferences + "}", **auth_headers(user)
    )
    body = assert_error(response, 422, "invalid")
    assert body["detail"][0]["loc"] == ["body", "preferences"]
    assert message in body["detail"][0]["msg"]


def test_menu_import_is_bounded_in_depth(client: TestClient, session: Session) -> None:
    owner = make_user(session)
    venue = make_venue(session, owner=owner)
    response = client.post(
        f"{API}/venues/{venue.id}/menus/import",
        headers=auth_headers(owner),
        json={"name": "Deep", "categories": [nested(40)]},
    )
    body = assert_error(response, 422, "invalid")
    assert body["detail"][0]["loc"] == ["body"]


# --- no write is committed before its answer renders ------------------------------------


@pytest.fixture
def committed_user(engine: Engine) -> Iterator[User]:
    """A user really committed (not in the test's rolled-back transaction), whose stored
    preferences cannot be rendered: nested deeper than any answer can serialise (as
    written before the input bound existed)."""
    with Session(engine, expire_on_commit=False) as setup:
        user = make_consumer(setup, full_name="Before")
        setup.commit()
        setup.execute(
            sa.update(User)
            .where(col(User.id) == user.id)
            .values(preferences=sa.cast(json.dumps(nested(300)), sa.dialects.postgresql.JSONB))
        )
        setup.commit()
    yield user
    with Session(engine) as cleanup:
        cleanup.execute(sa.delete(User).where(col(User.id) == user.id))
        cleanup.commit()


def test_an_answer_that_cannot_render_commits_nothing(engine: Engine, committed_user: User) -> None:
    # The app's own sessions, on real connections: commits are real here.
    with TestClient(fastapi_app, raise_server_exceptions=False) as client:
        response = client.patch(
            ME, headers=auth_headers(committed_user), json={"full_name": "After"}
        )
    assert_error(response, 500, "internal_error")
    with Session(engine) as check:
        stored = check.get(User, committed_user.id)
        assert stored is not None
        assert stored.full_name == "Before"


def test_an_answer_that_renders_is_committed(engine: Engine) -> None:
    with Session(engine, expire_on_commit=False) as setup:
        user = make_consumer(setup, full_name="Before")
        setup.commit()
    try:
        with TestClient(fastapi_app, raise_server_exceptions=False) as client:
            response = client.patch(ME, headers=auth_headers(user), json={"full_name": "After"})
        assert response.status_code == 200, response.text
        with Session(engine) as check:
            stored = check.get(User, user.id)
            assert stored is not None
            assert stored.full_name == "After"
    finally:
        with Session(engine) as cleanup:
            cleanup.execute(sa.delete(User).where(col(User.id) == user.id))
            cleanup.commit()


# --- what a 422 echoes ------------------------------------------------------------------

# Routes of different kinds (anonymous, signed in; auth, venues, tables, menus, posters).
ROUTES = [
    ("POST", "/auth/otp/request", "phone"),
    ("POST", "/auth/register", "full_name"),
    ("POST", "/venues", "name"),
    ("POST", "/venues/{venue}/tables", "label"),
    ("POST", "/venues/{venue}/menus", "name"),
    ("POST", "/posters/events", "events"),
]


@pytest.fixture
def owner_headers(session: Session) -> tuple[dict[str, str], uuid.UUID]:
    owner = make_user(session)
    venue = make_venue(session, owner=owner)
    return auth_headers(owner), venue.id


@pytest.mark.parametrize(("method", "path", "field"), ROUTES)
@pytest.mark.parametrize(
    ("raw", "echoed"),
    [
        ('"\\ud800"', "\ufffd"),
        ('"ok\\udfffok"', "ok\ufffdok"),
        ("NaN", "nan"),
        ("Infinity", "inf"),
        ("-Infinity", "-inf"),
        ("1e999", "inf"),
    ],
)
def test_unencodable_input_is_echoed_safely(
    client: TestClient,
    owner_headers: tuple[dict[str, str], uuid.UUID],
    method: str,
    path: str,
    field: str,
    raw: str,
    echoed: str,
) -> None:
    headers, venue_id = owner_headers
    url = API + path.format(venue=venue_id)
    response = send(client, method, url, "{" + f'"{field}": {raw}' + "}", **headers)
    assert 400 <= response.status_code < 500, response.text
    assert response.headers["content-type"] == "application/json"
    body = assert_error(response, 422, "invalid")
    mine = [e for e in body["detail"] if e["loc"][:2] == ["body", field]]
    assert mine, body
    if "input" in mine[0]:
        assert mine[0]["input"] == echoed


@pytest.mark.parametrize(
    ("url", "payload", "secret"),
    [
        ("/auth/register", {"email": "a@b.co", "password": "short", "full_name": "A"}, "short"),
        ("/auth/otp/verify", {"phone": "+919876543210", "code": "12x"}, "12x"),
        ("/auth/refresh", {"refresh_token": 12345}, "12345"),
        ("/auth/password/reset", {"token": "t0k", "new_password": "abc"}, "abc"),
        ("/auth/email/verify", {"token": ["s3cret-value"]}, "s3cret-value"),
    ],
)
def test_secrets_are_never_echoed(
    client: TestClient, url: str, payload: dict[str, Any], secret: str
) -> None:
    response = client.post(API + url, json=payload)
    assert_error(response, 422, "invalid")
    assert secret not in response.text


def test_a_whole_body_echo_hides_its_secrets(client: TestClient) -> None:
    # A model-level error echoes the whole body: its secret fields are blanked.
    response = client.post(f"{API}/auth/register", json={"password": "hunter2-long-enough"})
    assert_error(response, 422, "invalid")
    assert "hunter2" not in response.text


def test_a_huge_password_is_not_sent_back(client: TestClient) -> None:
    password = "p" * 500_000
    response = client.post(
        f"{API}/auth/register", json={"email": "a@b.co", "password": password, "full_name": "A"}
    )
    assert_error(response, 422, "invalid")
    assert len(response.content) < 2000


def test_long_input_is_echoed_cut_short(client: TestClient, session: Session) -> None:
    user = make_user(session)
    response = client.post(
        f"{API}/venues",
        headers=auth_headers(user),
        json={"kind": "restaurant", "name": "n" * 300_000, "photos": list(range(500))},
    )
    body = assert_error(response, 422, "invalid")
    assert len(response.content) < 20_000
    name = next(e for e in body["detail"] if e["loc"] == ["body", "name"])
    assert name["input"] == "n" * 200 + "…"


# --- request body limit -----------------------------------------------------------------


@pytest.mark.parametrize("body", [b"\xff\xfe\t\x0e", b'{"phone": "\xc3"}', b"k\x80w"])
def test_a_body_that_is_not_text_is_a_422_like_malformed_json(
    client: TestClient, body: bytes
) -> None:
    response = client.post(
        f"{API}/auth/otp/request", content=body, headers={"content-type": "application/json"}
    )
    [problem] = assert_error(response, 422, "invalid")["detail"]
    assert (problem["type"], problem["loc"][0]) == ("json_invalid", "body")


def test_a_body_above_the_limit_is_a_413_before_parsing(client: TestClient) -> None:
    body = b'{"phone": "' + b"9" * settings.MAX_REQUEST_BODY_BYTES + b'"}'
    response = client.post(
        f"{API}/auth/otp/request", content=body, headers={"content-type": "application/json"}
    )
    assert_error(response, 413, "payload_too_large")


def test_a_streamed_body_above_the_limit_is_a_413(client: TestClient) -> None:
    def chunks() -> Iterator[bytes]:
        for _ in range(settings.MAX_REQUEST_BODY_BYTES // 65536 + 2):
            yield b" " * 65536

    response = client.post(
        f"{API}/auth/otp/request", content=chunks(), headers={"content-type": "application/json"}
    )
    assert "content-length" not in response.request.headers
    assert_error(response, 413, "payload_too_large")


def test_a_body_within_the_limit_is_read(client: TestClient) -> None:
    body = b'{"phone": "not a phone"}' + b" " * (settings.MAX_REQUEST_BODY_BYTES - 100)
    response = client.post(
        f"{API}/auth/otp/request", content=body, headers={"content-type": "application/json"}
    )
    assert_error(response, 422, "invalid")


def test_the_menu_import_may_send_more(client: TestClient, session: Session) -> None:
    owner = make_user(session)
    venue = make_venue(session, owner=owner)
    padding = b" " * (settings.MAX_REQUEST_BODY_BYTES + 10)
    url = f"{API}/venues/{venue.id}/menus/import"
    headers = {"content-type": "application/json", **auth_headers(owner)}
    response = client.post(url, content=b'{"name": "Big"}' + padding, headers=headers)
    assert_error(response, 422, "invalid")  # read and validated: no categories
    too_big = b" " * (settings.MAX_MENU_IMPORT_BODY_BYTES + 10)
    response = client.post(url, content=b"{}" + too_big, headers=headers)
    assert_error(response, 413, "payload_too_large")


# --- strict types -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("avg_cost_for_two_minor", "100"),
        ("avg_cost_for_two_minor", 100.5),
        ("avg_cost_for_two_minor", 1e30),
        ("avg_cost_for_two_minor", 2**70),
        ("capacity", 2**70),
        ("capacity", True),
        ("drive_thru", 1),
        ("drive_thru", "true"),
        ("latitude", "12.9"),
    ],
)
def test_venue_numbers_and_flags_are_strict(
    client: TestClient, owner_headers: tuple[dict[str, str], uuid.UUID], field: str, value: Any
) -> None:
    headers, venue_id = owner_headers
    response = client.patch(f"{API}/venues/{venue_id}", headers=headers, json={field: value})
    body = assert_error(response, 422, "invalid")
    assert body["detail"][0]["loc"][:2] == ["body", field]


@pytest.mark.parametrize("value", ["0", "1700000000", "2026-1-1", "tomorrow"])
def test_a_date_in_a_query_is_an_iso_date(
    client: TestClient, owner_headers: tuple[dict[str, str], uuid.UUID], value: str
) -> None:
    headers, venue_id = owner_headers
    response = client.get(
        f"{API}/venues/{venue_id}/tables/scans", headers=headers, params={"date_to": value}
    )
    body = assert_error(response, 422, "invalid")
    assert body["detail"][0]["loc"] == ["query", "date_to"]


def test_a_date_time_in_a_body_is_not_a_number(client: TestClient, session: Session) -> None:
    owner = make_user(session)
    venue = make_venue(session, owner=owner)
    response = client.post(
        f"{API}/venues/{venue.id}/events",
        headers=auth_headers(owner),
        json={"title": "Gig", "starts_at": 0, "ends_at": 4102444800},
    )
    body = assert_error(response, 422, "invalid")
    assert {tuple(e["loc"]) for e in body["detail"]} >= {
        ("body", "starts_at"),
        ("body", "ends_at"),
    }


def test_opening_hours_are_hh_mm_both_ways(
    client: TestClient, owner_headers: tuple[dict[str, str], uuid.UUID]
) -> None:
    headers, venue_id = owner_headers
    url = f"{API}/venues/{venue_id}"
    hours = [{"weekday": "friday", "opens": "22:00", "closes": "02:00"}]
    response = client.patch(url, headers=headers, json={"opening_hours": hours})
    assert response.status_code == 200, response.text
    assert response.json()["opening_hours"] == hours
    for bad in ("22:00:00", "22:00+05:30", "7:00", "24:00"):
        wrong = [{"weekday": "friday", "opens": bad, "closes": "02:00"}]
        response = client.patch(url, headers=headers, json={"opening_hours": wrong})
        assert_error(response, 422, "invalid")
    schema = client.get(f"{API}/openapi.json").json()["components"]["schemas"]
    opens = schema["OpeningHours"]["properties"]["opens"]
    assert opens["type"] == "string"
    assert "format" not in opens


def test_fields_that_refuse_null_are_not_published_as_nullable(client: TestClient) -> None:
    schemas = client.get(f"{API}/openapi.json").json()["components"]["schemas"]
    for model, name in [
        ("VenueUpdate", "name"),
        ("ItemUpdate", "price_minor"),
        ("TableUpdate", "seats"),
        ("EventUpdate", "starts_at"),
        ("PosterUpdate", "priority"),
        ("MenuUpdate", "name"),
    ]:
        prop = schemas[model]["properties"][name]
        assert {"type": "null"} not in prop.get("anyOf", []), (model, prop)
    # What may be cleared with null still says so.
    assert {"type": "null"} in schemas["VenueUpdate"]["properties"]["description"]["anyOf"]


def test_a_menu_name_cannot_be_set_to_null(
    client: TestClient, owner_headers: tuple[dict[str, str], uuid.UUID]
) -> None:
    headers, venue_id = owner_headers
    menu = client.post(f"{API}/venues/{venue_id}/menus", headers=headers, json={"name": "Food"})
    assert menu.status_code == 201, menu.text
    response = client.patch(
        f"{API}/venues/{venue_id}/menus/{menu.json()['id']}", headers=headers, json={"name": None}
    )
    assert_error(response, 422, "invalid")


# --- public reads, 405 and OPTIONS ------------------------------------------------------


def test_public_reads_publish_an_optional_token(client: TestClient) -> None:
    paths = client.get(f"{API}/openapi.json").json()["paths"]
    for path in ("/venues/{venue_id}", "/venues/{venue_id}/menu", "/venues/{venue_id}/qsrs"):
        security = paths[API + path]["get"]["security"]
        assert {} in security, (path, security)
        assert len(security) > 1, (path, security)
    assert {} not in paths[API + "/users/me"]["get"]["security"]


def test_a_405_lists_every_method_of_the_path(
    client: TestClient, owner_headers: tuple[dict[str, str], uuid.UUID]
) -> None:
    headers, venue_id = owner_headers
    response = client.put(f"{API}/venues/{venue_id}", headers=headers)
    assert_error(response, 405, "method_not_allowed")
    assert response.headers["allow"] == "DELETE, GET, OPTIONS, PATCH"
    # A literal segment where an id could stand: /venues/mine only has GET.
    response = client.patch(f"{API}/venues/mine", headers=headers, json={})
    assert_error(response, 405, "method_not_allowed")
    assert response.headers["allow"] == "GET, OPTIONS"


def test_options_answers_with_the_methods(client: TestClient) -> None:
    response = client.options(f"{API}/venues/{uuid.uuid4()}")
    assert response.status_code == 204
    assert response.headers["allow"] == "DELETE, GET, OPTIONS, PATCH"
    response = client.options(f"{API}/no/such/path")
    assert_error(response, 404, "not_found")


def test_a_refused_cors_preflight_is_a_json_error() -> None:
    cfg = settings.model_copy(update={"BACKEND_CORS_ORIGINS": ["https://dash.example.com"]})
    with TestClient(create_app(cfg)) as client:
        response = client.options(
            f"{API}/venues",
            headers={
                "Origin": "https://evil.example.com",
                "Access-Control-Request-Method": "POST",
            },
        )
        body = assert_error(response, 400, "cors_refused")
        assert "origin" in body["detail"]
        allowed = client.options(
            f"{API}/venues",
            headers={
                "Origin": "https://dash.example.com",
                "Access-Control-Request-Method": "POST",
            },
        )
        assert allowed.status_code == 200


def test_a_whole_number_written_with_a_point_is_that_integer(
    session: Session, client: TestClient
) -> None:
    """JSON Schema's `integer` admits 2.0 (it is 2); 2.5 and "2" are not integers."""
    from tests.factories.bookings import make_offering, make_pool
    from tests.factories.places import make_event

    event = make_event(session, venue=make_venue(session, kind=VenueKind.NIGHTCLUB))
    offering = make_offering(session, event=event, pools=[make_pool(session, event=event)])
    headers = auth_headers(make_consumer(session))
    url = f"{API}/events/{event.id}/bookings"
    for bad in (2.5, "2", True, 1e400):
        body = json.dumps({"items": [{"offering_id": str(offering.id), "quantity": bad}]})
        refused = client.post(
            url, content=body, headers={**headers, "content-type": "application/json"}
        )
        assert refused.status_code == 422, (bad, refused.text)
    booked = client.post(
        url, json={"items": [{"offering_id": str(offering.id), "quantity": 2.0}]}, headers=headers
    )
    assert booked.status_code == 201, booked.text
    assert booked.json()["booking"]["items"][0]["quantity"] == 2
