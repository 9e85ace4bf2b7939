from fastapi.testclient import TestClient

from app.core.config import settings
from tests.utils import assert_error


def test_health(client: TestClient) -> None:
    response = client.get("/api/v1/utils/health")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


def test_ready_checks_the_database(client: TestClient) -> None:
    response = client.get("/api/v1/utils/ready")
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ready"
    assert body["database"] == "ok"
    # Rate limits count where the run configured them (Redis in CI, memory otherwise).
    assert body["rate_limits"] == ("redis" if settings.REDIS_URL else "memory")
    assert body["degraded"] is False


def test_unknown_route_uses_error_shape(client: TestClient) -> None:
    assert_error(client.get("/api/v1/nope"), 404, "not_found")


def test_wrong_method_uses_error_shape(client: TestClient) -> None:
    assert_error(client.delete("/api/v1/utils/health"), 405, "method_not_allowed")


def test_request_id_is_generated_and_echoed(client: TestClient) -> None:
    generated = client.get("/api/v1/utils/health").headers["x-request-id"]
    assert len(generated) == 32
    echoed = client.get("/api/v1/utils/health", headers={"X-Request-ID": "abc-123"})
    assert echoed.headers["x-request-id"] == "abc-123"
    bogus = client.get("/api/v1/utils/health", headers={"X-Request-ID": "bad id\twith spaces"})
    assert bogus.headers["x-request-id"] != "bad id\twith spaces"
