"""One request base model for every body: unknown fields and NUL characters are refused
by every route that reads JSON."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient

from app.main import app
from app.schema.common import RequestModel
from tests.factories import auth_headers, make_user


def _subclasses(cls: type[Any]) -> set[str]:
    names = set()
    for sub in cls.__subclasses__():
        names |= {sub.__name__, *_subclasses(sub)}
    return names


def _json_bodies() -> list[tuple[str, str]]:
    """(operation, schema name) of every JSON request body in the OpenAPI document."""
    bodies = []
    for path, operations in app.openapi()["paths"].items():
        for method, operation in operations.items():
            content = operation.get("requestBody", {}).get("content", {})
            ref = content.get("application/json", {}).get("schema", {}).get("$ref")
            if ref:
                bodies.append((f"{method.upper()} {path}", ref.rsplit("/", 1)[-1]))
    return bodies


def test_there_are_json_bodies_to_check() -> None:
    assert len(_json_bodies()) >= 30


@pytest.mark.parametrize(("operation", "schema"), _json_bodies())
def test_every_json_body_is_a_request_model(operation: str, schema: str) -> None:
    assert schema in _subclasses(RequestModel), f"{operation} reads {schema}"


def test_a_nul_and_an_unknown_field_are_refused_in_a_body_that_allowed_them(
    client: TestClient, session: Any
) -> None:
    """PATCH /users/me (UserUpdate) was a plain BaseModel."""
    headers = auth_headers(make_user(session))
    nul = client.patch("/api/v1/users/me", json={"full_name": "A\x00B"}, headers=headers)
    assert nul.status_code == 422, nul.text
    unknown = client.patch("/api/v1/users/me", json={"nickname": "x"}, headers=headers)
    assert unknown.status_code == 422, unknown.text
