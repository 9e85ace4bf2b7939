"""The application factory: routers, middleware, error handlers."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import anyio.to_thread
from fastapi import FastAPI

from app.api.idempotency import check_routes
from app.api.main import routers as api_routers
from app.api.openapi import install_openapi, operation_id
from app.api.routing import include_flat
from app.core.config import Settings, settings
from app.core.db import db_slots
from app.core.errors import UnhandledErrorMiddleware, install_error_handlers
from app.core.logging import configure_logging
from app.core.middleware import BodyLimitMiddleware, JsonCORSMiddleware, RequestIdMiddleware
from app.services import live as live_service
from app.web import docs, web_routers

logger = logging.getLogger(__name__)


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
        if cfg.PUSH_PROVIDER == "console" and cfg.is_production:
            logger.warning("PUSH_PROVIDER=console: push notifications are only written to the log")
        # The one LISTEN connection of this process, feeding its live streams.
        if cfg.LIVE_LISTEN_AT_STARTUP:
            live_service.hub.start()
        try:
            yield
        finally:
            await live_service.hub.stop()

    app = FastAPI(
        title=cfg.PROJECT_NAME,
        description="Socia API: venues, menus, tables, events and posters near you.",
        version="0.1.0",
        openapi_url=f"{cfg.API_V1_STR}/openapi.json",
        # Served by app/web/docs.py with local assets (no CDN).
        docs_url=None,
        redoc_url=None,
        generate_unique_id_function=operation_id,
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
    # One flat route table: a request is matched once (`app.api.routing`).
    for router in api_routers:
        include_flat(app.router, router, prefix=cfg.API_V1_STR)
    for router in web_routers:
        include_flat(app.router, router, include_in_schema=False)
    check_routes(app)  # every route taking an Idempotency-Key can store its answers
    docs.install(app)
    install_openapi(app)
    return app


app = create_app()
