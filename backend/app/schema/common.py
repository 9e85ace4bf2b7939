"""Schemas shared by every domain."""

from __future__ import annotations

import json
import math
import re
from collections.abc import Callable, Sequence
from datetime import date, datetime
from typing import Annotated, Any, Generic, Self, TypeVar, cast
from urllib.parse import urlsplit

from fastapi import Query
from pydantic import (
    AfterValidator,
    AwareDatetime,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    GetCoreSchemaHandler,
    HttpUrl,
    ModelWrapValidatorHandler,
    Strict,
    TypeAdapter,
    ValidationError,
    WithJsonSchema,
    model_validator,
)
from pydantic_core import CoreSchema

T = TypeVar("T")

MAX_URL_LENGTH = 2048
_HTTP_URL: TypeAdapter[HttpUrl] = TypeAdapter(HttpUrl)
_HOST = re.compile(r"[a-z0-9_](?:[a-z0-9_.-]*[a-z0-9_])?|\[[0-9a-f:.]+\]")


def _parse_url(value: str) -> HttpUrl:
    if any(ch.isspace() or ord(ch) < 32 for ch in value):
        raise ValueError("A URL may not contain spaces or control characters")
    if not urlsplit(value).hostname:
        raise ValueError("A URL needs a host, as in https://example.com/...")
    try:
        url = _HTTP_URL.validate_python(value)
    except ValidationError as exc:
        raise ValueError("Not a valid http(s) URL") from exc
    # WHATWG parsing (pydantic) lets through hosts such as `a*b` that no DNS name or
    # address can be; the host is a name (IDNs in their xn-- form) or an IP address.
    if not _HOST.fullmatch(url.host or ""):
        raise ValueError("A URL's host is a domain name or an IP address")
    return url


def _check_http_link(value: str) -> str:
    text = str(_parse_url(value.strip()))
    if len(text) > MAX_URL_LENGTH:
        raise ValueError(f"A URL has at most {MAX_URL_LENGTH} characters")
    return text


def _check_https_url(value: str) -> str:
    value = value.strip()
    if _parse_url(value).scheme != "https":
        raise ValueError("Must be an https:// URL")
    return value


def _any_case(word: str) -> str:
    return "".join(f"[{c.lower()}{c.upper()}]" if c.isalpha() else c for c in word)


# Domains whose addresses email-validator refuses (not globally deliverable).
_SPECIAL_USE_DOMAINS = ("arpa", "invalid", "local", "localhost", "onion", "test")
_DOMAIN_LABEL = r"[A-Za-z0-9]{1,30}(?:-[A-Za-z0-9]{1,30})?"
EMAIL_PATTERN = (
    r"^[A-Za-z0-9_+-]{1,32}(?:\.[A-Za-z0-9_+-]{1,31})?"
    rf"@(?:{_DOMAIN_LABEL}\.){{1,3}}"
    rf"(?!(?:{'|'.join(_any_case(d) for d in _SPECIAL_USE_DOMAINS)})$)[A-Za-z]{{1,63}}$"
)
"""The email addresses the schema publishes: every one is accepted by email-validator
(which the server uses, tests/core/test_url_types.py). The server also takes addresses
beyond it (quoted or internationalised local parts, IDN domains); it refuses special-use
domains (`.test`, `.local`, `.onion`, ...), which no pattern-less `format: email` says."""
EMAIL_SCHEMA: dict[str, Any] = {"pattern": EMAIL_PATTERN, "maxLength": 254}


NUL_MESSAGE = "Text may not contain NUL (\\u0000) characters"


def has_nul(value: Any) -> bool:
    """Whether a string anywhere in plain data (dicts, lists, tuples, sets) holds a NUL."""
    if isinstance(value, str):
        return "\x00" in value
    if isinstance(value, dict):
        return any(has_nul(k) or has_nul(v) for k, v in value.items())
    if isinstance(value, list | tuple | set | frozenset):
        return any(has_nul(v) for v in value)
    return False


def _refuse_nul(value: str | None) -> str | None:
    if value is not None and "\x00" in value:
        raise ValueError(NUL_MESSAGE)
    return value


class RequestModel(BaseModel):
    """Base of request bodies: unknown fields are refused, and so is text with NUL
    characters (PostgreSQL cannot store them).

    Fields marked `NoNul` refuse a NUL with their own path, next to every other
    problem. Any other NUL in the input is refused here once the fields are valid,
    so it never hides the other problems and never reaches the database."""

    model_config = ConfigDict(extra="forbid")

    @model_validator(mode="wrap")
    @classmethod
    def _no_nul_characters(cls, data: Any, handler: ModelWrapValidatorHandler[Self]) -> Self:
        model = handler(data)
        if has_nul(data):
            raise ValueError(NUL_MESSAGE)
        return model


NoNul = AfterValidator(_refuse_nul)
"""Refuses text holding a NUL (PostgreSQL text cannot), with the field's own path, so
the other problems of the request are reported too. Put it after the field's length
constraints (which then stay string constraints): Annotated[str, Field(max_length=100), NoNul]."""


def _url_pattern(scheme: str) -> str:
    label = r"[A-Za-z0-9]{1,30}(?:-[A-Za-z0-9]{1,30})?"
    unreserved = r"A-Za-z0-9._~!$&()*+,;=:@/-"
    return (
        rf"^{scheme}://(?:{label}\.){{0,4}}[A-Za-z]{{1,30}}(?::[1-9][0-9]{{0,3}})?"
        rf"(?:/[{unreserved}]*(?:\?[?{unreserved}]*)?(?:#[?{unreserved}]*)?)?$"
    )


HTTP_LINK_PATTERN = _url_pattern("https?")
HTTPS_URL_PATTERN = _url_pattern("https")
"""The URLs the schema publishes: a host name, an optional port below 10000, then
nothing or a path (with a query and a fragment) of characters that need no escaping.
Every one is accepted (and never lengthened past MAX_URL_LENGTH by normalising:
tests/core/test_url_types.py);
the server also takes what it can normalise (IDN hosts, IP addresses, escapes, spaces
around the URL) but never an empty text or a host that is not a name or an address."""

HttpLink = Annotated[
    str,
    Field(
        max_length=MAX_URL_LENGTH,
        examples=["https://example.com"],
        json_schema_extra={"pattern": HTTP_LINK_PATTERN},
    ),
    AfterValidator(_check_http_link),
]
"""An http:// or https:// link, normalised (e.g. a trailing slash after the host)."""

HttpsUrl = Annotated[
    str,
    Field(
        max_length=MAX_URL_LENGTH,
        examples=["https://cdn.example.com/poster.jpg"],
        json_schema_extra={"pattern": HTTPS_URL_PATTERN},
    ),
    AfterValidator(_check_https_url),
]
"""An https:// URL kept as sent but for surrounding spaces (images the app loads over TLS)."""


def _round_metres(value: Any) -> Any:
    return round(value) if isinstance(value, float) and math.isfinite(value) else value


Metres = Annotated[int, BeforeValidator(_round_metres), Field(ge=0)]
"""A distance in answers: whole metres (computed in floating point, rounded to nearest)."""


class Page(BaseModel, Generic[T]):
    """One page of a list, with the total number of matching rows."""

    items: Sequence[T]
    total: int = Field(ge=0)
    limit: int = Field(ge=1)
    offset: int = Field(ge=0)

    @classmethod
    def model_parametrized_name(cls, params: tuple[Any, ...]) -> str:
        """`VenueSummaryPage`, not `Page[VenueSummary]` (which OpenAPI spells
        `Page_VenueSummary_`): a clean name for generated clients."""
        return "".join(getattr(p, "__name__", str(p)) for p in params) + "Page"

    @classmethod
    def __get_pydantic_core_schema__(cls, source: Any, handler: GetCoreSchemaHandler) -> CoreSchema:
        """The JSON schema name comes from the core schema's `ref`, which pydantic builds
        from the generic origin and its arguments (`Page[VenueSummary]`): use the
        parametrized class's own name instead."""
        schema = handler(source)
        if cls.__pydantic_generic_metadata__["args"] and "ref" in schema:
            ref = f"{cls.__module__}.{cls.__name__}:{id(cls)}"
            return cast(CoreSchema, {**schema, "ref": ref})
        return schema


class PageParams(BaseModel):
    model_config = ConfigDict(frozen=True)

    limit: int = 20
    offset: int = 0


def page_params(
    limit: Annotated[int, Query(ge=1, le=100, description="Page size")] = 20,
    offset: Annotated[int, Query(ge=0, le=100_000, description="Rows to skip")] = 0,
) -> PageParams:
    return PageParams(limit=limit, offset=offset)


class Message(BaseModel):
    message: str


# --- free-form JSON, bounded at input -------------------------------------------------

MAX_JSON_DEPTH = 8
MAX_JSON_BYTES = 8_000


def _json_problem(value: Any, *, max_depth: int, check_text: bool) -> str | None:
    """Why plain JSON data cannot be kept as it is, walking it without recursion."""
    stack: list[tuple[Any, int]] = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, dict | list):
            if depth > max_depth:
                return f"Nested more than {max_depth} levels deep"
            if isinstance(item, dict):
                stack.extend((k, depth) for k in item)
                stack.extend((v, depth + 1) for v in item.values())
            else:
                stack.extend((v, depth + 1) for v in item)
        elif isinstance(item, str) and check_text:
            if "\x00" in item:
                return NUL_MESSAGE
            if any("\ud800" <= ch <= "\udfff" for ch in item):
                return "Text may not contain lone surrogates (\\ud800-\\udfff)"
        elif isinstance(item, float) and not math.isfinite(item):
            return "Numbers must be finite (no NaN or Infinity)"
    return None


def bounded_json(
    *, max_depth: int = MAX_JSON_DEPTH, max_bytes: int = MAX_JSON_BYTES, check_text: bool = True
) -> Any:
    """Validator for a free-form JSON field: at most `max_depth` levels of objects and
    arrays, at most `max_bytes` of UTF-8 JSON, only text and numbers PostgreSQL's
    `jsonb` and our answers can hold. Checked before anything else looks at the value,
    so a deeply nested body is a 422 naming the field, never a 500 when it is shown.
    `check_text=False` leaves NUL characters and lone surrogates to a model that
    validates the data further and reports them at their own path."""

    def check(value: Any) -> Any:
        problem = _json_problem(value, max_depth=max_depth, check_text=check_text)
        if problem is None:
            size = len(
                json.dumps(value, ensure_ascii=False, separators=(",", ":")).encode(
                    "utf-8", "surrogatepass"
                )
            )
            if size > max_bytes:
                problem = f"At most {max_bytes} bytes of JSON (this is {size})"
        if problem is not None:
            raise ValueError(problem)
        return value

    return BeforeValidator(check)


JsonObject = Annotated[
    dict[str, Any],
    bounded_json(),
    WithJsonSchema(
        {
            "type": "object",
            "additionalProperties": True,
            "description": f"Free-form JSON: at most {MAX_JSON_DEPTH} levels deep and "
            f"{MAX_JSON_BYTES} bytes",
        }
    ),
]
"""A free-form JSON object, bounded in depth and size (see `bounded_json`); make a
field with other bounds as `Annotated[dict[str, Any], bounded_json(max_bytes=...)]`."""


# --- strict scalars ---------------------------------------------------------------------
# JSON bodies are validated as Python data, where Pydantic's lax mode would take "100"
# for an integer, 1.0 for a flag and 0 for 1 January 1970. These types take only what
# the published schema says: a JSON integer, a JSON boolean, a finite JSON number, an
# ISO 8601 date or date-time string (query strings are text, so there an integer or a
# flag is parsed from its text, but a date is still only an ISO date).


def _whole_number(value: Any) -> Any:
    """72.0 is the integer 72 in JSON (JSON Schema's `integer` admits it); 72.5 is not."""
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


StrictInteger = Annotated[int, Strict(), BeforeValidator(_whole_number)]
"""A JSON integer (not a string, a boolean or a fraction; 72.0 is 72); give it bounds:
Annotated[StrictInteger, Field(ge=0, le=...)]. (Bounds set outside a validated type are
published by pydantic under its own names, `ge`/`le`: app/api/openapi.py renames them.)"""
Flag = Annotated[bool, Strict()]
"""A JSON `true` or `false`."""
FiniteNumber = Annotated[float, Strict(), Field(allow_inf_nan=False)]
"""A finite JSON number (an integer is a number too)."""

_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
_ISO_DATETIME = re.compile(r"\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}")


def _iso_date_text(value: Any) -> Any:
    if isinstance(value, date) and not isinstance(value, datetime):
        return value
    if not isinstance(value, str) or not _ISO_DATE.fullmatch(value):
        raise ValueError("A date as YYYY-MM-DD")
    return value


def _iso_datetime_text(value: Any) -> Any:
    if isinstance(value, datetime):
        return value
    if not isinstance(value, str) or not _ISO_DATETIME.match(value):
        raise ValueError(
            "A date and time in ISO 8601 with its offset, e.g. 2026-01-31T21:00:00+05:30"
        )
    return value


IsoDateText = BeforeValidator(_iso_date_text)
"""Refuses anything but YYYY-MM-DD text before a date type parses it (for PastDate etc.)."""
IsoDate = Annotated[date, IsoDateText]
"""A calendar date written YYYY-MM-DD (never a number read as a Unix time)."""
IsoDatetime = Annotated[AwareDatetime, BeforeValidator(_iso_datetime_text)]
"""An ISO 8601 date-time with its UTC offset (never a number read as a Unix time)."""


# --- partial updates: fields that may be left out but not set to null ------------------


def drop_null(*names: str) -> Callable[[dict[str, Any]], None]:
    """`json_schema_extra` for a partial update whose fields `names` may be omitted but
    never sent as null: the published schema then does not offer null for them."""

    def edit(schema: dict[str, Any]) -> None:
        properties = schema.get("properties", {})
        for name in names:
            prop = properties.get(name)
            if not prop or "anyOf" not in prop:
                continue
            branches = [b for b in prop["anyOf"] if b != {"type": "null"}]
            prop.pop("default", None)
            if len(branches) == 1:
                del prop["anyOf"]
                prop.update({k: v for k, v in branches[0].items() if k not in prop})
            else:
                prop["anyOf"] = branches

    return edit


def refuse_nulls(model: BaseModel, names: Sequence[str]) -> None:
    """Refuse an explicit null for the fields `names` of a partial update."""
    nulls = [n for n in names if n in model.model_fields_set and getattr(model, n) is None]
    if nulls:
        raise ValueError(f"These fields cannot be null: {', '.join(nulls)}")
