"""Schemas shared by every domain."""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Annotated, Any, Generic, Self, TypeVar, cast
from urllib.parse import urlsplit

from fastapi import Query
from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    GetCoreSchemaHandler,
    HttpUrl,
    ModelWrapValidatorHandler,
    TypeAdapter,
    ValidationError,
    model_validator,
)
from pydantic_core import CoreSchema

T = TypeVar("T")

MAX_URL_LENGTH = 2048
_HTTP_URL: TypeAdapter[HttpUrl] = TypeAdapter(HttpUrl)


def _parse_url(value: str) -> HttpUrl:
    if any(ch.isspace() or ord(ch) < 32 for ch in value):
        raise ValueError("A URL may not contain spaces or control characters")
    if not urlsplit(value).hostname:
        raise ValueError("A URL needs a host, as in https://example.com/...")
    try:
        return _HTTP_URL.validate_python(value)
    except ValidationError as exc:
        raise ValueError("Not a valid http(s) URL") from exc


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

HttpLink = Annotated[
    str,
    Field(max_length=MAX_URL_LENGTH, examples=["https://example.com"]),
    AfterValidator(_check_http_link),
]
"""An http:// or https:// link, normalised (e.g. a trailing slash after the host)."""

HttpsUrl = Annotated[
    str,
    Field(max_length=MAX_URL_LENGTH, examples=["https://cdn.example.com/poster.jpg"]),
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
