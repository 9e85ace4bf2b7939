"""The FCM HTTP v1 adapter against a fake FCM on loopback: the service-account token
exchange, the message, and every kind of failure."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from pydantic import SecretStr

from app.core.config import Settings
from app.providers.push import (
    ConsolePush,
    FcmPush,
    PushError,
    PushMessage,
    PushRejected,
    UnregisteredToken,
)
from tests.factories.live import free_port
from tests.fakes.fcm import CLIENT_EMAIL, PROJECT, FakeFcm

MESSAGE = PushMessage(title="Order 42 is ready", body="Collect it at Bar 2.", data={"number": "42"})


@pytest.fixture
def fcm() -> Iterator[FakeFcm]:
    with FakeFcm() as fake:
        yield fake


def test_a_message_is_sent_with_an_access_token_from_the_service_account(fcm: FakeFcm) -> None:
    provider = fcm.provider()
    provider.send(token="device-token-1", message=MESSAGE)
    provider.send(token="device-token-2", message=MESSAGE)
    assert [m.body for m in fcm.messages] == [
        {
            "message": {
                "token": token,
                "notification": {"title": "Order 42 is ready", "body": "Collect it at Bar 2."},
                "data": {"number": "42"},
            }
        }
        for token in ("device-token-1", "device-token-2")
    ]
    assert fcm.messages[0].path == f"/v1/projects/{PROJECT}/messages:send"
    assert fcm.messages[0].authorization == "Bearer ya29.fake-1"
    # One exchange for both: the access token is kept until shortly before it expires.
    [claims] = fcm.token_requests
    assert claims["iss"] == CLIENT_EMAIL
    assert claims["exp"] - claims["iat"] == 3600


def test_an_unregistered_token_is_reported_as_such(fcm: FakeFcm) -> None:
    fcm.mode = "unregistered"
    with pytest.raises(UnregisteredToken):
        fcm.provider().send(token="gone", message=MESSAGE)


def test_an_invalid_message_is_refused_for_good_but_keeps_the_device(fcm: FakeFcm) -> None:
    fcm.mode = "invalid"
    with pytest.raises(PushRejected) as caught:
        fcm.provider().send(token="device", message=MESSAGE)
    assert not isinstance(caught.value, UnregisteredToken)


@pytest.mark.parametrize("mode", ["crash", "busy"])
def test_server_errors_and_rate_limits_are_worth_retrying(fcm: FakeFcm, mode: str) -> None:
    fcm.mode = mode  # type: ignore[assignment]
    with pytest.raises(PushError):
        fcm.provider().send(token="device", message=MESSAGE)


def test_a_timeout_is_worth_retrying(fcm: FakeFcm) -> None:
    fcm.mode = "slow"
    fcm.delay = 2.0
    with pytest.raises(PushError, match="unreachable"):
        fcm.provider(timeout=0.2).send(token="device", message=MESSAGE)


def test_an_unreachable_token_endpoint_is_worth_retrying() -> None:
    provider = FcmPush(
        project_id=PROJECT,
        client_email=CLIENT_EMAIL,
        private_key=FakeFcm().private_key,
        token_uri=f"http://127.0.0.1:{free_port()}/token",
        api_base_url="http://127.0.0.1:9",
        timeout=1,
    )
    with pytest.raises(PushError, match="token endpoint unreachable"):
        provider.send(token="device", message=MESSAGE)


def test_a_rejected_access_token_is_renewed_once(fcm: FakeFcm) -> None:
    provider = fcm.provider()
    provider.send(token="device", message=MESSAGE)
    fcm.mode = "reject_token"
    provider.send(token="device", message=MESSAGE)
    assert len(fcm.token_requests) == 2
    assert fcm.messages[-1].authorization == "Bearer ya29.fake-2"


def test_a_key_with_escaped_newlines_is_accepted(fcm: FakeFcm) -> None:
    provider = FcmPush(
        project_id=PROJECT,
        client_email=CLIENT_EMAIL,
        private_key=fcm.private_key.replace("\n", "\\n"),
        token_uri=f"{fcm.url}/token",
        api_base_url=fcm.url,
    )
    provider.send(token="device", message=MESSAGE)
    assert len(fcm.messages) == 1


def test_a_wrong_service_account_is_refused(fcm: FakeFcm) -> None:
    provider = FcmPush(
        project_id=PROJECT,
        client_email="someone-else@example.com",
        private_key=fcm.private_key,
        token_uri=f"{fcm.url}/token",
        api_base_url=fcm.url,
    )
    with pytest.raises(PushRejected, match="refused the service account"):
        provider.send(token="device", message=MESSAGE)
    bad_key = FcmPush(
        project_id=PROJECT,
        client_email=CLIENT_EMAIL,
        private_key="not a key",
        token_uri=f"{fcm.url}/token",
        api_base_url=fcm.url,
    )
    with pytest.raises(PushRejected, match="RSA private key"):
        bad_key.send(token="device", message=MESSAGE)


def test_settings_choose_the_provider() -> None:
    with pytest.raises(ValueError, match="PUSH_PROVIDER=fcm needs"):
        Settings(_env_file=None, PUSH_PROVIDER="fcm")
    cfg = Settings(
        _env_file=None,
        PUSH_PROVIDER="fcm",
        FCM_PROJECT_ID=PROJECT,
        FCM_CLIENT_EMAIL=CLIENT_EMAIL,
        FCM_PRIVATE_KEY=SecretStr("-----BEGIN PRIVATE KEY-----\\n..."),
    )
    provider = FcmPush.from_settings(cfg)
    assert provider.send_url == f"https://fcm.googleapis.com/v1/projects/{PROJECT}/messages:send"
    assert provider.token_uri == "https://oauth2.googleapis.com/token"


def test_the_console_provider_keeps_what_it_would_send() -> None:
    console = ConsolePush()
    console.send(token="device-token", message=MESSAGE)
    assert [(sent.token, sent.message) for sent in console.outbox] == [("device-token", MESSAGE)]
