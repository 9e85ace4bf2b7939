"""Every error leaves the API in one shape, `{"error": code, "detail": ...}`."""

from __future__ import annotations

import logging
from collections.abc import Iterator

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from pydantic import BaseModel
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeoutError

from app.core.config import settings
from app.core.errors import (
    BadRequest,
    Conflict,
    NotAuthenticated,
    NotFound,
    PermissionDenied,
    ServiceUnavailable,
    TooManyRequests,
    Unprocessable,
)
from app.main import create_app
from tests.utils import assert_error

SECRET_IN_TRACEBACK = "password=hunter2 at db.internal:5432"


class Payload(BaseModel):
    name: str
    size: int


@pytest.fixture(scope="module")
def throwaway_app() -> FastAPI:
    """A separate app from the real factory, with routes that fail on purpose."""
    app = create_app(settings)

    @app.get("/boom")
    def boom() -> None:
        raise RuntimeError(SECRET_IN_TRACEBACK)

    @app.get("/integrity")
    def integrity() -> None:
        raise IntegrityError("INSERT INTO venue ...", {}, Exception("duplicate key value"))

    @app.get("/operational")
    def operational() -> None:
        raise OperationalError("SELECT 1", {}, Exception("connection refused"))

    @app.get("/pool-timeout")
    def pool_timeout() -> None:
        raise PoolTimeoutError("QueuePool limit reached")

    @app.post("/payload")
    def payload(body: Payload) -> Payload:
        return body

    @app.get("/app-error/{kind}")
    def app_error(kind: str) -> None:
        errors = {
            "bad": BadRequest("Bad"),
            "unauth": NotAuthenticated(),
            "denied": PermissionDenied(),
            "missing": NotFound("venue"),
            "conflict": Conflict("Taken"),
            "invalid": Unprocessable("in the past", loc=("body", "starts_at")),
            "slow-down": TooManyRequests(retry_after=0),
            "unavailable": ServiceUnavailable(),
        }
        raise errors[kind]

    return app


@pytest.fixture
def errors_client(throwaway_app: FastAPI) -> Iterator[TestClient]:
    with TestClient(throwaway_app, raise_server_exceptions=False) as client:
        yield client


def test_500_has_the_error_shape_and_a_request_id_but_no_internals(
    errors_client: TestClient, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.ERROR, logger="app.core.errors")
    response = errors_client.get("/boom", headers={"X-Request-ID": "req-500-test"})
    body = assert_error(response, 500, "internal_error")
    assert "req-500-test" in body["detail"]
    assert response.headers["x-request-id"] == "req-500-test"
    assert "hunter2" not in response.text
    assert "RuntimeError" not in response.text
    assert "Traceback" not in response.text

    records = [r for r in caplog.records if r.name == "app.core.errors"]
    assert len(records) == 1
    record = records[0]
    assert getattr(record, "request_id", None) == "req-500-test" or (
        "req-500-test" in record.getMessage()
    )
    assert record.exc_info is not None
    assert "hunter2" in caplog.text  # the traceback is in the log, not in the response


def test_500_keeps_cors_headers(errors_client: TestClient) -> None:
    origin = settings.BACKEND_CORS_ORIGINS[0]
    response = errors_client.get("/boom", headers={"Origin": origin})
    assert response.status_code == 500
    assert response.headers["access-control-allow-origin"] == origin


def test_422_keeps_the_field_list_under_detail(errors_client: TestClient) -> None:
    response = errors_client.post("/payload", json={"name": "x", "size": "big"})
    body = assert_error(response, 422, "invalid")
    assert isinstance(body["detail"], list)
    (error,) = body["detail"]
    assert error["loc"] == ["body", "size"]
    assert error["type"] == "int_parsing"
    assert "msg" in error


def test_422_for_a_body_that_is_not_json(errors_client: TestClient) -> None:
    response = errors_client.post(
        "/payload", content=b"{not json", headers={"Content-Type": "application/json"}
    )
    body = assert_error(response, 422, "invalid")
    assert body["detail"][0]["type"] == "json_invalid"


def test_integrity_error_is_a_409(errors_client: TestClient) -> None:
    body = assert_error(errors_client.get("/integrity"), 409, "conflict")
    assert "duplicate" not in body["detail"]


@pytest.mark.parametrize("path", ["/operational", "/pool-timeout"])
def test_database_unavailable_is_a_503(errors_client: TestClient, path: str) -> None:
    response = errors_client.get(path)
    body = assert_error(response, 503, "database_unavailable")
    assert "refused" not in body["detail"]
    assert response.headers["retry-after"] == "5"


@pytest.mark.parametrize(
    ("kind", "status", "code"),
    [
        ("bad", 400, "bad_request"),
        ("unauth", 401, "not_authenticated"),
        ("denied", 403, "permission_denied"),
        ("missing", 404, "not_found"),
        ("conflict", 409, "conflict"),
        ("invalid", 422, "invalid"),
        ("slow-down", 429, "rate_limited"),
        ("unavailable", 503, "service_unavailable"),
    ],
)
def test_app_errors(errors_client: TestClient, kind: str, status: int, code: str) -> None:
    assert_error(errors_client.get(f"/app-error/{kind}"), status, code)


def test_app_error_details_and_headers(errors_client: TestClient) -> None:
    unauth = errors_client.get("/app-error/unauth")
    assert unauth.headers["www-authenticate"] == "Bearer"
    assert assert_error(errors_client.get("/app-error/missing"), 404)["detail"] == (
        "Venue not found"
    )
    assert errors_client.get("/app-error/slow-down").headers["retry-after"] == "1"
    # A check outside Pydantic answers the same list of field errors as Pydantic.
    assert assert_error(errors_client.get("/app-error/invalid"), 422)["detail"] == [
        {"loc": ["body", "starts_at"], "msg": "in the past", "type": "invalid"}
    ]


def test_unknown_route_and_wrong_method(errors_client: TestClient) -> None:
    assert assert_error(errors_client.get("/nope"), 404, "not_found")["detail"] == (
        "No such endpoint"
    )
    assert_error(errors_client.put("/boom"), 405, "method_not_allowed")


def test_422_for_a_body_that_is_not_utf8(errors_client: TestClient) -> None:
    response = errors_client.post(
        "/payload", content=b"\xff\xfe", headers={"Content-Type": "text/plain"}
    )
    body = assert_error(response, 422, "invalid")
    assert body["detail"][0]["loc"] == ["body"]


def test_openapi_documents_the_error_shape(throwaway_app: FastAPI) -> None:
    schemas = throwaway_app.openapi()["components"]["schemas"]
    for name in ("ErrorResponse", "ValidationErrorResponse"):
        assert schemas[name]["required"] == ["error", "detail"]
        assert set(schemas[name]["properties"]) == {"error", "detail"}
    assert schemas["ValidationErrorResponse"]["properties"]["detail"]["items"] == {
        "$ref": "#/components/schemas/FieldError"
    }
    assert "HTTPValidationError" not in schemas
