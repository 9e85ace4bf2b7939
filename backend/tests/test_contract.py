"""Contract fuzzing: every operation of the OpenAPI schema, in-process.

Schemathesis generates requests from the app's own schema (valid and invalid
ones) and fails on any 5xx and on any response that does not match the schema
it documents. New endpoints are covered automatically. Requests go through the
ASGI transport with the test session (rolled back afterwards), once anonymously
and once as a platform admin so that protected endpoints run past their guards.
"""

from __future__ import annotations

from typing import Any

import pytest
import schemathesis
from fastapi import FastAPI
from hypothesis import HealthCheck, Phase, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import response_schema_conformance
from sqlmodel import Session

from app.core.config import settings as app_settings
from app.main import app as fastapi_app
from tests.factories import auth_headers, make_user

schema = schemathesis.openapi.from_asgi(f"{app_settings.API_V1_STR}/openapi.json", fastapi_app)

CHECKS = [not_a_server_error, response_schema_conformance]
# Bounded so the whole run stays at a couple of minutes as the API grows. Anonymous
# calls to protected operations stop at the 401, so they need fewer examples.
COMMON: dict[str, Any] = {
    "deadline": None,
    "derandomize": True,
    "database": None,
    "phases": [Phase.explicit, Phase.generate],
    "suppress_health_check": list(HealthCheck),
}
ANONYMOUS = settings(max_examples=8, **COMMON)
AS_ADMIN = settings(max_examples=12, **COMMON)


@pytest.fixture
def superuser_headers(session: Session) -> dict[str, str]:
    return auth_headers(make_user(session, is_superuser=True))


@pytest.mark.slow
@schema.parametrize()
@ANONYMOUS
def test_api_anonymous(case: Any, app: FastAPI) -> None:
    assert app is fastapi_app  # the `app` fixture wires the test session in
    case.call_and_validate(checks=CHECKS)


@pytest.mark.slow
@schema.parametrize()
@AS_ADMIN
def test_api_as_superuser(case: Any, app: FastAPI, superuser_headers: dict[str, str]) -> None:
    assert app is fastapi_app
    case.call_and_validate(headers=superuser_headers, checks=CHECKS)
