"""`Idempotency-Key` on a real route that writes to the database.

The money routes live in other modules; this mounts a small router of its own (on an
app built by `create_app`, so the real middleware, error handlers and OpenAPI steps
run) whose routes create venue tables and take `IdempotencyKeyDep`.
"""

from __future__ import annotations

import re
import threading
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from datetime import timedelta
from typing import Any

import pytest
import sqlalchemy as sa
from fastapi import APIRouter, FastAPI, Response
from fastapi.testclient import TestClient
from sqlalchemy import Engine
from sqlmodel import Session, col, func, select

from app.api import deps
from app.api.deps import SessionDep, commit
from app.api.idempotency import (
    IdempotencyKeyDep,
    IdempotentRoute,
    check_routes,
    parse_key,
    routes_missing_the_route_class,
)
from app.api.location import set_location
from app.core import jobs
from app.core.config import settings
from app.core.errors import Conflict, InvalidIdempotencyKey, ServiceUnavailable
from app.crud import table as table_crud
from app.main import create_app
from app.models import User, Venue
from app.models.base import utcnow
from app.models.payment import IdempotencyKey
from app.models.table import VenueTable
from app.schema.table import TableCreate, TableRead
from app.services import tasks
from tests.factories import auth_headers, make_user, make_venue
from tests.factories.jobs import queued_jobs, run_jobs
from tests.utils import assert_error

PREFIX = f"{settings.API_V1_STR}/idem"


class Gate:
    """Holds the `slow` route inside its transaction until the test lets it go."""

    def __init__(self) -> None:
        self.entered = threading.Event()
        self.release = threading.Event()


GATE = Gate()
RUNS: list[str] = []  # the key of every run of a route (a replay adds nothing)

router = APIRouter(prefix="/idem", tags=["idem"], route_class=IdempotentRoute)


@router.post("/venues/{venue_id}/tables", status_code=201, response_model=TableRead)
def create_table(
    venue_id: uuid.UUID,
    data: TableCreate,
    response: Response,
    session: SessionDep,
    key: IdempotencyKeyDep,
) -> VenueTable:
    table = table_crud.create(session, venue_id=venue_id, data=data)
    commit(session)
    set_location(response, f"/venues/{venue_id}/tables/{table.id}")
    RUNS.append(key.key)
    if data.label.startswith("slow"):
        GATE.entered.set()
        assert GATE.release.wait(30)
    return table


@router.post("/venues/{venue_id}/copies", status_code=201, response_model=TableRead)
def create_copy(
    venue_id: uuid.UUID, data: TableCreate, session: SessionDep, key: IdempotencyKeyDep
) -> VenueTable:
    """Another operation: the same key here is another key."""
    table = table_crud.create(
        session, venue_id=venue_id, data=data.model_copy(update={"label": f"{data.label}-copy"})
    )
    commit(session)
    RUNS.append(key.key)
    return table


@router.post("/venues/{venue_id}/refused", status_code=201, response_model=TableRead)
def write_then_refuse(
    venue_id: uuid.UUID, data: TableCreate, session: SessionDep, key: IdempotencyKeyDep
) -> VenueTable:
    """Commits a change and then answers a 4xx: the change stays, with its answer."""
    table_crud.create(session, venue_id=venue_id, data=data)
    commit(session)
    RUNS.append(key.key)
    raise Conflict("Kept, and refused")


@router.post("/venues/{venue_id}/broken", status_code=201, response_model=TableRead)
def write_then_fail(
    venue_id: uuid.UUID, data: TableCreate, session: SessionDep, key: IdempotencyKeyDep
) -> VenueTable:
    """Asks to commit, then fails: a 503 on purpose (`unavailable` label) or a bug."""
    table_crud.create(session, venue_id=venue_id, data=data)
    commit(session)
    RUNS.append(key.key)
    if data.label == "unavailable":
        raise ServiceUnavailable()
    raise RuntimeError("a bug after commit()")


@router.post("/venues/{venue_id}/midway", status_code=201, response_model=TableRead)
def commit_midway(
    venue_id: uuid.UUID, data: TableCreate, session: SessionDep, _key: IdempotencyKeyDep
) -> VenueTable:
    """Wrong: a real commit in the middle ends the transaction that holds the key."""
    table = table_crud.create(session, venue_id=venue_id, data=data)
    session.commit()
    commit(session)
    return table


def build_app() -> FastAPI:
    app = create_app()
    app.include_router(router, prefix=settings.API_V1_STR)
    check_routes(app)
    return app


@pytest.fixture(autouse=True)
def _fresh_runs() -> Iterator[None]:
    global GATE
    RUNS.clear()
    GATE = Gate()
    yield
    GATE.release.set()


@pytest.fixture(scope="module")
def built_app() -> FastAPI:
    """The app with this module's routes, built once (it holds no test's state)."""
    return build_app()


@pytest.fixture
def idem_app(built_app: FastAPI, session: Session, monkeypatch: pytest.MonkeyPatch) -> FastAPI:
    @contextmanager
    def request_session() -> Iterator[Session]:
        # As a request's own session: what the test wrote is there (released into the
        # test's transaction), and what the request did not commit is rolled back.
        session.commit()
        try:
            yield session
        finally:
            session.rollback()

    monkeypatch.setattr(deps.session_source, "request", request_session)
    return built_app


@pytest.fixture
def client(idem_app: FastAPI) -> Iterator[TestClient]:
    with TestClient(idem_app, raise_server_exceptions=False) as client:
        yield client


@pytest.fixture
def venue(session: Session) -> Venue:
    return make_venue(session)


@pytest.fixture
def user(session: Session) -> User:
    return make_user(session)


def headers(user: User, key: str | None = "key-1", **extra: str) -> dict[str, str]:
    sent = {**auth_headers(user), **extra}
    if key is not None:
        sent["Idempotency-Key"] = key
    return sent


def tables_url(venue: Venue, what: str = "tables") -> str:
    return f"{PREFIX}/venues/{venue.id}/{what}"


def table_count(session: Session, venue: Venue) -> int:
    return session.exec(
        select(func.count()).select_from(VenueTable).where(col(VenueTable.venue_id) == venue.id)
    ).one()


def stored_keys(session: Session, *, scope: str | None = None) -> list[IdempotencyKey]:
    query = select(IdempotencyKey).order_by(col(IdempotencyKey.created_at))
    if scope is not None:
        query = query.where(col(IdempotencyKey.scope) == scope)
    return list(session.exec(query))


BODY = {"label": "T1", "seats": 4}


# --- replay ------------------------------------------------------------------------------


def test_the_same_request_again_replays_the_first_answer_without_running_again(
    session: Session, client: TestClient, venue: Venue, user: User
) -> None:
    first = client.post(tables_url(venue), json=BODY, headers=headers(user))
    assert first.status_code == 201, first.text
    assert "Idempotent-Replayed" not in first.headers
    again = client.post(tables_url(venue), json=BODY, headers=headers(user))
    assert again.status_code == 201
    assert again.content == first.content
    assert again.headers["Location"] == first.headers["Location"]
    assert again.headers["Location"].endswith(f"/tables/{first.json()['id']}")
    assert again.headers["Content-Type"] == "application/json"
    assert again.headers["Idempotent-Replayed"] == "true"
    assert RUNS == ["key-1"]
    assert table_count(session, venue) == 1
    [row] = stored_keys(session)
    assert (row.scope, row.operation, row.key, row.response_status) == (
        str(user.id),
        "POST /idem/venues/{venue_id}/tables",
        "key-1",
        201,
    )


def test_the_body_is_compared_as_json_not_as_bytes(
    session: Session, client: TestClient, venue: Venue, user: User
) -> None:
    assert client.post(tables_url(venue), json=BODY, headers=headers(user)).status_code == 201
    reordered = b'{ "seats": 4,\n  "label": "T1" }'
    again = client.post(
        tables_url(venue),
        content=reordered,
        headers=headers(user, **{"Content-Type": "application/json"}),
    )
    assert again.status_code == 201
    assert again.headers["Idempotent-Replayed"] == "true"
    assert table_count(session, venue) == 1


def test_a_quoted_structured_field_string_is_the_same_key_as_the_bare_one(
    session: Session, client: TestClient, venue: Venue, user: User
) -> None:
    assert client.post(tables_url(venue), json=BODY, headers=headers(user, "k-42")).is_success
    again = client.post(tables_url(venue), json=BODY, headers=headers(user, '"k-42"'))
    assert again.headers["Idempotent-Replayed"] == "true"
    assert table_count(session, venue) == 1


def test_the_same_key_with_another_body_is_refused(
    session: Session, client: TestClient, venue: Venue, user: User
) -> None:
    assert client.post(tables_url(venue), json=BODY, headers=headers(user)).status_code == 201
    other = client.post(tables_url(venue), json={**BODY, "seats": 5}, headers=headers(user))
    body = assert_error(other, 422, "idempotency_key_reused")
    assert body["detail"][0]["loc"] == ["header", "Idempotency-Key"]
    assert table_count(session, venue) == 1


def test_the_same_key_on_another_path_is_another_request(
    session: Session, client: TestClient, user: User
) -> None:
    """The path parameters are part of the request: another venue is another body."""
    first, second = make_venue(session), make_venue(session)
    assert client.post(tables_url(first), json=BODY, headers=headers(user)).status_code == 201
    assert_error(
        client.post(tables_url(second), json=BODY, headers=headers(user)),
        422,
        "idempotency_key_reused",
    )
    assert table_count(session, second) == 0


def test_callers_have_their_own_keys(
    session: Session, client: TestClient, venue: Venue, user: User
) -> None:
    other = make_user(session)
    assert client.post(tables_url(venue), json=BODY, headers=headers(user)).status_code == 201
    theirs = client.post(tables_url(venue), json={**BODY, "label": "T2"}, headers=headers(other))
    assert theirs.status_code == 201
    assert "Idempotent-Replayed" not in theirs.headers
    # The same body too: it runs (and meets the label the first caller took).
    assert_error(
        client.post(tables_url(venue), json=BODY, headers=headers(other, "key-2")),
        409,
        "table_label_taken",
    )
    assert RUNS == ["key-1", "key-1"]
    assert table_count(session, venue) == 2


def test_operations_have_their_own_keys(
    session: Session, client: TestClient, venue: Venue, user: User
) -> None:
    assert client.post(tables_url(venue), json=BODY, headers=headers(user)).status_code == 201
    copy = client.post(tables_url(venue, "copies"), json=BODY, headers=headers(user))
    assert copy.status_code == 201
    assert copy.json()["label"] == "T1-copy"
    assert "Idempotent-Replayed" not in copy.headers
    assert RUNS == ["key-1", "key-1"]
    assert table_count(session, venue) == 2
    assert sorted(row.operation for row in stored_keys(session)) == [
        "POST /idem/venues/{venue_id}/copies",
        "POST /idem/venues/{venue_id}/tables",
    ]


def test_a_key_is_forgotten_after_its_time(
    session: Session, client: TestClient, venue: Venue, user: User
) -> None:
    assert client.post(tables_url(venue), json=BODY, headers=headers(user)).status_code == 201
    ttl = timedelta(hours=settings.IDEMPOTENCY_KEY_TTL_HOURS)
    session.execute(sa.update(IdempotencyKey).values(created_at=utcnow() - ttl))
    # Older than the TTL: a new request, even with another body.
    again = client.post(tables_url(venue), json={**BODY, "label": "T2"}, headers=headers(user))
    assert again.status_code == 201
    assert "Idempotent-Replayed" not in again.headers
    assert table_count(session, venue) == 2
    [row] = stored_keys(session)  # the old answer was replaced
    assert row.response_body == again.content


def test_a_key_just_within_its_time_still_replays(
    session: Session, client: TestClient, venue: Venue, user: User
) -> None:
    assert client.post(tables_url(venue), json=BODY, headers=headers(user)).status_code == 201
    almost = timedelta(hours=settings.IDEMPOTENCY_KEY_TTL_HOURS) - timedelta(minutes=1)
    session.execute(sa.update(IdempotencyKey).values(created_at=utcnow() - almost))
    again = client.post(tables_url(venue), json=BODY, headers=headers(user))
    assert again.headers["Idempotent-Replayed"] == "true"
    assert table_count(session, venue) == 1


# --- what is stored ----------------------------------------------------------------------


def test_a_refusal_that_changed_nothing_is_not_stored_and_may_be_retried(
    session: Session, client: TestClient, venue: Venue, user: User
) -> None:
    taken = client.post(tables_url(venue), json=BODY, headers=headers(user, "first"))
    assert taken.status_code == 201
    refused = client.post(tables_url(venue), json=BODY, headers=headers(user, "second"))
    assert_error(refused, 409, "table_label_taken")
    assert [row.key for row in stored_keys(session)] == ["first"]
    # The client removes the clash and retries the same request with the same key.
    session.execute(sa.delete(VenueTable).where(col(VenueTable.venue_id) == venue.id))
    retried = client.post(tables_url(venue), json=BODY, headers=headers(user, "second"))
    assert retried.status_code == 201
    assert "Idempotent-Replayed" not in retried.headers
    assert RUNS == ["first", "second"]


def test_an_answer_whose_changes_commit_is_stored_even_when_it_is_a_4xx(
    session: Session, client: TestClient, venue: Venue, user: User
) -> None:
    url = tables_url(venue, "refused")
    first = client.post(url, json=BODY, headers=headers(user))
    assert_error(first, 409, "conflict")
    again = client.post(url, json=BODY, headers=headers(user))
    assert_error(again, 409, "conflict")
    assert again.headers["Idempotent-Replayed"] == "true"
    assert RUNS == ["key-1"]
    assert table_count(session, venue) == 1


@pytest.mark.parametrize("label", ["unavailable", "crash"])
def test_a_5xx_is_never_stored_and_keeps_nothing_of_its_changes(
    session: Session, client: TestClient, venue: Venue, user: User, label: str
) -> None:
    url = tables_url(venue, "broken")
    first = client.post(url, json={**BODY, "label": label}, headers=headers(user))
    assert first.status_code == (503 if label == "unavailable" else 500)
    assert stored_keys(session) == []
    assert table_count(session, venue) == 0  # a retry starts from a clean slate
    again = client.post(url, json={**BODY, "label": label}, headers=headers(user))
    assert again.status_code == first.status_code
    assert RUNS == ["key-1", "key-1"]


def test_an_invalid_body_stores_nothing(
    session: Session, client: TestClient, venue: Venue, user: User
) -> None:
    bad = client.post(tables_url(venue), json={"label": "T1"}, headers=headers(user))
    assert_error(bad, 422, "invalid")
    assert stored_keys(session) == []
    assert client.post(tables_url(venue), json=BODY, headers=headers(user)).status_code == 201


def test_a_route_that_commits_in_the_middle_fails_loudly(
    session: Session, client: TestClient, venue: Venue, user: User
) -> None:
    answer = client.post(tables_url(venue, "midway"), json=BODY, headers=headers(user))
    assert_error(answer, 500, "internal_error")
    assert stored_keys(session) == []


# --- the header --------------------------------------------------------------------------


def test_a_missing_key_is_a_400_of_its_own(
    session: Session, client: TestClient, venue: Venue, user: User
) -> None:
    missing = client.post(tables_url(venue), json=BODY, headers=headers(user, key=None))
    body = assert_error(missing, 400, "idempotency_key_required")
    assert "Idempotency-Key" in body["detail"]
    assert table_count(session, venue) == 0


@pytest.mark.parametrize(
    "value",
    [
        "",
        "   ",
        "x" * 256,
        "a\tb",
        '""',
        '"a"b"',
        '"a\\b"',
        "clé".encode(),
    ],
)
def test_a_malformed_key_is_a_422_naming_the_header(
    session: Session, client: TestClient, venue: Venue, user: User, value: str | bytes
) -> None:
    sent: dict[str, Any] = {**auth_headers(user), "Idempotency-Key": value}
    body = assert_error(
        client.post(tables_url(venue), json=BODY, headers=sent), 422, "idempotency_key_invalid"
    )
    assert body["detail"][0]["loc"] == ["header", "Idempotency-Key"]
    assert table_count(session, venue) == 0


def test_the_longest_key_is_accepted(
    session: Session, client: TestClient, venue: Venue, user: User
) -> None:
    key = "k" * 255
    assert client.post(tables_url(venue), json=BODY, headers=headers(user, key)).status_code == 201
    assert [row.key for row in stored_keys(session)] == [key]


@pytest.mark.parametrize(
    ("raw", "key"),
    [
        ("abc", "abc"),
        (' "a b" ', "a b"),
        ('"say \\"hi\\" \\\\o/"', 'say "hi" \\o/'),
        ("a b", "a b"),
    ],
)
def test_keys_are_read_bare_or_as_structured_field_strings(raw: str, key: str) -> None:
    assert parse_key(raw) == key


def test_parse_key_refuses_what_is_not_printable_ascii() -> None:
    with pytest.raises(InvalidIdempotencyKey):
        parse_key("\x7f")


def test_anonymous_callers_cannot_use_these_routes(
    session: Session, client: TestClient, venue: Venue
) -> None:
    anonymous = client.post(tables_url(venue), json=BODY, headers={"Idempotency-Key": "k"})
    assert_error(anonymous, 401, "not_authenticated")
    assert table_count(session, venue) == 0


# --- wiring and documentation ------------------------------------------------------------


def test_a_route_without_the_route_class_is_refused_at_startup() -> None:
    plain = APIRouter(prefix="/plain", tags=["plain"])

    @plain.post("/things")
    def make_thing(_key: IdempotencyKeyDep) -> None:
        return None

    app = create_app()
    app.include_router(plain, prefix=settings.API_V1_STR)
    assert routes_missing_the_route_class(app.routes) == ["POST /api/v1/plain/things"]
    with pytest.raises(RuntimeError, match="route_class=IdempotentRoute"):
        check_routes(app)


def test_the_app_itself_passes_the_check() -> None:
    check_routes(create_app())


def test_the_header_is_documented_as_required_with_its_errors(idem_app: FastAPI) -> None:
    operation = idem_app.openapi()["paths"][f"{PREFIX}/venues/{{venue_id}}/tables"]["post"]
    [header] = [p for p in operation["parameters"] if p["in"] == "header"]
    assert header["name"] == "Idempotency-Key"
    assert header["required"] is True
    assert header["schema"]["type"] == "string"
    assert header["schema"]["maxLength"] == 255
    assert re.fullmatch(header["schema"]["pattern"], "8e03978e-40d5-43e8-bc93-6894a57f9324")
    assert not re.fullmatch(header["schema"]["pattern"], " padded ")
    responses = operation["responses"]
    assert set(responses["201"]["headers"]) == {"Location", "Idempotent-Replayed"}
    examples = {
        status: set(responses[status]["content"]["application/json"]["examples"])
        for status in ("400", "401", "409", "422")
    }
    assert "idempotency_key_required" in examples["400"]
    assert "not_authenticated" in examples["401"]
    assert "idempotency_key_in_use" in examples["409"]
    assert {"idempotency_key_invalid", "idempotency_key_reused", "invalid"} <= examples["422"]
    assert "Retry-After" in responses["409"]["headers"]


# --- the prune job -----------------------------------------------------------------------


def test_expired_keys_are_pruned_every_hour(session: Session, user: User) -> None:
    periodic = {p.task.name: p.cron for p in jobs.queue.periodic_registry.periodic_tasks.values()}
    assert periodic["prune_idempotency_keys"] == "41 * * * *"
    ttl = timedelta(hours=settings.IDEMPOTENCY_KEY_TTL_HOURS)
    for key, age in [("old", ttl + timedelta(minutes=1)), ("fresh", ttl - timedelta(minutes=1))]:
        session.add(
            IdempotencyKey(
                scope=str(user.id),
                operation="POST /x",
                key=key,
                request_hash="0" * 64,
                response_status=201,
                response_body=b"{}",
                created_at=utcnow() - age,
            )
        )
    session.flush()
    jobs.defer(session, tasks.prune_idempotency_keys, timestamp=int(utcnow().timestamp()))
    assert [job.task_name for job in queued_jobs(session)] == ["prune_idempotency_keys"]
    assert run_jobs(session) == 1
    assert [row.key for row in stored_keys(session)] == ["fresh"]


# --- concurrency: real requests on separate connections ----------------------------------


@pytest.fixture
def committed(engine: Engine) -> Iterator[tuple[Venue, User]]:
    """A venue and a user committed for real (the requests use their own connections),
    deleted afterwards with what the requests wrote."""
    with Session(engine, expire_on_commit=False) as setup:
        user = make_user(setup)
        venue = make_venue(setup)
        setup.commit()
    yield venue, user
    with Session(engine) as cleanup:
        cleanup.execute(sa.delete(IdempotencyKey).where(col(IdempotencyKey.scope) == str(user.id)))
        cleanup.execute(sa.delete(VenueTable).where(col(VenueTable.venue_id) == venue.id))
        cleanup.execute(sa.delete(Venue).where(col(Venue.id) == venue.id))
        cleanup.execute(sa.delete(User).where(col(User.id) == user.id))
        cleanup.commit()


@pytest.fixture
def real_client(engine: Engine) -> Iterator[TestClient]:
    """The app on the real engine: every request gets its own session and connection."""
    assert engine is not None
    with TestClient(build_app(), raise_server_exceptions=False) as client:
        yield client


def _count(engine: Engine, venue: Venue) -> int:
    with Session(engine) as check:
        return table_count(check, venue)


@pytest.mark.slow
def test_a_retry_while_the_first_request_runs_is_a_409_and_never_a_second_write(
    engine: Engine, real_client: TestClient, committed: tuple[Venue, User]
) -> None:
    venue, user = committed
    body = {"label": "slow-1", "seats": 2}
    with ThreadPoolExecutor(max_workers=1) as pool:
        first = pool.submit(real_client.post, tables_url(venue), json=body, headers=headers(user))
        assert GATE.entered.wait(30), "the first request never reached its route"
        # The first request has written its table and holds the key, uncommitted.
        during = real_client.post(tables_url(venue), json=body, headers=headers(user))
        assert_error(during, 409, "idempotency_key_in_use")
        assert during.headers["Retry-After"] == "1"
        GATE.release.set()
        answered = first.result(timeout=30)
    assert answered.status_code == 201, answered.text
    after = real_client.post(tables_url(venue), json=body, headers=headers(user))
    assert after.status_code == 201
    assert after.headers["Idempotent-Replayed"] == "true"
    assert after.content == answered.content
    assert after.headers["Location"] == answered.headers["Location"]
    assert RUNS == ["key-1"]
    assert _count(engine, venue) == 1


@pytest.mark.slow
def test_simultaneous_requests_with_one_key_write_once(
    engine: Engine, real_client: TestClient, committed: tuple[Venue, User]
) -> None:
    venue, user = committed
    contenders = 6
    barrier = threading.Barrier(contenders)

    def send(_: int) -> Any:
        barrier.wait()
        return real_client.post(
            tables_url(venue), json={"label": "race", "seats": 2}, headers=headers(user, "race")
        )

    with ThreadPoolExecutor(max_workers=contenders) as pool:
        answers = list(pool.map(send, range(contenders)))
    firsts = [a for a in answers if a.status_code == 201 and "Idempotent-Replayed" not in a.headers]
    replays = [a for a in answers if a.headers.get("Idempotent-Replayed") == "true"]
    busy = [a for a in answers if a.status_code == 409]
    assert len(firsts) == 1, [(a.status_code, a.text) for a in answers]
    assert len(firsts) + len(replays) + len(busy) == contenders
    assert all(a.json()["error"] == "idempotency_key_in_use" for a in busy)
    assert all(a.content == firsts[0].content for a in replays)
    assert RUNS == ["race"]
    assert _count(engine, venue) == 1
    with Session(engine) as check:
        [row] = stored_keys(check, scope=str(user.id))
        assert row.response_body == firsts[0].content
