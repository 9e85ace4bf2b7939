"""One error tree, rendered everywhere as `{"error": code, "detail": message}`."""

from __future__ import annotations

import json
import logging
import math
import re
from collections.abc import Callable, Iterable, Sequence
from datetime import date, time
from typing import Any, TypeVar

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
F = TypeVar("F", bound=Callable[..., Any])


Loc = tuple[str | int, ...]

#: Every error class by its stable code (see `AppError.__init_subclass__`).
REGISTRY: dict[str, type[AppError]] = {}


class AppError(Exception):
    """Base of every error the API answers with on purpose.

    Each subclass that names its own `code` is a stable part of the API contract:
    codes are unique (a second class claiming one fails at import) and documented in
    the OpenAPI answers of the routes that declare them (`errors(...)`).
    """

    status_code: int = 400
    code: str = "bad_request"
    message: str | None = None  # the default detail
    headers: dict[str, str] | None = None

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if "code" in cls.__dict__:
            other = REGISTRY.get(cls.code)
            if other is not None and other.__qualname__ != cls.__qualname__:
                raise TypeError(f"error code {cls.code!r} is used by {other} and {cls}")
            REGISTRY[cls.code] = cls

    def __init__(self, detail: Any = None, *, headers: dict[str, str] | None = None) -> None:
        self.detail = detail if detail is not None else self.default_detail()
        if headers is not None:
            self.headers = headers
        super().__init__(str(self.detail))

    def default_detail(self) -> str:
        return self.message or self.code.replace("_", " ").capitalize()

    def render_detail(self) -> Any:
        """The `detail` of the JSON answer."""
        return self.detail


# --- the generic kinds (one per HTTP status) -----------------------------------------


class BadRequest(AppError):
    status_code = 400
    code = "bad_request"


class NotAuthenticated(AppError):
    status_code = 401
    code = "not_authenticated"
    message = "Not authenticated"
    headers = {"WWW-Authenticate": "Bearer"}


class PermissionDenied(AppError):
    status_code = 403
    code = "permission_denied"
    message = "You do not have permission to do this"


class NotFound(AppError):
    """An object that does not exist, or that the caller may not know exists."""

    status_code = 404
    code = "not_found"

    def __init__(self, what: str = "resource", **kwargs: Any) -> None:
        self.what = what
        super().__init__(f"{what.capitalize()} not found", **kwargs)


class Conflict(AppError):
    """A business rule refuses the change (409)."""

    status_code = 409
    code = "conflict"
    message = "The change conflicts with existing data"


class Unprocessable(AppError):
    """A payload problem that Pydantic cannot see (422).

    Rendered like Pydantic's errors, as a list of field errors:
    `[{"loc": [...], "msg": ..., "type": code}]`; `loc` names the field
    (`("query", "lat")`, `("body", "venue_id")`). A list detail is taken as
    already made of field errors.
    """

    status_code = 422
    code = "invalid"
    message = "The request is not valid"
    loc: Loc = ("body",)

    def __init__(
        self, detail: Any = None, *, loc: Loc | None = None, headers: dict[str, str] | None = None
    ) -> None:
        if loc is not None:
            self.loc = tuple(loc)
        super().__init__(detail, headers=headers)

    def render_detail(self) -> Any:
        if isinstance(self.detail, list):
            return self.detail
        return [{"loc": list(self.loc), "msg": str(self.detail), "type": self.code}]


class TooManyRequests(AppError):
    status_code = 429
    code = "rate_limited"

    def __init__(self, detail: str = "Too many requests", *, retry_after: int) -> None:
        self.retry_after = max(1, retry_after)
        super().__init__(detail, headers={"Retry-After": str(self.retry_after)})


class ServiceUnavailable(AppError):
    status_code = 503
    code = "service_unavailable"
    message = "A service this needs is not reachable; try again shortly"


class DatabaseUnavailable(ServiceUnavailable):
    code = "database_unavailable"
    message = "The database is not reachable; try again shortly"
    headers = {"Retry-After": "5"}


class NotReady(ServiceUnavailable):
    code = "not_ready"
    message = "The database is not reachable"


# --- accounts, sign-in and one-time codes --------------------------------------------


class InvalidCredentials(NotAuthenticated):
    code = "invalid_credentials"
    message = "Incorrect email or password"


class InvalidRefreshToken(NotAuthenticated):
    code = "invalid_refresh_token"
    message = "Invalid, expired or revoked refresh token; sign in again"


class AccountDisabled(PermissionDenied):
    code = "account_disabled"
    message = "This account has been deactivated"


class AdminRequired(PermissionDenied):
    code = "admin_required"
    message = "Platform administrators only"


class InvalidLink(BadRequest):
    code = "invalid_link"
    message = "This link is invalid, has expired or was already used; ask for a new one"


class WrongPassword(BadRequest):
    code = "wrong_password"
    message = "The current password is not correct"


class PasswordUnchanged(Unprocessable):
    code = "password_unchanged"
    message = "The new password must differ from the current one"
    loc = ("body", "new_password")


class NoPassword(Conflict):
    code = "no_password"
    message = "This account has no password; add an email and a password first"


class NoEmail(Conflict):
    code = "no_email"
    message = "This account has no email address"


class EmailAlreadyVerified(Conflict):
    code = "email_already_verified"
    message = "This email address is already verified"


class EmailTaken(Conflict):
    code = "email_taken"
    message = "An account with this email already exists"


class PhoneTaken(Conflict):
    code = "phone_taken"
    message = "This phone number belongs to another account"


class EmailAlreadySet(Conflict):
    code = "email_already_set"
    message = "This account already has an email address"


class PhoneAlreadySet(Conflict):
    code = "phone_already_set"
    message = "This account already has a phone number"


class InvalidCode(BadRequest):
    code = "invalid_code"
    message = "Wrong code"


class CodeExpired(BadRequest):
    code = "code_expired"
    message = "No valid code for this number: it expired or was used; ask for a new one"


class OtpTryLimit(BadRequest):
    code = "otp_try_limit"
    message = "This code had too many wrong tries; ask for a new one"


class SmsUnavailable(ServiceUnavailable):
    code = "sms_unavailable"
    message = "The code could not be sent right now; try again in a moment"


class CannotDeactivateSelf(Conflict):
    code = "cannot_deactivate_self"
    message = "You cannot deactivate your own account"


class CannotRevokeOwnAdmin(Conflict):
    code = "cannot_revoke_own_admin"
    message = "You cannot remove your own platform admin rights"


class AccountDeleted(Conflict):
    code = "account_deleted"
    message = "This account was deleted"


class SoleVenueOwner(Conflict):
    code = "sole_venue_owner"
    message = "You are the only owner of a venue; add another owner or close it first"


# --- venues, food courts and staff ----------------------------------------------------


class VenueRoleRequired(PermissionDenied):
    code = "venue_role_required"
    message = "Your role at this venue does not allow this"


class BusinessAccountRequired(PermissionDenied):
    code = "business_account_required"
    message = "Only business accounts (email and password) can do this"


class VenueKindUnchangeable(Conflict):
    code = "venue_kind_unchangeable"
    message = "A venue's kind cannot be changed; create a new venue instead"


class VenueKindFields(Unprocessable):
    code = "venue_kind_fields"
    message = "Some fields do not apply to this kind of venue"


class UnknownTimezone(Unprocessable):
    code = "unknown_timezone"
    message = "This time zone is not known to this server"
    loc = ("body", "timezone")


class VerifiedVenueNotDeletable(Conflict):
    code = "verified_venue_not_deletable"
    message = "A verified venue cannot be deleted; deactivate it instead"


class NotAFoodCourt(Conflict):
    code = "not_a_food_court"
    message = "This venue is not a food court"


class NotAQsr(Conflict):
    code = "not_a_qsr"
    message = "Only QSRs sit in a food court"


class QsrInOtherFoodCourt(Conflict):
    code = "qsr_in_other_food_court"
    message = "This QSR already sits in another food court; detach it first"


class AlreadyMember(Conflict):
    code = "already_member"
    message = "Already a member of this venue"


class VenueNeedsOwner(Conflict):
    code = "venue_needs_owner"
    message = "A venue must keep an owner: make someone else owner first"


class InviteForAnotherEmail(PermissionDenied):
    code = "invite_for_another_email"
    message = "This invitation was sent to another email address; sign in with that address"


class InviteUsed(Conflict):
    code = "invite_used"
    message = "This invitation has already been used"


class InviteExpired(Conflict):
    code = "invite_expired"
    message = "This invitation has expired; ask the venue owner for a new one"


class InviteAccepted(Conflict):
    code = "invite_accepted"
    message = "This invitation was already accepted; remove the member instead"


# --- menus ---------------------------------------------------------------------------


class MenuNameTaken(Conflict):
    code = "menu_name_taken"
    message = "This venue already has a menu with this name"


class CategoryNameTaken(Conflict):
    code = "category_name_taken"
    message = "There is already a category with this name here"


class NotEmpty(Conflict):
    code = "not_empty"
    message = "This is not empty; send force=true to delete it with everything in it"


class OrderMismatch(Conflict):
    code = "order_mismatch"
    message = "Send every member of the list exactly once, in the new order"


class InvalidParentCategory(Unprocessable):
    code = "invalid_parent_category"
    message = "`parent_id` must be a category of the same menu"
    loc = ("body", "parent_id")


class SubcategoryDepth(Unprocessable):
    code = "subcategory_depth"
    message = "Subcategories cannot have subcategories of their own"
    loc = ("body", "parent_id")


class InvalidItemCategory(Unprocessable):
    code = "invalid_item_category"
    message = "`category_id` must be a category of this venue"
    loc = ("body", "category_id")


class NotAlcoholic(Unprocessable):
    code = "not_alcoholic"
    message = "`abv` and `ibu` are only for alcoholic items (is_alcoholic: true)"


# --- tables, events and posters -------------------------------------------------------


class TableLabelTaken(Conflict):
    code = "table_label_taken"
    message = "This venue already has a table with this label"


class EventCancelled(Conflict):
    code = "event_cancelled"
    message = "The event is cancelled"


class EventOver(Conflict):
    code = "event_over"
    message = "The event is over"


class InvalidEventTimes(Unprocessable):
    code = "invalid_event_times"
    message = "The event's times are not valid"


class PosterVenueMismatch(Unprocessable):
    code = "poster_venue_mismatch"
    message = "A poster can only promote the venue it is created at"
    loc = ("body", "venue_id")


class InvalidDateRange(Unprocessable):
    code = "invalid_date_range"
    message = "The start of the range must not be after its end"
    loc = ("query",)


class DateRangeTooLong(Unprocessable):
    code = "date_range_too_long"
    message = "The range is too long"
    loc = ("query",)


# --- Offerings and pools ----------------------------------------------------------------


class OfferingHasSales(Conflict):
    code = "offering_has_sales"
    message = "This offering has been booked and cannot be deleted; retire it instead"


class OfferingRetired(Conflict):
    code = "offering_retired"
    message = "This offering is retired; a retired offering cannot change or come back"


class OfferingLimit(Conflict):
    code = "offering_limit"
    message = "This event has as many offerings as it may have"


class PoolNameTaken(Conflict):
    code = "pool_name_taken"
    message = "This event already has a capacity pool with this name"


class PoolInUse(Conflict):
    code = "pool_in_use"
    message = "Offerings draw from this pool; take it off them first"


class PoolBelowTaken(Conflict):
    code = "pool_below_taken"
    message = "A pool cannot be smaller than the places already taken from it"


class PoolLimit(Conflict):
    code = "pool_limit"
    message = "This event has as many capacity pools as it may have"


class PoolNotOfEvent(Unprocessable):
    code = "pool_not_of_event"
    message = "Every pool an offering draws from must be a pool of the same event"
    loc = ("body", "pools")


class InvalidSaleWindow(Unprocessable):
    code = "invalid_sale_window"
    message = "`sale_ends_at` must be after `sale_starts_at`"
    loc = ("body", "sale_ends_at")


# --- Tickets and the door --------------------------------------------------------------


class TicketVoid(Conflict):
    code = "ticket_void"
    message = "This ticket is void: its booking was cancelled or refunded"


# --- Bookings and payments -------------------------------------------------------------


class EventNotBookable(Conflict):
    code = "event_not_bookable"
    message = "This event is not on sale: it is cancelled, over, or not public"


class VenueNotVerified(Conflict):
    code = "venue_not_verified"
    message = "The venue is not verified yet, so it cannot sell passes"


class UnknownOffering(Unprocessable):
    code = "unknown_offering"
    message = "No such offering at this event"
    loc = ("body", "items")


class DuplicateOffering(Unprocessable):
    code = "duplicate_offering"
    message = "Each offering may appear only once in a booking"
    loc = ("body", "items")


class OfferingNotOnSale(Conflict):
    code = "offering_not_on_sale"
    message = "This offering is not on sale"


class SaleNotOpen(Conflict):
    code = "sale_not_open"
    message = "The sale of this offering has not started yet"


class SaleClosed(Conflict):
    code = "sale_closed"
    message = "The sale of this offering has ended"


class OverBookingLimit(Conflict):
    code = "over_booking_limit"
    message = "More passes of this offering than one booking may hold"


class MixedCurrencies(Conflict):
    code = "mixed_currencies"
    message = "One booking or order cannot mix prices in different currencies"


class DateOfBirthRequired(Conflict):
    code = "date_of_birth_required"
    message = "This event has a minimum age: add your date of birth to your profile first"


class UnderAge(Conflict):
    code = "under_age"
    message = "You are under this event's minimum age"


class SoldOut(Conflict):
    code = "sold_out"
    message = "Not enough places are left for this offering"


class TooManyHolds(Conflict):
    code = "too_many_holds"
    message = (
        "You already hold places for this event that are not paid yet: pay for them, or "
        "wait until they expire"
    )


class PaymentUnavailable(ServiceUnavailable):
    code = "payment_unavailable"
    message = "The payment gateway is unavailable; nothing was booked, try again shortly"


class InvalidCheckoutSignature(BadRequest):
    code = "invalid_checkout_signature"
    message = "The checkout signature does not match this payment"


class InvalidWebhookSignature(BadRequest):
    code = "invalid_webhook_signature"
    message = "The webhook signature is missing or does not match"


class CancelCutoffPassed(Conflict):
    code = "cancel_cutoff_passed"
    message = "It is too late to cancel this booking"


class BookingNotCancellable(Conflict):
    code = "booking_not_cancellable"
    message = "Only a confirmed booking can be cancelled"


class BookingNotPaid(Conflict):
    code = "booking_not_paid"
    message = "This booking has no captured payment to refund"


class RefundExceedsPaid(Conflict):
    code = "refund_exceeds_paid"
    message = "The refund is more than is left of what was paid"


class CheckoutNotAvailable(Conflict):
    code = "checkout_not_available"
    message = "This order cannot be paid (already paid, or unknown)"


# --- the job queue ------------------------------------------------------------------------


class JobNotFailed(Conflict):
    code = "job_not_failed"
    message = "Only a failed job can be retried"


# --- Idempotency (the `Idempotency-Key` header of money-moving writes) ------------------
# See app/api/idempotency.py.


class IdempotencyKeyRequired(BadRequest):
    code = "idempotency_key_required"
    message = (
        "This request moves money: send an Idempotency-Key header (a new unique value, "
        "such as a UUID, for each distinct request; the same value when retrying it)"
    )


class InvalidIdempotencyKey(Unprocessable):
    code = "idempotency_key_invalid"
    message = "Idempotency-Key must be 1 to 255 printable ASCII characters"
    loc = ("header", "Idempotency-Key")


class IdempotencyKeyReused(Unprocessable):
    code = "idempotency_key_reused"
    message = (
        "This Idempotency-Key was already used for a different request; use a new key "
        "for a new request"
    )
    loc = ("header", "Idempotency-Key")


class IdempotencyKeyInUse(Conflict):
    code = "idempotency_key_in_use"
    message = (
        "A request with this Idempotency-Key is still being processed; retry shortly to "
        "get its answer"
    )
    headers = {"Retry-After": "1"}


# --- database constraints --------------------------------------------------------------

#: A unique or exclusion constraint of the schema, by name, and the error it means.
CONSTRAINT_ERRORS: dict[str, type[AppError]] = {
    "uq_user_email_lower": EmailTaken,
    "uq_user_phone": PhoneTaken,
    "uq_menu_venue_id_name": MenuNameTaken,
    "uq_venue_membership_venue_id_user_id": AlreadyMember,
    "uq_venue_table_venue_id_label": TableLabelTaken,
    "ck_menu_item_abv_ibu_only_alcoholic": NotAlcoholic,
    "uq_capacity_pool_event_id_name": PoolNameTaken,
    # A booking line written for an offering being deleted.
    "fk_booking_item_offering_id_offering": OfferingHasSales,
    # Only if two requests with one key ever got past the advisory lock together.
    "pk_idempotency_key": IdempotencyKeyInUse,
}


def constraint_name(exc: IntegrityError) -> str | None:
    """The name of the constraint a psycopg error reports (None when it names none)."""
    diag = getattr(exc.orig, "diag", None)
    name = getattr(diag, "constraint_name", None)
    return name if isinstance(name, str) else None


def integrity_error(exc: IntegrityError) -> AppError:
    """The domain error an `IntegrityError` means, from its constraint's name; a
    constraint nobody mapped is a generic 409."""
    error = CONSTRAINT_ERRORS.get(constraint_name(exc) or "", Conflict)
    return error()


# --- the documented shape ----------------------------------------------------------------


class FieldError(BaseModel):
    """One problem with one field, as Pydantic reports it."""

    loc: list[str | int] = Field(description="Where: `body`, `query`, `path` or `header`, ...")
    msg: str
    type: str = Field(description="The kind of problem, e.g. `missing`, `string_too_long`")


class ErrorResponse(BaseModel):
    """The one error shape: a stable machine code and a human detail."""

    error: str = Field(description="Stable machine-readable code, e.g. `not_found`")
    detail: str | dict[str, Any] = Field(
        description="A message (some conflicts add the facts as an object)"
    )


class ValidationErrorResponse(BaseModel):
    """A 422: the request is not valid; `detail` lists every field at fault."""

    error: str = Field(description="`invalid`, or the code of the failed rule")
    detail: list[FieldError]


def document_error_shape(openapi_schema: dict[str, Any]) -> dict[str, Any]:
    """Make the schema describe the errors the API really sends.

    Every documented error points at `ErrorResponse` or `ValidationErrorResponse`
    (see `app.api.openapi`); FastAPI's own `HTTPValidationError`
    (`{"detail": [...]}`) is never sent, so it goes, with its `ValidationError`.
    """
    schemas = openapi_schema.setdefault("components", {}).setdefault("schemas", {})
    for model in (ErrorResponse, ValidationErrorResponse):
        shape = model.model_json_schema(ref_template="#/components/schemas/{model}")
        schemas.update(shape.pop("$defs", {}))
        schemas[model.__name__] = shape
    schemas.pop("HTTPValidationError", None)
    schemas.pop("ValidationError", None)
    text = json.dumps(openapi_schema)
    for name in ("HTTPValidationError", "ValidationError"):
        if f'"#/components/schemas/{name}"' in text:
            raise RuntimeError(f"an operation still documents FastAPI's {name}")
    openapi_schema["components"]["schemas"] = dict(sorted(schemas.items()))
    return openapi_schema


def errors(*kinds: type[AppError]) -> dict[int | str, dict[str, Any]]:
    """`responses=` of a route that can answer these errors: one entry per status,
    whose description and examples list the possible `error` codes."""
    by_status: dict[int, list[type[AppError]]] = {}
    for kind in kinds:
        by_status.setdefault(kind.status_code, []).append(kind)
    return {status: error_response(status, group) for status, group in by_status.items()}


_STATUS_TEXT = {
    400: "Bad request",
    401: "Not signed in, or the token is invalid",
    403: "Signed in, but not allowed",
    404: "Not found (or not yours to see)",
    409: "Refused by a business rule",
    422: "The request is not valid",
    429: "Too many requests; retry after `Retry-After` seconds",
    503: "A service it needs is unavailable; retry shortly",
}


def error_response(status: int, kinds: Iterable[type[AppError]]) -> dict[str, Any]:
    """One documented error answer listing the codes of `kinds`."""
    unique = sorted({kind.code: kind for kind in kinds}.items())
    codes = ", ".join(f"`{code}`" for code, _ in unique)
    examples = {
        code: {"value": {"error": code, "detail": _example_detail(kind)}} for code, kind in unique
    }
    return {
        "model": ValidationErrorResponse if status == 422 else ErrorResponse,
        "description": f"{_STATUS_TEXT.get(status, 'Error')}. `error` is one of: {codes}",
        "content": {"application/json": {"examples": examples}},
    }


def _example_detail(kind: type[AppError]) -> Any:
    if issubclass(kind, Unprocessable):
        return [{"loc": list(kind.loc), "msg": kind.message or "Field required", "type": kind.code}]
    if kind is NotFound or issubclass(kind, NotFound):
        return "Venue not found"
    return kind.message or kind.code.replace("_", " ").capitalize()


def raises(*kinds: type[AppError]) -> Callable[[F], F]:
    """Mark a dependency with the errors it can raise; every route that depends on
    it documents them (see `app.api.openapi`)."""

    def mark(fn: F) -> F:
        fn.__raises__ = (*getattr(fn, "__raises__", ()), *kinds)  # type: ignore[attr-defined]
        return fn

    return mark


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


def render_error(exc: AppError) -> JSONResponse:
    """The answer an `AppError` renders as (what the exception handler sends)."""
    return JSONResponse(
        error_body(exc.code, jsonable_encoder(exc.render_detail())),
        status_code=exc.status_code,
        headers=exc.headers,
    )


def _app_error(_request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, AppError)
    return render_error(exc)


# What FastAPI says when it cannot even decode a body (see fastapi.routing).
BODY_NOT_PARSED = "There was an error parsing the body"


def _http_error(_request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, StarletteHTTPException)
    code = _HTTP_CODES.get(exc.status_code, "http_error")
    detail = exc.detail
    if exc.status_code == 404 and detail == "Not Found":
        detail = "No such endpoint"
    if exc.status_code == 400 and detail == BODY_NOT_PARSED:
        # A body that is not text (bytes that are not UTF-8): a payload problem like
        # malformed JSON, so the same 422 field-error list that FastAPI gives for that.
        field = [
            {"loc": ["body"], "msg": "The body is not valid JSON text", "type": "json_invalid"}
        ]
        return JSONResponse(error_body("invalid", field), status_code=422)
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


def _integrity_error(request: Request, exc: Exception) -> JSONResponse:
    """A constraint violation no crud function caught: the domain error its
    constraint's name means (a generic 409 for the others), never a 500."""
    assert isinstance(exc, IntegrityError)
    logger.warning("integrity error reached the handler (%s): %s", constraint_name(exc), exc.orig)
    return _app_error(request, integrity_error(exc))


def _data_error(request: Request, exc: Exception) -> JSONResponse:
    """A value the database cannot store (NUL bytes in text, a number out of range):
    bad input that slipped past validation, so a 422, never a 500. The transaction
    is rolled back with the request's session, so nothing is half-written."""
    assert isinstance(exc, DataError)
    reason = str(exc.orig).strip().splitlines()[0] if exc.orig is not None else "invalid value"
    logger.warning("data error reached the handler: %s", reason)
    return _app_error(request, Unprocessable(f"A value in the request cannot be stored: {reason}"))


def _database_unavailable(request: Request, exc: Exception) -> JSONResponse:
    logger.error("database unavailable: %s", exc)
    return _app_error(request, DatabaseUnavailable())


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


# --- bills (split the bill) -------------------------------------------------------------


class SessionNotPayAtEnd(Conflict):
    code = "session_not_pay_at_end"
    message = "This table session pays per order: it has no bill to split"


class TableSessionClosed(Conflict):
    code = "table_session_closed"
    message = "This table session is closed; scan the table's code again"


class NothingToBill(Conflict):
    code = "nothing_to_bill"
    message = "This table session has nothing to pay for yet"


class BillPaid(Conflict):
    code = "bill_paid"
    message = "This bill is paid in full"


class BillNotOpen(Conflict):
    code = "bill_not_open"
    message = "This bill is no longer open"


class BillPartlyPaid(Conflict):
    code = "bill_partly_paid"
    message = "A share of this bill is already paid: its service charge can no longer change"


class BillSharePending(Conflict):
    code = "bill_share_pending"
    message = (
        "A share of this bill is being paid: its service charge can change once that "
        "payment is done or expires"
    )


class ShareExceedsBill(Conflict):
    code = "share_exceeds_bill"
    message = "This share is more than is left to pay on the bill"


class LineAlreadyPaid(Conflict):
    code = "line_already_paid"
    message = "An item chosen is already paid (or being paid) by another share"


class BillChanged(Conflict):
    code = "bill_changed"
    message = "The bill changed while your share was being prepared: try again"


class UnknownBillLine(Unprocessable):
    code = "unknown_bill_line"
    message = "This item is not on the bill"
    loc = ("body", "line_ids")


class EmptyShare(Unprocessable):
    code = "empty_share"
    message = "The items chosen cost nothing: there is nothing to pay"
    loc = ("body", "line_ids")


# --- menu options, tax classes and pickup points ----------------------------------------


class TaxClassNameTaken(Conflict):
    code = "tax_class_name_taken"
    message = "This venue already has a tax class with this name"


class TaxClassInUse(Conflict):
    code = "tax_class_in_use"
    message = "Items use this tax class; give them another one (or none) first"


class InvalidTaxClass(Unprocessable):
    code = "invalid_tax_class"
    message = "`tax_class_id` must be a tax class of this venue"
    loc = ("body", "tax_class_id")


class VariantNameTaken(Conflict):
    code = "variant_name_taken"
    message = "This item already has a variant with this name"


class AddOnGroupNameTaken(Conflict):
    code = "add_on_group_name_taken"
    message = "This item already has an add-on group with this name"


class AddOnNameTaken(Conflict):
    code = "add_on_name_taken"
    message = "This group already has an add-on with this name"


class InvalidChoices(Unprocessable):
    code = "invalid_choices"
    message = "`min_choices` cannot be more than `max_choices`"
    loc = ("body", "min_choices")


class OptionCurrencyMismatch(Unprocessable):
    code = "option_currency_mismatch"
    message = "A variant or add-on is priced in its item's currency"
    loc = ("body", "currency")


class PickupPointNameTaken(Conflict):
    code = "pickup_point_name_taken"
    message = "This venue already has a pickup point with this name"


class PickupPointInUse(Conflict):
    code = "pickup_point_in_use"
    message = "Orders were placed at this pickup point; deactivate it instead"


CONSTRAINT_ERRORS.update(
    {
        "uq_tax_class_venue_id_name": TaxClassNameTaken,
        "fk_menu_item_tax_class_id_tax_class": TaxClassInUse,
        "uq_menu_item_variant_item_id_name": VariantNameTaken,
        "uq_add_on_group_item_id_name": AddOnGroupNameTaken,
        "uq_add_on_group_id_name": AddOnNameTaken,
        "ck_add_on_group_choices_range": InvalidChoices,
        "uq_pickup_point_venue_id_name": PickupPointNameTaken,
        "fk_venue_order_pickup_point_id_pickup_point": PickupPointInUse,
    }
)


# --- table sessions and orders ---------------------------------------------------------


class SessionJoinExpired(PermissionDenied):
    code = "session_join_expired"
    message = "You joined this table too long ago; scan the table's code again"


class TooFarFromVenue(PermissionDenied):
    code = "too_far_from_venue"
    message = "You are too far from the venue to order at its table"


class TableNotFree(Conflict):
    code = "table_not_free"
    message = "That table already has an open session"


class SessionMergeRefused(Conflict):
    code = "session_merge_refused"
    message = "These two sessions cannot be merged"


class VenueNotAcceptingOrders(Conflict):
    code = "venue_not_accepting_orders"
    message = "The venue is not taking orders right now"


class VenueClosedNow(Conflict):
    code = "venue_closed"
    message = "The venue is closed now"


class ItemSoldOut(Conflict):
    code = "item_sold_out"
    message = "An item of the order is sold out"


class VariantSoldOut(Conflict):
    code = "variant_sold_out"
    message = "A variant of the order is sold out"


class AddOnSoldOut(Conflict):
    code = "add_on_sold_out"
    message = "An add-on of the order is sold out"


class BillIssued(Conflict):
    code = "bill_issued"
    message = "The table's bill has been issued; no more orders on this session"


class InvalidOrderTransition(Conflict):
    code = "invalid_order_transition"
    message = "The order cannot make this move"


class UnknownItem(Unprocessable):
    code = "unknown_item"
    message = "No such item on this venue's menu"
    loc = ("body", "lines")


class VariantRequired(Unprocessable):
    code = "variant_required"
    message = "This item is ordered as one of its variants"
    loc = ("body", "lines")


class UnknownVariant(Unprocessable):
    code = "unknown_variant"
    message = "No such variant of this item"
    loc = ("body", "lines")


class UnknownAddOn(Unprocessable):
    code = "unknown_add_on"
    message = "No such add-on for this item"
    loc = ("body", "lines")


class AddOnChoices(Unprocessable):
    code = "add_on_choices"
    message = "Too few or too many add-ons of a group"
    loc = ("body", "lines")


class OrderKindMismatch(Conflict):
    code = "order_kind_mismatch"
    message = "This kind of order cannot be placed here"


class SubOrderMovedByItsVenue(PermissionDenied):
    code = "sub_order_moved_by_its_venue"
    message = "A food-court sub-order is moved by its own venue's staff"


# --- live updates and push notifications ---


class InvalidStreamToken(NotAuthenticated):
    code = "invalid_stream_token"
    message = "Invalid or expired stream token; ask POST /api/v1/live/tokens for a new one"


class LiveUnavailable(ServiceUnavailable):
    code = "live_unavailable"
    message = "Live updates are unavailable right now; retry shortly"


class TooManyUnpaidOrders(Conflict):
    code = "too_many_unpaid_orders"
    message = (
        "You have orders waiting for payment: pay for them, or wait until they are "
        "abandoned, before placing another"
    )


class SessionNotSettled(Conflict):
    code = "session_not_settled"
    message = (
        "This table's tab is not paid: issue its bill and let it be paid (or reject its "
        "orders before a bill is issued) before closing the session"
    )


class SharePendingForPayer(Conflict):
    code = "share_pending_for_payer"
    message = (
        "You are already paying a share of this bill: finish that payment, or wait until it expires"
    )


# --- groups ------------------------------------------------------------------------------


class ConsumerAccountRequired(PermissionDenied):
    code = "consumer_account_required"
    message = "Only consumer accounts (signed in with a phone number) can do this"


class NotGroupAdmin(PermissionDenied):
    code = "not_group_admin"
    message = "Only the group's admin can do this"


class GroupClosed(Conflict):
    code = "group_closed"
    message = "This group is closed; it can still be read but no longer changed"


# --- group wallets and cover credit ---


class WalletClosed(Conflict):
    code = "wallet_closed"
    message = "This group is closed: its wallet takes no more top-ups or spends"


class WalletBalanceTooLow(Conflict):
    code = "wallet_balance_too_low"
    message = "The group's wallet does not hold enough for this"


class WalletSpendNotAllowed(PermissionDenied):
    code = "wallet_spend_not_allowed"
    message = "The group's admin has not allowed you to spend from its wallet"


class WalletCapReached(Conflict):
    code = "wallet_cap_reached"
    message = "This would take you past what the group's admin lets each member spend"


class WalletCurrencyMismatch(Conflict):
    code = "wallet_currency_mismatch"
    message = "The group's wallet is in another currency"


class WalletFull(Conflict):
    code = "wallet_full"
    message = "This top-up would take the wallet past the most it may hold"


class WalletSpendWaiting(Conflict):
    code = "wallet_spend_waiting"
    message = "A spend is waiting for the admin's approval: approve or decline it first"


class WalletSpendDecided(Conflict):
    code = "wallet_spend_decided"
    message = "This spend is no longer waiting for approval"


class NotGroupAdminForSpend(PermissionDenied):
    code = "not_group_admin_for_spend"
    message = "Only the group's admin approves or declines spends"


class CoverCreditChanged(Conflict):
    code = "cover_credit_changed"
    message = (
        "Your cover credit changed while this was being paid (spent from another phone); try again"
    )


class GroupFull(Conflict):
    code = "group_full"
    message = "This group has as many members as a group may have"


class GroupInviteExpired(Conflict):
    code = "group_invite_expired"
    message = "This invitation link has expired; ask the group's admin for a new one"


class GroupInviteUsedUp(Conflict):
    code = "group_invite_used_up"
    message = "This invitation link was used by as many people as it allows; ask for a new one"


class GroupInviteRevoked(Conflict):
    code = "group_invite_revoked"
    message = "This invitation link was withdrawn by the group's admin"


class AdminMustHandOver(Conflict):
    code = "admin_must_hand_over"
    message = (
        "The admin cannot leave the group: hand the admin role to another member first "
        "(POST /groups/{group_id}/admin), or close the group"
    )


class GroupNotForBooking(Conflict):
    code = "group_not_for_booking"
    message = (
        "Only a group made for a confirmed booking adds that booking's guests directly; "
        "send an invitation link instead"
    )


class BookingGuestsInGroup(Conflict):
    code = "booking_guests_in_group"
    message = (
        "The group already has as many members as the booking has guests; send an "
        "invitation link instead"
    )


class PhoneNotAddable(Unprocessable):
    code = "phone_not_addable"
    message = "No one can be added with this number; send them an invitation link instead"
    loc = ("body", "phone")


class GroupCurrencyMismatch(Unprocessable):
    code = "group_currency_mismatch"
    message = "The wallet's currency must be the one the booking or the venue is paid in"
    loc = ("body", "currency")


# --- the staff dashboard's cookie session ------------------------------------------------


class CsrfTokenInvalid(PermissionDenied):
    code = "csrf_token_invalid"
    message = (
        "The X-CSRF-Token header is missing or does not match this session: send the "
        "value of the socia_csrf cookie"
    )
