"""The application factory: routers, middleware, error handlers."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import anyio.to_thread
from fastapi import FastAPI
from fastapi.dependencies.models import Dependant
from fastapi.routing import APIRoute, iter_route_contexts

from app.api.deps import get_current_user
from app.api.main import api_router
from app.core.config import Settings, settings
from app.core.db import db_slots
from app.core.errors import (
    UnhandledErrorMiddleware,
    document_error_shape,
    install_error_handlers,
)
from app.core.logging import configure_logging
from app.core.middleware import BodyLimitMiddleware, JsonCORSMiddleware, RequestIdMiddleware
from app.web import docs, web_router


def custom_generate_unique_id(route: APIRoute) -> str:
    """Stable operation ids, `{tag}-{name}`, for the generated client."""
    tag = route.tags[0] if route.tags else "default"
    return f"{tag}-{route.name}"


def create_app(cfg: Settings = settings) -> FastAPI:
    configure_logging(cfg)
    if cfg.SENTRY_DSN and cfg.is_production:
        import sentry_sdk

        sentry_sdk.init(dsn=str(cfg.SENTRY_DSN), environment=cfg.ENVIRONMENT.value)

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        # Sync endpoints run on this many threads; kept above the database slots
        # (pool_size + max_overflow) so a request holding a connection always
        # finds a thread. See app/core/db.py.
        anyio.to_thread.current_default_thread_limiter().total_tokens = cfg.THREADPOOL_SIZE
        db_slots.reset()
        yield

    app = FastAPI(
        title=cfg.PROJECT_NAME,
        description="Socia API: venues, menus, tables, events and posters near you.",
        version="0.1.0",
        openapi_url=f"{cfg.API_V1_STR}/openapi.json",
        # Served by app/web/docs.py with local assets (no CDN).
        docs_url=None,
        redoc_url=None,
        generate_unique_id_function=custom_generate_unique_id,
        lifespan=lifespan,
        # No validator badge: it would fetch validator.swagger.io.
        swagger_ui_parameters={"persistAuthorization": True, "validatorUrl": None},
    )
    install_error_handlers(app)
    # Innermost first: the 500 handler runs inside CORS and the request id.
    app.add_middleware(UnhandledErrorMiddleware)
    app.add_middleware(
        BodyLimitMiddleware,
        max_body_bytes=cfg.MAX_REQUEST_BODY_BYTES,
        allowances=[
            (f"{cfg.API_V1_STR}/venues/[^/]+/menus/import", cfg.MAX_MENU_IMPORT_BODY_BYTES)
        ],
    )
    if cfg.BACKEND_CORS_ORIGINS:
        app.add_middleware(
            JsonCORSMiddleware,
            allow_origins=cfg.BACKEND_CORS_ORIGINS,
            allow_credentials="*" not in cfg.BACKEND_CORS_ORIGINS,
            allow_methods=["*"],
            allow_headers=["*"],
            expose_headers=["X-Request-ID", "ETag", "Retry-After"],
        )
    app.add_middleware(RequestIdMiddleware)
    app.include_router(api_router, prefix=cfg.API_V1_STR)
    app.include_router(web_router)
    docs.install(app)
    _document_errors(app)
    return app


def _document_errors(app: FastAPI) -> None:
    """Publish the real error shape in the OpenAPI schema (see core/errors.py)."""
    build = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            app.openapi_schema = _document_optional_auth(app, document_error_shape(build()))
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]


def _needs_sign_in(dependant: Dependant) -> bool:
    """Whether a route's dependencies include the required sign-in (`get_current_user`).
    `get_optional_user` reads the same token but calls it only when one is sent."""
    return any(
        sub.call is get_current_user or _needs_sign_in(sub) for sub in dependant.dependencies
    )


def _document_optional_auth(app: FastAPI, openapi_schema: dict[str, Any]) -> dict[str, Any]:
    """Operations where a token is optional (public reads that show more to members)
    list the empty requirement `{}` too: anonymous calls are allowed."""
    prefix = app.openapi_url.rsplit("/", 1)[0] if app.openapi_url else ""
    paths = openapi_schema.get("paths", {})
    for route in iter_route_contexts(app.routes):
        if not isinstance(route.original_route, APIRoute) or _needs_sign_in(route.dependant):
            continue
        path = route.path_format or ""
        for method in route.methods or ():
            operation = paths.get(path, paths.get(path.removeprefix(prefix), {})).get(
                method.lower()
            )
            if operation and operation.get("security") and {} not in operation["security"]:
                operation["security"] = [{}, *operation["security"]]
    return openapi_schema


app = create_app()
