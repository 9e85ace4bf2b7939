"""The two URL types every schema shares: links (http or https) and https-only image URLs."""

from __future__ import annotations

import pytest
from pydantic import TypeAdapter, ValidationError

from app.schema.common import MAX_URL_LENGTH, HttpLink, HttpsUrl

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
