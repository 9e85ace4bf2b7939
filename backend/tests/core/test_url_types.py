"""The two URL types every schema shares: links (http or https) and https-only image URLs."""

from __future__ import annotations

import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import TypeAdapter, ValidationError

from app.schema.auth import Email
from app.schema.common import (
    EMAIL_PATTERN,
    HTTP_LINK_PATTERN,
    HTTPS_URL_PATTERN,
    MAX_URL_LENGTH,
    HttpLink,
    HttpsUrl,
)

LINK: TypeAdapter[str] = TypeAdapter(HttpLink)
HTTPS: TypeAdapter[str] = TypeAdapter(HttpsUrl)


def test_a_link_may_be_http_or_https_and_is_normalised() -> None:
    assert LINK.validate_python(" http://example.com ") == "http://example.com/"
    assert LINK.validate_python("https://example.com/menu?x=1") == "https://example.com/menu?x=1"


def test_an_image_url_must_be_https_and_is_kept_as_sent() -> None:
    assert (
        HTTPS.validate_python(" https://cdn.example.com/a.jpg ") == "https://cdn.example.com/a.jpg"
    )
    with pytest.raises(ValidationError, match="https://"):
        HTTPS.validate_python("http://cdn.example.com/a.jpg")


@pytest.mark.parametrize("adapter", [LINK, HTTPS], ids=["link", "https"])
@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("https:///no-host", "needs a host"),
        ("https://exa mple.com/", "spaces"),
        ("https://example.com/\x07", "control characters"),
        ("ftp://example.com/file", "http"),
        ("javascript:alert(1)", "host"),
        ("https://example.com/" + "a" * MAX_URL_LENGTH, "at most"),
    ],
)
def test_bad_urls_are_refused_with_a_reason(
    adapter: TypeAdapter[str], value: str, message: str
) -> None:
    with pytest.raises(ValidationError, match=message):
        adapter.validate_python(value)


def test_a_host_that_is_not_a_name_is_refused() -> None:
    with pytest.raises(ValidationError, match="domain name or an IP address"):
        LINK.validate_python("https://exa*mple.com/")
    assert LINK.validate_python("http://127.0.0.1:8000/x") == "http://127.0.0.1:8000/x"


@settings(max_examples=300, deadline=None, database=None)
@given(st.from_regex(HTTP_LINK_PATTERN, fullmatch=True).filter(lambda u: len(u) <= MAX_URL_LENGTH))
def test_every_published_link_is_accepted(url: str) -> None:
    assert len(LINK.validate_python(url)) <= MAX_URL_LENGTH
    if url.startswith("https:"):
        assert re.fullmatch(HTTPS_URL_PATTERN, url)
        assert HTTPS.validate_python(url) == url


EMAIL: TypeAdapter[str] = TypeAdapter(Email)


@settings(max_examples=300, deadline=None, database=None)
@given(st.from_regex(EMAIL_PATTERN, fullmatch=True).filter(lambda e: len(e) <= 254))
def test_every_published_email_address_is_accepted(address: str) -> None:
    assert EMAIL.validate_python(address) == address.lower()


@pytest.mark.parametrize("address", ["owner@venue.test", "a@b.local", "x@y.onion", "a@b.invalid"])
def test_special_use_domains_are_refused_by_server_and_schema(address: str) -> None:
    assert not re.fullmatch(EMAIL_PATTERN, address)
    with pytest.raises(ValidationError):
        EMAIL.validate_python(address)
