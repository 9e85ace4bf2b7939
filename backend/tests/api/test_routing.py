"""The app's one flat route table (app/api/routing.py)."""

from __future__ import annotations

import pytest
from fastapi import APIRouter, FastAPI
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient
from starlette.routing import Mount
from starlette.staticfiles import StaticFiles

from app.api.main import routers
from app.api.routing import include_flat
from app.core.config import settings
from app.main import app
from app.web import web_routers


def test_every_route_of_every_router_is_a_route_of_the_app_itself() -> None:
    top = {
        (r.path, frozenset(r.methods or ())) for r in app.router.routes if isinstance(r, APIRoute)
    }
    for router in routers:
        for route in router.routes:
            assert isinstance(route, APIRoute)
            assert (settings.API_V1_STR + route.path, frozenset(route.methods or ())) in top
    for router in web_routers:
        for route in router.routes:
            assert isinstance(route, APIRoute)
            assert (route.path, frozenset(route.methods or ())) in top
    # Nothing is left as a nested router for a request to walk.
    assert all(
        isinstance(r, APIRoute) or not hasattr(r, "original_router") for r in app.router.routes
    )


def test_pages_stay_out_of_the_openapi_document() -> None:
    paths = app.openapi()["paths"]
    assert not [p for p in paths if not p.startswith(settings.API_V1_STR)]
    page_paths = {
        r.path for router in web_routers for r in router.routes if isinstance(r, APIRoute)
    }
    assert page_paths
    added = [r for r in app.router.routes if isinstance(r, APIRoute) and r.path in page_paths]
    assert added
    assert not [r.path for r in added if r.include_in_schema]


def test_a_flat_route_keeps_its_settings_and_answers() -> None:
    router = APIRouter(prefix="/things", tags=["things"])

    @router.post("/{thing_id}", status_code=201, summary="Make a thing")
    def make(thing_id: int) -> dict[str, int]:
        return {"id": thing_id}

    target = FastAPI()
    include_flat(target.router, router, prefix="/v9")
    (route,) = [r for r in target.router.routes if isinstance(r, APIRoute)]
    assert (route.path, route.status_code, route.tags, route.summary) == (
        "/v9/things/{thing_id}",
        201,
        ["things"],
        "Make a thing",
    )
    with TestClient(target) as client:
        answer = client.post("/v9/things/7")
    assert (answer.status_code, answer.json()) == (201, {"id": 7})


def test_a_router_with_other_kinds_of_route_is_refused(tmp_path: object) -> None:
    router = APIRouter()
    router.routes.append(Mount("/static", app=StaticFiles(directory=str(tmp_path))))
    with pytest.raises(TypeError, match="only API routes"):
        include_flat(APIRouter(), router)
