"""Dependencies: the database session, who the caller is, and what they may touch."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass
from typing import Annotated

import anyio
import anyio.to_thread
from fastapi import Cookie, Depends, Header
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer, OAuth2PasswordBearer
from sqlmodel import Session
from starlette.exceptions import HTTPException as StarletteHTTPException

from app.api.cookies import CSRF_HEADER, REFRESH_COOKIE, expired_refresh_cookie
from app.core.config import settings
from app.core.csrf import csrf_token_matches
from app.core.db import db_slots, get_engine
from app.core.errors import (
    AdminRequired,
    AppError,
    BusinessAccountRequired,
    ConsumerAccountRequired,
    CsrfTokenInvalid,
    DatabaseUnavailable,
    InvalidRefreshToken,
    NotAuthenticated,
    NotFound,
    NotGroupAdmin,
    VenueRoleRequired,
    raises,
)
from app.core.security import InvalidToken, TokenType, decode_token
from app.crud import auth as auth_crud
from app.crud import bill as bill_crud
from app.crud import booking as booking_crud
from app.crud import cover_credit as cover_credit_crud
from app.crud import event as event_crud
from app.crud import group as group_crud
from app.crud import order as order_crud
from app.crud import poster as poster_crud
from app.crud import table as table_crud
from app.crud import table_session as session_crud
from app.crud import ticket as ticket_crud
from app.crud import user as user_crud
from app.crud import venue as venue_crud
from app.crud.common import get_or_404
from app.models import Event, User, Venue, VenueRole
from app.models.booking import Booking, Ticket
from app.models.group import Group
from app.models.order import Bill, Order, TableSession
from app.models.poster import Poster
from app.models.table import VenueTable


async def database_slot() -> AsyncIterator[None]:
    """Wait (in the event loop, holding no thread) for one of the pool's connections.

    See `app/core/db.py` for why this keeps 64+ concurrent requests from stalling.
    """
    async with db_slots.limiter:
        yield


SessionFactory = Callable[[], AbstractContextManager[Session]]


def _new_session() -> Session:
    return Session(get_engine(), expire_on_commit=False)


@dataclass
class SessionSource:
    """Where requests get their sessions: `request` for `request_transaction`, `short` for each
    block of `ShortSessions`; by default a new session on the engine for each.

    The test suite points both at the test's own session for one test
    (tests/conftest.py). It does not use FastAPI's dependency overrides for this:
    while any override is set, FastAPI rebuilds every dependency of every request
    from its signature (in a profile of the contract tests, a fifth of their time)."""

    request: SessionFactory = _new_session
    short: SessionFactory = _new_session


session_source = SessionSource()


# --- commit once the answer has rendered --------------------------------------------------

_COMMIT_REQUESTED = "socia.commit_when_rendered"
_BEFORE_COMMIT = "socia.before_commit"


def commit(session: Session) -> None:
    """Commit the request's changes, once its answer is known to render.

    Routes call this instead of `session.commit()`. It flushes now (so a constraint
    error still surfaces in the route) and the commit itself happens when the
    route's answer has been validated and serialised against its response model
    (`request_transaction`, below): an answer that cannot render (a 500) leaves
    nothing written. An error the route raises on purpose after this call (an
    `AppError`, e.g. a wrong one-time code whose try must still count) renders
    too, so the changes asked for are kept then as well.

    Code that really must commit in the middle of a request (to release a lock
    before calling out, say) still calls `session.commit()`.
    """
    session.flush()
    session.info[_COMMIT_REQUESTED] = True


def commit_requested(session: Session) -> bool:
    """Whether the request's changes will be committed (`commit()` was called)."""
    return bool(session.info.get(_COMMIT_REQUESTED, False))


def discard_commit(session: Session) -> None:
    """Undo `commit()`: the request's changes are rolled back when it ends."""
    session.info.pop(_COMMIT_REQUESTED, None)


def before_commit(session: Session, work: Callable[[], None]) -> None:
    """Run `work` at the end of the request, in its transaction, just before the
    commit (and in the same worker thread): for a dependency that writes once the
    answer is known (`app.api.idempotency` stores it), without a thread of its own."""
    session.info.setdefault(_BEFORE_COMMIT, []).append(work)


@raises(DatabaseUnavailable)
async def request_transaction(
    _slot: Annotated[None, Depends(database_slot)],
) -> AsyncIterator[Session]:
    """The request's session; commits what `commit()` asked for after rendering.

    Used with `scope="function"`: FastAPI ends it after the route has returned and
    its answer has been serialised, before anything is sent.

    Async on purpose. Opening a session does no I/O (it connects on first use), so
    it is opened here, in the event loop; its end (the `before_commit` work, the
    commit and the close) runs in one worker thread. A sync generator would cost
    two thread hops more, and the hops were a tenth of a booking's time (a
    profile of bench/bench_bookings.py).
    """
    opened = session_source.request()
    session = opened.__enter__()
    session.info.pop(_COMMIT_REQUESTED, None)
    session.info.pop(_BEFORE_COMMIT, None)
    try:
        yield session
    except (AppError, StarletteHTTPException) as exc:
        # An answer given on purpose renders: keep what the route asked to keep.
        await _end(opened, session, exc, keep=True)
        raise
    except BaseException as exc:
        # Nothing is committed; closing the session rolls the transaction back.
        await _end(opened, session, exc, keep=False)
        raise
    await _end(opened, session, None, keep=True)


async def _end(
    opened: AbstractContextManager[Session],
    session: Session,
    exc: BaseException | None,
    *,
    keep: bool,
) -> None:
    # As FastAPI ends a sync dependency: shielded from cancellation, and on a limiter
    # of its own, so an end never waits for a thread that waits for a connection.
    with anyio.CancelScope(shield=True):
        await anyio.to_thread.run_sync(
            _end_in_thread, opened, session, exc, keep, limiter=anyio.CapacityLimiter(1)
        )


def _end_in_thread(
    opened: AbstractContextManager[Session],
    session: Session,
    exc: BaseException | None,
    keep: bool,
) -> None:
    work = session.info.pop(_BEFORE_COMMIT, [])
    try:
        if keep:
            for step in work:
                step()
            if session.info.pop(_COMMIT_REQUESTED, False):
                session.commit()
        session.info.pop(_COMMIT_REQUESTED, None)
    except BaseException as error:
        opened.__exit__(type(error), error, error.__traceback__)
        raise
    if exc is None:
        opened.__exit__(None, None, None)
    else:
        opened.__exit__(type(exc), exc, exc.__traceback__)


SessionDep = Annotated[Session, Depends(request_transaction, scope="function")]


class ShortSessions:
    """Sessions for a route that waits on the outside world between database steps
    (an SMS gateway): each `with sessions() as session:` block takes a database slot
    and a session only while it is open, so a slow gateway pins no pool connection.
    Use it instead of `SessionDep` (and of guards that depend on it), in a sync route."""

    def __init__(self, make: Callable[[], AbstractContextManager[Session]]) -> None:
        self._make = make

    @contextmanager
    def __call__(self) -> Iterator[Session]:
        # The slot limiter lives on the event loop; this runs in a worker thread.
        borrower = object()
        anyio.from_thread.run(db_slots.limiter.acquire_on_behalf_of, borrower)
        try:
            with self._make() as session:
                yield session
        finally:
            anyio.from_thread.run_sync(db_slots.limiter.release_on_behalf_of, borrower)


def get_short_sessions() -> ShortSessions:
    return ShortSessions(session_source.short)


ShortSessionsDep = Annotated[ShortSessions, Depends(get_short_sessions)]

# Two ways to authorize in Swagger UI, the same `Authorization: Bearer` header on the
# wire: the password form (business accounts) and a pasted access token (consumers,
# who get theirs from the one-time code).
oauth2_scheme = OAuth2PasswordBearer(tokenUrl=f"{settings.API_V1_STR}/auth/login", auto_error=False)
bearer_scheme = HTTPBearer(
    auto_error=False,
    scheme_name="AccessToken",
    description="Paste an `access_token` from `/auth/otp/verify`, `/auth/login` or "
    "`/auth/refresh`.",
)


async def get_token(  # async: no I/O, so no worker-thread hop
    form_token: Annotated[str | None, Depends(oauth2_scheme)],
    pasted: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer_scheme)],
) -> str | None:
    return form_token or (pasted.credentials if pasted else None)


TokenDep = Annotated[str | None, Depends(get_token)]


@raises(NotAuthenticated)
def get_current_user(session: SessionDep, token: TokenDep) -> User:
    if not token:
        raise NotAuthenticated()
    try:
        payload = decode_token(token, TokenType.ACCESS)
        user_id = uuid.UUID(payload["sub"])
    except (InvalidToken, ValueError) as exc:
        raise NotAuthenticated("Invalid or expired access token") from exc
    user = user_crud.get_signed_in(session, user_id)
    if user is None or not user.is_active or user.deleted_at is not None:
        raise NotAuthenticated("Invalid or expired access token")
    # Logged out (jti deny-list) or issued before the user's sessions were ended.
    if not auth_crud.access_token_is_live(session, user=user, payload=payload):
        raise NotAuthenticated("This session has ended; sign in again")
    return user


CurrentUser = Annotated[User, Depends(get_current_user)]


@raises(NotAuthenticated)
def get_optional_user(session: SessionDep, token: TokenDep) -> User | None:
    """The caller when a valid token is sent; anonymous callers get None."""
    if not token:
        return None
    return get_current_user(session, token)


OptionalUser = Annotated[User | None, Depends(get_optional_user)]


@raises(AdminRequired)
def get_current_superuser(user: CurrentUser) -> User:
    if not user.is_superuser:
        raise AdminRequired()
    return user


CurrentSuperuser = Annotated[User, Depends(get_current_superuser)]


@raises(BusinessAccountRequired)
def get_current_business_user(user: CurrentUser) -> User:
    """A business account (signs in with an email and a password; consumers use a phone)
    or a platform admin."""
    if user.is_superuser or (user.email is not None and user.password_hash is not None):
        return user
    raise BusinessAccountRequired()


CurrentBusinessUser = Annotated[User, Depends(get_current_business_user)]


def venue_role_guard(minimum: VenueRole) -> Callable[..., Venue]:
    """A dependency that loads `{venue_id}` from the path and checks the caller's role.

    Unknown venues and venues the caller is not a member of are a 404 (the same
    answer, so nothing leaks); members below `minimum` get a 403. Platform admins
    pass every check.
    """

    @raises(NotFound, VenueRoleRequired)
    def guard(venue_id: uuid.UUID, session: SessionDep, user: CurrentUser) -> Venue:
        venue = venue_crud.get(session, venue_id=venue_id)
        venue_crud.require_role(session, venue=venue, user=user, minimum=minimum)
        return venue

    guard.__name__ = f"require_venue_{minimum.value}"
    return guard


OwnedVenue = Annotated[Venue, Depends(venue_role_guard(VenueRole.OWNER))]
ManagedVenue = Annotated[Venue, Depends(venue_role_guard(VenueRole.MANAGER))]
StaffedVenue = Annotated[Venue, Depends(venue_role_guard(VenueRole.STAFF))]


def get_visible_venue(venue_id: uuid.UUID, session: SessionDep, user: OptionalUser) -> Venue:
    """A venue the caller may see: verified and active, or one they belong to (else 404)."""
    return venue_crud.get_visible(session, venue_id=venue_id, user=user)


VisibleVenue = Annotated[Venue, Depends(get_visible_venue)]


@raises(VenueRoleRequired)
def get_managed_qsr(qsr_id: uuid.UUID, session: SessionDep, user: CurrentUser) -> Venue:
    """The QSR named in the path, which the caller must also manage (404/403 like the guards)."""
    return venue_crud.get_qsr_for_manager(session, qsr_id=qsr_id, user=user)


ManagedQsr = Annotated[Venue, Depends(get_managed_qsr)]


# --- objects of a venue: 404 when they are not that venue's ------------------------------


def get_staffed_table(table_id: uuid.UUID, venue: StaffedVenue, session: SessionDep) -> VenueTable:
    """A table of a venue where the caller is staff or above."""
    return table_crud.get(session, venue_id=venue.id, table_id=table_id)


def get_managed_table(table_id: uuid.UUID, venue: ManagedVenue, session: SessionDep) -> VenueTable:
    """A table of a venue the caller manages."""
    return table_crud.get(session, venue_id=venue.id, table_id=table_id)


StaffedTable = Annotated[VenueTable, Depends(get_staffed_table)]
ManagedTable = Annotated[VenueTable, Depends(get_managed_table)]


def get_staffed_event(event_id: uuid.UUID, venue: StaffedVenue, session: SessionDep) -> Event:
    """An event of a venue where the caller is staff or above."""
    return event_crud.get(session, venue_id=venue.id, event_id=event_id)


def get_managed_event(event_id: uuid.UUID, venue: ManagedVenue, session: SessionDep) -> Event:
    """An event of a venue the caller manages."""
    return event_crud.get(session, venue_id=venue.id, event_id=event_id)


StaffedEvent = Annotated[Event, Depends(get_staffed_event)]
ManagedEvent = Annotated[Event, Depends(get_managed_event)]


def get_managed_poster(poster_id: uuid.UUID, venue: ManagedVenue, session: SessionDep) -> Poster:
    """A poster of a venue the caller manages."""
    return poster_crud.get_for_venue(session, venue_id=venue.id, poster_id=poster_id)


ManagedPoster = Annotated[Poster, Depends(get_managed_poster)]


# --- a consumer's own bookings and tickets: 404 for anyone else (admins too) --------------


def get_own_booking(booking_id: uuid.UUID, session: SessionDep, user: CurrentUser) -> Booking:
    """A booking of the caller's own."""
    return booking_crud.get_for_consumer(session, booking_id=booking_id, consumer=user)


def get_own_ticket(ticket_id: uuid.UUID, session: SessionDep, user: CurrentUser) -> Ticket:
    """A ticket of one of the caller's own bookings."""
    return ticket_crud.get_own_ticket(session, ticket_id=ticket_id, user=user)


OwnBooking = Annotated[Booking, Depends(get_own_booking)]
OwnTicket = Annotated[Ticket, Depends(get_own_ticket)]


# --- bills of table sessions: their members, and the venue's staff ----------------------


@raises(NotFound)
def get_member_table_session(
    session_id: uuid.UUID, session: SessionDep, user: CurrentUser
) -> TableSession:
    """A table session the caller joined (anyone else, admins too: 404)."""
    return session_crud.get_for_member(session, session_id=session_id, user_id=user.id)


@raises(NotFound)
def get_staffed_table_session(
    session_id: uuid.UUID, venue: StaffedVenue, session: SessionDep
) -> TableSession:
    """A table session of a venue where the caller is staff or above."""
    return session_crud.get_for_venue(session, session_id=session_id, venue_id=venue.id)


@raises(NotFound)
def get_member_bill(bill_id: uuid.UUID, session: SessionDep, user: CurrentUser) -> Bill:
    """A bill of a table session the caller joined (anyone else, admins too: 404)."""
    return bill_crud.get_for_member(session, bill_id=bill_id, user=user)


MemberTableSession = Annotated[TableSession, Depends(get_member_table_session)]
StaffedTableSession = Annotated[TableSession, Depends(get_staffed_table_session)]
MemberBill = Annotated[Bill, Depends(get_member_bill)]


@raises(NotFound)
def get_own_order(order_id: uuid.UUID, session: SessionDep, user: CurrentUser) -> Order:
    """An order the caller placed (a food-court order by its parent's id)."""
    return order_crud.get_for_consumer(session, order_id=order_id, user=user)


@raises(NotFound)
def get_staffed_order(order_id: uuid.UUID, venue: StaffedVenue, session: SessionDep) -> Order:
    """An order on the board of a venue where the caller is staff or above: the venue's
    own, or (at a food court) a sub-order of one placed there."""
    return order_crud.get_for_venue(session, order_id=order_id, venue=venue)


OwnOrder = Annotated[Order, Depends(get_own_order)]
StaffedOrder = Annotated[Order, Depends(get_staffed_order)]


# --- platform admins ---------------------------------------------------------------------


def get_target_user(user_id: uuid.UUID, session: SessionDep) -> User:
    """The account an admin route acts on (the router already requires a superuser)."""
    return get_or_404(session, User, user_id, what="user")


TargetUser = Annotated[User, Depends(get_target_user)]


# --- groups: private to their current members (anyone else, platform admins too: 404) ---


@raises(ConsumerAccountRequired)
def get_current_consumer(user: CurrentUser) -> User:
    """A consumer account: one that signs in with a phone number (a business account
    that also added a phone is one too). Email-only business accounts and platform
    admins without a phone get a 403."""
    if user.phone is None:
        raise ConsumerAccountRequired()
    return user


CurrentConsumer = Annotated[User, Depends(get_current_consumer)]


@raises(NotFound)
def get_group_of_member(group_id: uuid.UUID, session: SessionDep, user: CurrentUser) -> Group:
    """A group the caller is a current member of (former members, anyone else: 404)."""
    return group_crud.get_for_member(session, group_id=group_id, user_id=user.id)


@raises(NotFound, NotGroupAdmin)
def get_group_of_admin(group_id: uuid.UUID, session: SessionDep, user: CurrentUser) -> Group:
    """A group the caller is the admin of (a plain member: 403; anyone else: 404)."""
    return group_crud.get_for_admin(session, group_id=group_id, user_id=user.id)


GroupOfMember = Annotated[Group, Depends(get_group_of_member)]
GroupOfAdmin = Annotated[Group, Depends(get_group_of_admin)]
# --- a consumer's own cover credits: 404 for anyone else (admins too) ---------------------


@raises(NotFound)
def get_own_cover_credit(
    credit_id: uuid.UUID, session: SessionDep, user: CurrentUser
) -> cover_credit_crud.CreditView:
    """A cover credit the caller holds."""
    return cover_credit_crud.get_own(session, credit_id=credit_id, user=user)


OwnCoverCredit = Annotated[cover_credit_crud.CreditView, Depends(get_own_cover_credit)]


# --- the staff dashboard's cookie session (app/api/cookies.py, app/core/csrf.py) ---------

RefreshCookie = Annotated[
    str | None,
    Cookie(
        alias=REFRESH_COOKIE,
        description="Set by `/auth/cookie/login` and `/auth/cookie/refresh` (httpOnly)",
    ),
]
CsrfHeader = Annotated[
    str | None,
    Header(
        alias=CSRF_HEADER,
        description="The value of the `socia_csrf` cookie (required with the refresh cookie)",
    ),
]


def _checked(refresh: str, csrf: str | None) -> str:
    if not csrf or not csrf_token_matches(refresh, csrf):
        raise CsrfTokenInvalid()
    return refresh


@raises(InvalidRefreshToken, CsrfTokenInvalid)
def get_cookie_refresh_token(refresh: RefreshCookie = None, csrf: CsrfHeader = None) -> str:
    """The refresh token of the `socia_refresh` cookie, once the `X-CSRF-Token` header
    has been checked against it. No cookie: 401 (and the answer removes the cookie);
    a missing or wrong header: 403 `csrf_token_invalid`, and nothing is used up."""
    if not refresh:
        raise InvalidRefreshToken(
            "No session cookie: sign in",
            headers={"WWW-Authenticate": "Bearer", "set-cookie": expired_refresh_cookie()},
        )
    return _checked(refresh, csrf)


@raises(CsrfTokenInvalid)
def get_optional_cookie_refresh_token(
    refresh: RefreshCookie = None, csrf: CsrfHeader = None
) -> str | None:
    """The checked refresh cookie when there is one (sign-out works without it)."""
    return _checked(refresh, csrf) if refresh else None


CookieRefreshToken = Annotated[str, Depends(get_cookie_refresh_token)]
OptionalCookieRefreshToken = Annotated[str | None, Depends(get_optional_cookie_refresh_token)]
