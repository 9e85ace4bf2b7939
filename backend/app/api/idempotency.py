"""`Idempotency-Key` for money-moving writes (IETF draft "The Idempotency-Key HTTP
Header Field", draft-ietf-httpapi-idempotency-key-header).

A client that is not sure its request arrived (a timeout, a dropped connection)
sends it again with the same key, and the money moves once.

How a route opts in
-------------------
Its router uses the route class, and the route takes the dependency:

    router = APIRouter(prefix="/bookings", tags=["bookings"], route_class=IdempotentRoute)

    @router.post("", status_code=201, response_model=BookingRead)
    def create_booking(
        data: BookingCreate, session: SessionDep, user: CurrentUser, _key: IdempotencyKeyDep
    ) -> Booking:
        booking = booking_service.book(session, user=user, data=data)
        commit(session)
        return booking

The app refuses to start when a route takes `IdempotencyKeyDep` on a router without
`route_class=IdempotentRoute` (`check_routes`). The OpenAPI document lists the header
as required, the `Idempotent-Replayed` answer header and the errors below.

The rules
---------
- `Idempotency-Key: "<key>"` (the draft's Structured Field string) or the bare key:
  1 to 255 printable ASCII characters. Missing: 400 `idempotency_key_required`;
  malformed: 422 `idempotency_key_invalid`.
- Keys belong to the caller (the signed-in user: these routes are signed-in only) and
  the operation (method and route template): another caller's key, or the same key
  on another operation, is unrelated.
- The request's *fingerprint* is a SHA-256 of its path parameters, query and body (as
  canonical JSON: key order and spacing do not matter).
- Same key, same fingerprint, within `IDEMPOTENCY_KEY_TTL_HOURS` (24): the first answer
  (status, body, `Location`, `Content-Type`, `ETag`) is replayed with
  `Idempotent-Replayed: true`, and the route does not run again.
- Same key, another fingerprint: 422 `idempotency_key_reused`.
- Same key while the first request is still running: 409 `idempotency_key_in_use`
  (with `Retry-After`), never a wait and never a second run.
- Older keys are forgotten (and deleted hourly by the `prune_idempotency_keys` job).

What is stored, and when
------------------------
The answer is stored in the request's own transaction, just before it commits: a
request that commits its changes always has its answer stored with them, and one
that rolls back leaves no key (the client may simply retry). So:
- a 2xx or 4xx answer whose changes commit (the route called `commit(session)`) is
  stored. In practice only 2xx: a route that refuses raises before `commit()`, its
  changes roll back and nothing is stored, so the client can fix things (top up,
  wait for stock) and retry with the same key;
- an answer whose request commits nothing is not stored: the request had no effect,
  so running it again is safe;
- a 5xx is never stored, and what the route asked to commit before it is rolled back
  too, so a retry finds nothing half done.

How it works
------------
1. The dependency (`idempotency_key`) runs in the request's transaction, after the
   sign-in. It takes `pg_try_advisory_xact_lock` on a hash of (caller, operation,
   key): if another request holds it, 409 at once. Holding it, it reads the stored
   answer: a replay is raised as `_Replay` and answered by the route class before the
   route runs; a mismatch is a 422; an expired row is deleted.
2. The route runs and renders its answer. `IdempotentRoute` wraps FastAPI's handler:
   it is the one place that sees the final `Response` (status, headers from the route's
   `Response` parameter such as `Location`, the serialised body) before the
   function-scoped dependencies close, and puts it in the request scope.
3. The dependency's exit (it is function-scoped and depends on the session, so it
   closes first) hands that answer to `request_transaction` (`before_commit`), whose
   end stores it and then commits the business change and the stored answer together,
   in one worker thread; the lock goes with the commit.

A route using this must not call `session.commit()` (or `rollback()`) itself in the
middle: that ends the transaction, releases the lock and commits changes without
their answer. It is caught (a 500 that names the route); `commit(session)`, which
only asks for the commit at the end, is the way. So a call to an outside service
(the payment gateway) happens inside the request's transaction, holding the key.
Bodies are JSON (or empty); answers are ordinary (not streamed) responses.
"""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import AsyncIterator, Callable, Coroutine, Iterable
from dataclasses import dataclass
from datetime import timedelta
from typing import Annotated, Any

from fastapi import Depends, FastAPI, Header, Request, Response
from fastapi.routing import APIRoute
from sqlmodel import Session
from starlette.concurrency import run_in_threadpool

from app.api.deps import (
    CurrentUser,
    SessionDep,
    before_commit,
    commit_requested,
    discard_commit,
)
from app.api.openapi import api_routes, documents, walk_dependants
from app.core.config import settings
from app.core.errors import (
    AppError,
    IdempotencyKeyInUse,
    IdempotencyKeyRequired,
    IdempotencyKeyReused,
    InvalidIdempotencyKey,
    raises,
    render_error,
)
from app.crud import idempotency as idempotency_crud
from app.models.base import utcnow
from app.models.payment import IdempotencyKey

logger = logging.getLogger(__name__)

HEADER = "Idempotency-Key"
REPLAYED_HEADER = "Idempotent-Replayed"
MAX_KEY_LENGTH = 255
#: Answer headers kept with a stored answer and replayed (lower case).
STORED_HEADERS = ("content-type", "location", "etag", "cache-control", "retry-after")

#: A bare key, for generated clients (a quoted Structured Field string is accepted too).
KEY_PATTERN = "^[!-~]([ -~]{0,253}[!-~])?$"

_ROUTE_MARK = "socia.idempotent_route"
_LOCKED_IN = "socia.idempotency_locked_in"
_RESPONSE = "socia.idempotent_response"


# --- the key and the request's fingerprint -----------------------------------------------


def _printable(text: str) -> bool:
    return all(" " <= char <= "~" for char in text)


def parse_key(raw: str | None) -> str:
    """The key a header value carries: a Structured Field string (`"abc"`, with `\\"`
    and `\\\\` escapes) or the bare value; 1 to 255 printable ASCII characters."""
    if raw is None:
        raise IdempotencyKeyRequired()
    key = raw.strip(" \t")
    if len(key) >= 2 and key[0] == key[-1] == '"':
        key = _unquote(key[1:-1])
    if not key or len(key) > MAX_KEY_LENGTH or not _printable(key):
        raise InvalidIdempotencyKey()
    return key


def _unquote(inner: str) -> str:
    out: list[str] = []
    chars = iter(inner)
    for char in chars:
        if char == "\\":
            escaped = next(chars, "")
            if escaped not in ('"', "\\"):
                raise InvalidIdempotencyKey()
            out.append(escaped)
        elif char == '"':
            raise InvalidIdempotencyKey()
        else:
            out.append(char)
    return "".join(out)


def _canonical_body(body: bytes) -> Any:
    """The body as canonical JSON when it is JSON, else a hash of its bytes."""
    if body:
        try:
            return {"json": json.dumps(json.loads(body), sort_keys=True, separators=(",", ":"))}
        except (ValueError, RecursionError):
            pass
    return {"sha256": hashlib.sha256(body).hexdigest()}


async def request_fingerprint(request: Request) -> str:
    """SHA-256 of the path parameters, the query and the body. Async only to read the
    body, which FastAPI has already read (and Starlette keeps)."""
    described = {
        "path": {name: str(value) for name, value in request.path_params.items()},
        "query": sorted(request.query_params.multi_items()),
        "body": _canonical_body(await request.body()),
    }
    canonical = json.dumps(described, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()


def operation_of(request: Request) -> str:
    """`POST /venues/{venue_id}/bookings`: the method and the route's path template."""
    route = request.scope.get("route")
    template = getattr(route, "path_format", None) or request.url.path
    return f"{request.method} {template}"


# --- the dependency ----------------------------------------------------------------------


@dataclass(frozen=True)
class IdempotentRequest:
    """What a route gets from `IdempotencyKeyDep` (it rarely needs it: the key is
    useful as a reference towards a provider that takes idempotency keys itself)."""

    scope: str
    operation: str
    key: str
    fingerprint: str


class _Replay(Exception):
    """Not an error: the stored answer, raised by the dependency before the route runs
    and sent by `IdempotentRoute` instead of the route's."""

    def __init__(self, response: Response) -> None:
        self.response = response
        super().__init__("replay")


def replay_response(row: IdempotencyKey) -> Response:
    headers = {**row.response_headers, REPLAYED_HEADER: "true"}
    return Response(content=row.response_body, status_code=row.response_status, headers=headers)


@documents(
    required_headers=(HEADER,),
    success_headers={
        REPLAYED_HEADER: {
            "description": "`true` when this is the stored answer to an earlier request "
            "with the same Idempotency-Key (the request was not run again)",
            "schema": {"type": "string", "enum": ["true"]},
        }
    },
)
@raises(IdempotencyKeyRequired, InvalidIdempotencyKey, IdempotencyKeyReused, IdempotencyKeyInUse)
async def idempotency_key(
    request: Request,
    session: SessionDep,
    user: CurrentUser,
    fingerprint: Annotated[str, Depends(request_fingerprint)],
    key_header: Annotated[
        str | None,
        Header(
            alias=HEADER,
            description="A unique value (a UUID) for this request, sent again unchanged "
            "when retrying it: a retry within "
            f"{settings.IDEMPOTENCY_KEY_TTL_HOURS} hours gets the first answer and moves "
            "no money twice. 1 to 255 printable ASCII characters, bare or as a quoted "
            "Structured Field string.",
            json_schema_extra={
                "minLength": 1,
                "maxLength": MAX_KEY_LENGTH,
                "pattern": KEY_PATTERN,
            },
        ),
    ] = None,
) -> AsyncIterator[IdempotentRequest]:
    # Async: only the claim reads the database (one worker thread); the answer is
    # stored by `request_transaction`'s end, in its thread, just before the commit.
    if not request.scope.get(_ROUTE_MARK):
        raise RuntimeError(f"{operation_of(request)} needs route_class=IdempotentRoute")
    current = IdempotentRequest(
        scope=str(user.id),
        operation=operation_of(request),
        key=parse_key(key_header),
        fingerprint=fingerprint,
    )
    await run_in_threadpool(_claim, session, current)
    try:
        yield current
    except AppError as exc:
        refusal = render_error(exc)
        before_commit(session, lambda: _settle(session, current, refusal))
        raise
    except BaseException:
        discard_commit(session)  # nothing commits without its answer
        raise
    response = request.scope.get(_RESPONSE)
    if not isinstance(response, Response):
        raise RuntimeError(f"{current.operation}: no answer to store")
    before_commit(session, lambda: _settle(session, current, response))


def _claim(session: Session, current: IdempotentRequest) -> None:
    """Take the key's lock, then replay, refuse or go on (see the module doc)."""
    where = {"scope": current.scope, "operation": current.operation, "key": current.key}
    if not idempotency_crud.try_lock(session, **where):
        raise IdempotencyKeyInUse()
    stored = idempotency_crud.get(session, **where)
    if stored is not None and stored.created_at <= utcnow() - ttl():
        idempotency_crud.delete(session, row=stored)
        stored = None
    if stored is not None:
        if stored.request_hash != current.fingerprint:
            raise IdempotencyKeyReused()
        raise _Replay(replay_response(stored))
    session.info[_LOCKED_IN] = session.get_transaction()  # the one holding the lock


IdempotencyKeyDep = Annotated[IdempotentRequest, Depends(idempotency_key, scope="function")]


def ttl() -> timedelta:
    return timedelta(hours=settings.IDEMPOTENCY_KEY_TTL_HOURS)


def _settle(session: Session, current: IdempotentRequest, response: Response) -> None:
    """Store the answer when the request's changes will commit (see the module doc)."""
    if session.info.pop(_LOCKED_IN, None) is not session.get_transaction():
        # The lock went with that commit, and the changes before it have no answer.
        raise RuntimeError(
            f"{current.operation} committed in the middle of the request: a route taking "
            "an Idempotency-Key must only call commit(session)"
        )
    if not commit_requested(session):
        return
    if response.status_code >= 500:
        discard_commit(session)
        return
    body = getattr(response, "body", None)
    if not isinstance(body, bytes | memoryview):
        raise RuntimeError(f"{current.operation}: a streamed answer cannot be stored")
    idempotency_crud.store(
        session,
        scope=current.scope,
        operation=current.operation,
        key=current.key,
        request_hash=current.fingerprint,
        status=response.status_code,
        body=bytes(body),
        headers={
            name: value
            for name, value in response.headers.items()
            if name.lower() in STORED_HEADERS
        },
    )


# --- the route class ---------------------------------------------------------------------


class IdempotentRoute(APIRoute):
    """A route whose final answer `IdempotencyKeyDep` can see and store, and which
    answers a replay without running the route (see the module doc)."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def answer(request: Request) -> Response:
            request.scope[_ROUTE_MARK] = True
            try:
                response = await handler(request)
            except _Replay as replay:
                return replay.response
            request.scope[_RESPONSE] = response
            return response

        return answer


def routes_missing_the_route_class(routes: Iterable[Any]) -> list[str]:
    """Routes that take `IdempotencyKeyDep` without being an `IdempotentRoute`."""
    missing: list[str] = []
    for path, route, _extra in api_routes(routes):
        uses = any(d.call is idempotency_key for d in walk_dependants(route.dependant))
        if uses and not isinstance(route, IdempotentRoute):
            missing.extend(f"{method} {path}" for method in sorted(route.methods or ()))
    return missing


def check_routes(app: FastAPI) -> None:
    """Refuse to build an app where a route could not store its answers."""
    if missing := routes_missing_the_route_class(app.routes):
        raise RuntimeError(
            "these routes take IdempotencyKeyDep but their router lacks "
            f"route_class=IdempotentRoute: {', '.join(missing)}"
        )
