"""The OpenAPI document is a contract a generated client can trust: every operation
documents the errors it can answer in the one error shape, 201s document
`Location`, ids and schema names are clean; and the error codes are stable."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session

import app as app_package
from app.core import errors
from app.core.config import settings
from app.main import create_app
from app.models.table import VenueTable
from tests.factories import auth_headers, make_user, make_venue
from tests.factories.menus import make_menu
from tests.factories.places import make_table
from tests.utils import assert_error

ERROR_SCHEMAS = {
    "#/components/schemas/ErrorResponse",
    "#/components/schemas/ValidationErrorResponse",
}
METHODS = {"get", "put", "post", "patch", "delete"}


@pytest.fixture(scope="module")
def document() -> dict[str, Any]:
    return create_app().openapi()


def _operations(document: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    return [
        (method.upper(), path, operation)
        for path, item in document["paths"].items()
        for method, operation in item.items()
        if method in METHODS
    ]


def _schema_ref(response: dict[str, Any]) -> str | None:
    ref = response.get("content", {}).get("application/json", {}).get("schema", {}).get("$ref")
    return ref if isinstance(ref, str) else None


def _problems(method: str, path: str, operation: dict[str, Any]) -> list[str]:
    where = f"{method} {path}"
    responses = operation["responses"]
    problems: list[str] = []
    if operation.get("security") and "401" not in responses:
        problems.append(f"{where}: has a security requirement but documents no 401")
    if (operation.get("parameters") or operation.get("requestBody")) and (
        _schema_ref(responses.get("422", {})) != "#/components/schemas/ValidationErrorResponse"
    ):
        problems.append(f"{where}: takes input but documents no 422 field-error list")
    if any(p["in"] == "path" for p in operation.get("parameters", [])) and "404" not in responses:
        problems.append(f"{where}: names an object in its path but documents no 404")
    for status, response in responses.items():
        if status[0] in "45" and _schema_ref(response) not in ERROR_SCHEMAS:
            problems.append(f"{where}: its {status} is not in the ErrorResponse shape")
        if status[0] in "45":
            examples = response["content"]["application/json"].get("examples", {})
            unknown = set(examples) - set(errors.REGISTRY)
            if not examples or unknown:
                problems.append(f"{where}: its {status} lists no known error codes {unknown}")
    if "201" in responses and "Location" not in responses["201"].get("headers", {}):
        problems.append(f"{where}: a 201 without a documented Location header")
    return problems


def test_every_operation_documents_its_errors(document: dict[str, Any]) -> None:
    problems = [p for op in _operations(document) for p in _problems(*op)]
    assert problems == []


def test_the_check_catches_an_undocumented_error() -> None:
    operation = {
        "security": [{"AccessToken": []}],
        "parameters": [{"in": "path", "name": "venue_id"}],
        "responses": {
            "201": {"description": "Created"},
            "409": {"content": {"application/json": {"schema": {"$ref": "#/x/Other"}}}},
        },
    }
    problems = _problems("POST", "/x/{venue_id}", operation)
    assert len(problems) == 6, problems


def test_every_operation_documents_the_database_answer(document: dict[str, Any]) -> None:
    missing = [
        f"{method} {path}"
        for method, path, operation in _operations(document)
        if path != f"{settings.API_V1_STR}/utils/health" and "503" not in operation["responses"]
    ]
    assert missing == []


def test_route_specific_errors_are_documented(document: dict[str, Any]) -> None:
    create_table = document["paths"][f"{settings.API_V1_STR}/venues/{{venue_id}}/tables"]["post"]
    conflict = create_table["responses"]["409"]
    assert set(conflict["content"]["application/json"]["examples"]) == {"table_label_taken"}
    assert "`table_label_taken`" in conflict["description"]
    forbidden = create_table["responses"]["403"]["content"]["application/json"]["examples"]
    assert set(forbidden) == {"venue_role_required"}
    limited = document["paths"][f"{settings.API_V1_STR}/posters/events"]["post"]["responses"]
    assert "Retry-After" in limited["429"]["headers"]


def test_operation_ids_are_unique_and_read_well(document: dict[str, Any]) -> None:
    ids = [operation["operationId"] for _, _, operation in _operations(document)]
    assert len(ids) == len(set(ids))
    assert all(re.fullmatch(r"[a-z]+-[a-z]+(_[a-z]+)*", i) for i in ids), ids
    assert {"venues-list_my", "venues-read", "tables-create", "posters-feed"} <= set(ids)


def test_schema_names_are_clean_for_typescript(document: dict[str, Any]) -> None:
    names = list(document["components"]["schemas"])
    assert [n for n in names if not re.fullmatch(r"[A-Z][A-Za-z0-9]*", n)] == []
    assert "VenueSummaryPage" in names
    assert "HTTPValidationError" not in names
    refs = re.findall(r'"#/components/schemas/([^"]+)"', json.dumps(document))
    assert set(refs) <= set(names)


def test_images_are_binary(document: dict[str, Any]) -> None:
    one_table = f"{settings.API_V1_STR}/venues/{{venue_id}}/tables/{{table_id}}"
    for suffix, media_type in (("/qr.png", "image/png"), ("/qr.svg", "image/svg+xml")):
        content = document["paths"][one_table + suffix]["get"]["responses"]["200"]["content"]
        assert content == {media_type: {"schema": {"type": "string", "format": "binary"}}}


# --- error codes ----------------------------------------------------------------------------


def test_error_codes_are_unique() -> None:
    with pytest.raises(TypeError, match="table_label_taken"):

        class _Again(errors.Conflict):
            code = "table_label_taken"

    assert all(kind.code == code for code, kind in errors.REGISTRY.items())


def test_every_domain_error_is_raised_somewhere() -> None:
    app_dir = Path(app_package.__file__).parent
    sources = "\n".join(
        path.read_text() for path in app_dir.rglob("*.py") if path.name != "errors.py"
    )
    core_errors = (app_dir / "core" / "errors.py").read_text()
    unused = [
        kind.__name__
        for kind in errors.REGISTRY.values()
        if not re.search(rf"\b{kind.__name__}\b", sources)
        and not re.search(rf"(?<!class ){kind.__name__}\(\)", core_errors)
    ]
    assert unused == []


# --- what the server sends -------------------------------------------------------------------


def test_a_created_object_has_its_location(session: Session, client: TestClient) -> None:
    owner = make_user(session)
    venue = make_venue(session, owner=owner)
    headers = auth_headers(owner)
    resp = client.post(
        f"/api/v1/venues/{venue.id}/tables", json={"label": "T1", "seats": 4}, headers=headers
    )
    assert resp.status_code == 201, resp.text
    assert resp.headers["Location"] == f"/api/v1/venues/{venue.id}/tables/{resp.json()['id']}"
    read = client.get(resp.headers["Location"], headers=headers)
    assert read.status_code == 200
    assert read.json()["id"] == resp.json()["id"]


def test_a_created_category_points_at_its_own_url(session: Session, client: TestClient) -> None:
    owner = make_user(session)
    venue = make_venue(session, owner=owner)
    menu = make_menu(session, venue=venue)
    resp = client.post(
        f"/api/v1/venues/{venue.id}/menus/{menu.id}/categories",
        json={"name": "Starters"},
        headers=auth_headers(owner),
    )
    assert resp.status_code == 201, resp.text
    category_id = resp.json()["id"]
    assert resp.headers["Location"] == f"/api/v1/venues/{venue.id}/categories/{category_id}"


def test_a_domain_error_has_its_own_code(session: Session, client: TestClient) -> None:
    owner = make_user(session)
    venue = make_venue(session, owner=owner)
    make_table(session, venue=venue, label="T1")
    resp = client.post(
        f"/api/v1/venues/{venue.id}/tables",
        json={"label": "T1", "seats": 4},
        headers=auth_headers(owner),
    )
    assert_error(resp, 409, "table_label_taken")


def test_a_check_outside_pydantic_answers_the_field_error_list(client: TestClient) -> None:
    body = assert_error(client.get("/api/v1/venues", params={"lat": 12.97}), 422, "invalid")
    assert body["detail"] == [
        {"loc": ["query", "lng"], "msg": "Send both lat and lng, or neither", "type": "invalid"}
    ]


def test_a_rule_failure_names_its_field(session: Session, client: TestClient) -> None:
    owner = make_user(session)
    venue = make_venue(session, owner=owner)
    resp = client.get(
        f"/api/v1/venues/{venue.id}/tables/scans",
        params={"date_from": "2026-02-01", "date_to": "2026-01-01"},
        headers=auth_headers(owner),
    )
    body = assert_error(resp, 422, "invalid_date_range")
    assert body["detail"] == [
        {
            "loc": ["query", "date_from"],
            "msg": "date_from must be on or before date_to",
            "type": "invalid_date_range",
        }
    ]


# --- constraint violations --------------------------------------------------------------------


def test_a_constraint_violation_maps_by_its_name(session: Session) -> None:
    venue = make_venue(session, owner=make_user(session))
    make_table(session, venue=venue, label="T1")

    def insert_again() -> None:
        with session.begin_nested():
            session.add(VenueTable(venue_id=venue.id, label="T1", seats=2))
            session.flush()

    with pytest.raises(IntegrityError) as caught:
        insert_again()
    assert errors.constraint_name(caught.value) == "uq_venue_table_venue_id_label"
    assert isinstance(errors.integrity_error(caught.value), errors.TableLabelTaken)


def test_an_unknown_constraint_is_a_generic_conflict(session: Session) -> None:
    session.execute(sa.text("CREATE TEMP TABLE pair (n int CONSTRAINT uq_pair_n UNIQUE)"))
    session.execute(sa.text("INSERT INTO pair VALUES (1)"))
    with pytest.raises(IntegrityError) as caught, session.begin_nested():
        session.execute(sa.text("INSERT INTO pair VALUES (1)"))
    error = errors.integrity_error(caught.value)
    assert errors.constraint_name(caught.value) == "uq_pair_n"
    assert type(error) is errors.Conflict
    assert error.code == "conflict"
