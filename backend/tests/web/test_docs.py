"""Swagger UI and ReDoc work offline: every asset they reference comes from the app."""

from __future__ import annotations

import re
from html.parser import HTMLParser
from urllib.parse import urljoin, urlsplit

import pytest
from fastapi.testclient import TestClient


class _Refs(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.refs: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        for name, value in attrs:
            if name in {"src", "href"} and value:
                self.refs.append(value)


def _refs(html: str) -> list[str]:
    parser = _Refs()
    parser.feed(html)
    return parser.refs


@pytest.mark.parametrize(
    ("page", "expected"),
    [
        ("/docs", {"swagger-ui-bundle.js", "swagger-ui.css", "favicon.png"}),
        ("/redoc", {"redoc.standalone.js", "favicon.png"}),
    ],
)
def test_docs_pages_load_every_asset_from_the_app(
    client: TestClient, page: str, expected: set[str]
) -> None:
    response = client.get(page)
    assert response.status_code == 200
    html = response.text
    assert not re.search(r"https?://", html), "the page names an outside URL"
    refs = _refs(html)
    assert {ref.rsplit("/", 1)[-1] for ref in refs} >= expected
    for ref in refs:
        assert not urlsplit(ref).netloc, ref
        asset = client.get(urljoin(f"http://testserver{page}", ref))
        assert asset.status_code == 200, ref
        assert len(asset.content) > 0
    # The spec the page reads is served too.
    spec_url = re.search(r"""(?:url|spec-url)["']?\s*[:=]\s*["']([^"']+openapi\.json)""", html)
    assert spec_url, html
    assert client.get(spec_url.group(1)).json()["openapi"].startswith("3.")


def test_the_swagger_assets_are_the_real_bundles(client: TestClient) -> None:
    js = client.get("/docs/assets/swagger-ui-bundle.js")
    assert js.headers["content-type"].startswith(("application/javascript", "text/javascript"))
    assert "SwaggerUIBundle" in js.text
    assert client.get("/docs/assets/swagger-ui.css").headers["content-type"].startswith("text/css")
    assert "Redoc" in client.get("/docs/assets/redoc.standalone.js").text
    assert client.get("/docs/assets/nothing-here.js").status_code == 404


def test_swagger_keeps_its_parameters_and_both_sign_in_schemes(client: TestClient) -> None:
    html = client.get("/docs").text
    assert '"persistAuthorization": true' in html
    assert '"validatorUrl": null' in html  # no badge fetched from validator.swagger.io
    assert "oauth2RedirectUrl: window.location.origin + '/docs/oauth2-redirect'" in html
    redirect = client.get("/docs/oauth2-redirect")
    assert redirect.status_code == 200
    assert "oauth2" in redirect.text.lower()
    schemes = client.get("/api/v1/openapi.json").json()["components"]["securitySchemes"]
    password = next(s for s in schemes.values() if s["type"] == "oauth2")
    assert password["flows"]["password"]["tokenUrl"] == "/api/v1/auth/login"
    assert schemes["AccessToken"] == {**schemes["AccessToken"], "type": "http", "scheme": "bearer"}


def test_the_root_redirects_to_the_docs(client: TestClient) -> None:
    response = client.get("/", follow_redirects=False)
    assert response.status_code in {302, 307}
    assert response.headers["location"] == "/docs"
    assert client.get("/").url.path == "/docs"


def test_the_docs_are_not_in_the_api_schema(client: TestClient) -> None:
    paths = client.get("/api/v1/openapi.json").json()["paths"]
    assert not [path for path in paths if not path.startswith("/api/v1/")]
