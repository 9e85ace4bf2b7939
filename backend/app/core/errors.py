"""One error tree, rendered everywhere as `{"error": code, "detail": message}`."""

from __future__ import annotations

import logging
import math
import re
from collections.abc import Sequence
from datetime import date, time
from typing import Any

from fastapi import FastAPI, Request
from fastapi.encoders import jsonable_encoder
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from fastapi.routing import iter_route_contexts
from pydantic import BaseModel, Field
from sqlalchemy.exc import DataError, IntegrityError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeoutError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.routing import Match
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.core.request_context import get_request_id

logger = logging.getLogger(__name__)


class AppError(Exception):
    """Base of every error the API answers with on purpose."""

    status_code: int = 400
    code: str = "bad_request"
    headers: dict[str, str] | None = None

    def __init__(self, detail: Any = None, *, headers: dict[str, str] | None = None) -> None:
        self.detail = detail if detail is not None else self.default_detail()
        if headers is not None:
            self.headers = headers
        super().__init__(str(self.detail))

    def default_detail(self) -> str:
        return self.code.replace("_", " ").capitalize()


class BadRequest(AppError):
    status_code = 400
    code = "bad_request"


class NotAuthenticated(AppError):
    status_code = 401
    code = "not_authenticated"
    headers = {"WWW-Authenticate": "Bearer"}

    def default_detail(self) -> str:
        return "Not authenticated"


class PermissionDenied(AppError):
    status_code = 403
    code = "permission_denied"

    def default_detail(self) -> str:
        return "You do not have permission to do this"


class NotFound(AppError):
    """An object that does not exist, or that the caller may not know exists."""

    status_code = 404
    code = "not_found"

    def __init__(self, what: str = "resource", **kwargs: Any) -> None:
        self.what = what
        super().__init__(f"{what.capitalize()} not found", **kwargs)


class Conflict(AppError):
    status_code = 409
    code = "conflict"


class Unprocessable(AppError):
    """A business-rule failure about the payload that Pydantic cannot see."""

    status_code = 422
    code = "invalid"


class TooManyRequests(AppError):
    status_code = 429
    code = "rate_limited"

    def __init__(self, detail: str = "Too many requests", *, retry_after: int) -> None:
        self.retry_after = max(1, retry_after)
        super().__init__(detail, headers={"Retry-After": str(self.retry_after)})


class ServiceUnavailable(AppError):
    status_code = 503
    code = "service_unavailable"


class ErrorResponse(BaseModel):
    """The one error shape: a stable machine code and a human (or field-list) detail."""

    error: str = Field(description="Stable machine-readable code, e.g. `not_found`, `invalid`")
    detail: Any = Field(
        description="A message, or for `invalid` payloads FastAPI's list of field errors"
    )


def document_error_shape(openapi_schema: dict[str, Any]) -> dict[str, Any]:
    """Make the schema describe the errors the API really sends.

    FastAPI documents every 422 as `HTTPValidationError` (`{"detail": [...]}`); ours
    are `{"error": "invalid", "detail": ...}`, so that component is replaced.
    """
    schemas = openapi_schema.setdefault("components", {}).setdefault("schemas", {})
    shape = ErrorResponse.model_json_schema(ref_template="#/components/schemas/{model}")
    schemas["ErrorResponse"] = shape
    if "HTTPValidationError" in schemas:
        schemas["HTTPValidationError"] = {**shape, "title": "HTTPValidationError"}
    return openapi_schema


def error_body(code: str, detail: Any) -> dict[str, Any]:
    return {"error": code, "detail": detail}


_HTTP_CODES = {
    400: "bad_request",
    401: "not_authenticated",
    403: "permission_denied",
    404: "not_found",
    405: "method_not_allowed",
    406: "not_acceptable",
    409: "conflict",
    413: "payload_too_large",
    415: "unsupported_media_type",
    422: "invalid",
    429: "rate_limited",
}


def _app_error(_request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, AppError)
    return JSONResponse(
        error_body(exc.code, jsonable_encoder(exc.detail)),
        status_code=exc.status_code,
        headers=exc.headers,
    )


def _http_error(_request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, StarletteHTTPException)
    code = _HTTP_CODES.get(exc.status_code, "http_error")
    detail = exc.detail
    if exc.status_code == 404 and detail == "Not Found":
        detail = "No such endpoint"
    return JSONResponse(error_body(code, detail), status_code=exc.status_code, headers=exc.headers)


def _validation_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, RequestValidationError)
    errors = exc.errors()
    if any(e.get("loc", ("",))[0] == "path" for e in errors):
        # `PATCH /venues/mine` reaches `PATCH /venues/{venue_id}` only because "mine" is
        # tried as an id: the path names another resource, which does not allow PATCH.
        allowed = _allowed_methods(request)
        if allowed and request.method not in allowed:
            return _allow_answer(request, allowed)
    return JSONResponse(error_body("invalid", field_errors(errors)), status_code=422)


# --- what a 422 may echo ----------------------------------------------------------------

# Fields whose value is never sent back, whatever its problem: a name (any part of an
# error's location) equal to one of these, or ending in `_password`, `_token`, `_secret`.
SECRET_FIELDS = frozenset(
    {"password", "code", "token", "refresh_token", "access_token", "secret", "otp"}
)
_SECRET_SUFFIXES = ("password", "_token", "_secret")
ECHO_MAX_CHARS = 200
ECHO_MAX_ITEMS = 20
ECHO_MAX_DEPTH = 4
MESSAGE_MAX_CHARS = 500


def is_secret_field(name: object) -> bool:
    if not isinstance(name, str):
        return False
    name = name.lower()
    return name in SECRET_FIELDS or name.endswith(_SECRET_SUFFIXES)


_LONE_SURROGATE = re.compile("[\ud800-\udfff]")


def safe_text(value: str, limit: int = ECHO_MAX_CHARS) -> str:
    """`value` cut to `limit` characters, lone surrogates (which UTF-8 cannot encode)
    replaced by U+FFFD."""
    cut = _LONE_SURROGATE.sub("\ufffd", value[:limit])
    return cut + "…" if len(value) > limit else cut


def safe_echo(value: Any, depth: int = 0) -> Any:
    """Input made safe to send back: bounded (long text cut, big containers trimmed,
    deep ones stopped) and always encodable as JSON (no lone surrogates, no NaN or
    infinities, bytes as text)."""
    if value is None or isinstance(value, bool | int):
        if isinstance(value, int) and not isinstance(value, bool) and abs(value) > 10**15:
            return safe_text(str(value), 40)  # exact, and no client loses precision
        return value
    if isinstance(value, float):
        return value if math.isfinite(value) else str(value)
    if isinstance(value, str):
        return safe_text(value)
    if isinstance(value, bytes | bytearray):
        return safe_text(bytes(value[: ECHO_MAX_CHARS * 4]).decode("utf-8", "replace"))
    if isinstance(value, date | time):  # datetime is a date
        return value.isoformat()
    if depth >= ECHO_MAX_DEPTH:
        return "…"
    if isinstance(value, dict):
        items = list(value.items())[:ECHO_MAX_ITEMS]
        return {
            safe_text(str(k), 100): None if is_secret_field(k) else safe_echo(v, depth + 1)
            for k, v in items
        }
    if isinstance(value, list | tuple | set | frozenset):
        return [safe_echo(v, depth + 1) for v in list(value)[:ECHO_MAX_ITEMS]]
    return safe_text(str(value))


def field_errors(errors: Sequence[Any]) -> list[dict[str, Any]]:
    """Pydantic's field errors as the API sends them: never the value of a secret
    field, other input bounded and encodable, no documentation links."""
    out: list[dict[str, Any]] = []
    for error in errors:
        loc = [safe_text(p, 100) if isinstance(p, str) else p for p in error.get("loc", ())]
        item: dict[str, Any] = {
            "type": error.get("type"),
            "loc": loc,
            "msg": safe_text(str(error.get("msg", "")), MESSAGE_MAX_CHARS),
        }
        if "input" in error and not any(is_secret_field(p) for p in loc):
            item["input"] = safe_echo(error["input"])
        ctx = error.get("ctx")
        if isinstance(ctx, dict):
            item["ctx"] = {k: safe_text(str(v), MESSAGE_MAX_CHARS) for k, v in ctx.items()}
        out.append(item)
    return out


def _method_not_allowed(request: Request, exc: Exception) -> Response:
    """A 405 names every method the path supports (Starlette names only those of the
    first route that matched the path). `OPTIONS` on a path that exists is not an error:
    it answers 204 with the same `Allow` (a CORS preflight never gets here when CORS is
    configured: its middleware answers it first)."""
    assert isinstance(exc, StarletteHTTPException)
    return _allow_answer(request, _allowed_methods(request))


def _allowed_methods(request: Request) -> set[str]:
    """The methods of every route whose path matches the request's. Where a literal
    segment and a parameter both match (`/venues/mine`, `/venues/{venue_id}`), the path
    names the literal resource: only the routes taking the fewest parameters count."""
    # Routing merges the path parameters already in the scope into every match.
    scope = {k: v for k, v in request.scope.items() if k != "path_params"}
    by_params: dict[int, set[str]] = {}
    for route in iter_route_contexts(request.app.router.routes):
        match, child = route.matches(scope)
        if match == Match.NONE:
            continue
        methods = set(getattr(route, "methods", None) or ())
        by_params.setdefault(len(child.get("path_params", {})), set()).update(methods)
    return by_params[min(by_params)] if by_params else set()


def _allow_answer(request: Request, allowed: set[str]) -> Response:
    allow = ", ".join(sorted({*allowed, "OPTIONS"}))
    if request.method == "OPTIONS":
        return Response(status_code=204, headers={"Allow": allow})
    return JSONResponse(
        error_body("method_not_allowed", f"{request.method} is not allowed here; use {allow}"),
        status_code=405,
        headers={"Allow": allow},
    )


def _integrity_error(_request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, IntegrityError)
    logger.warning("integrity error reached the handler: %s", exc.orig)
    return JSONResponse(
        error_body("conflict", "The change conflicts with existing data"), status_code=409
    )


def _data_error(_request: Request, exc: Exception) -> JSONResponse:
    """A value the database cannot store (NUL bytes in text, a number out of range):
    bad input that slipped past validation, so a 422, never a 500. The transaction
    is rolled back with the request's session, so nothing is half-written."""
    assert isinstance(exc, DataError)
    reason = str(exc.orig).strip().splitlines()[0] if exc.orig is not None else "invalid value"
    logger.warning("data error reached the handler: %s", reason)
    return JSONResponse(
        error_body("invalid", f"A value in the request cannot be stored: {reason}"),
        status_code=422,
    )


def _database_unavailable(_request: Request, exc: Exception) -> JSONResponse:
    logger.error("database unavailable: %s", exc)
    return JSONResponse(
        error_body("service_unavailable", "The database is not reachable; try again shortly"),
        status_code=503,
        headers={"Retry-After": "5"},
    )


def _unhandled(_request: Request, exc: Exception) -> JSONResponse:
    request_id = get_request_id()
    logger.exception("unhandled error (request %s)", request_id, exc_info=exc)
    return JSONResponse(
        error_body(
            "internal_error",
            f"Something went wrong on our side. Quote request id {request_id} when reporting it.",
        ),
        status_code=500,
    )


class UnhandledErrorMiddleware:
    """Turn an unexpected exception into the JSON 500 *inside* the other middleware.

    Starlette runs a handler registered for `Exception` in its outermost
    middleware, after the request id has been reset and without CORS headers.
    This one sits innermost, so the 500 carries `X-Request-ID` and CORS headers
    and its log line carries the request id.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = False

        async def send_tracking(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, receive, send_tracking)
        except Exception as exc:
            if started:
                raise
            response = _unhandled(Request(scope), exc)
            await response(scope, receive, send)


def install_error_handlers(app: FastAPI) -> None:
    app.add_exception_handler(AppError, _app_error)
    app.add_exception_handler(StarletteHTTPException, _http_error)
    app.add_exception_handler(405, _method_not_allowed)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(IntegrityError, _integrity_error)
    app.add_exception_handler(DataError, _data_error)
    app.add_exception_handler(OperationalError, _database_unavailable)
    app.add_exception_handler(PoolTimeoutError, _database_unavailable)
    app.add_exception_handler(Exception, _unhandled)
