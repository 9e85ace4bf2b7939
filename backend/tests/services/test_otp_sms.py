"""SMS providers: the MSG91-style adapter against a fake gateway on loopback, and the
console provider."""

from __future__ import annotations

import logging
import socket

import pytest
from pydantic import SecretStr

from app.core.config import Settings
from app.providers import sms
from app.services import otp as otp_service
from tests.fakes.sms_gateway import FakeSmsGateway


def provider_for(gateway: FakeSmsGateway, auth_key: str = FakeSmsGateway.AUTH_KEY) -> sms.Msg91Sms:
    return sms.Msg91Sms(
        url=gateway.url, auth_key=auth_key, template_id="tmpl-1", sender_id="SOCIAA", timeout=5
    )


def test_msg91_posts_the_code_to_the_flow_api() -> None:
    with FakeSmsGateway() as gateway:
        provider_for(gateway).send_code(to="+919876543210", code="424242", ttl_minutes=5)
    [request] = gateway.requests
    assert request.path == "/api/v5/flow/"
    assert request.headers["authkey"] == FakeSmsGateway.AUTH_KEY
    assert request.body["template_id"] == "tmpl-1"
    assert request.body["recipients"] == [
        {"mobiles": "919876543210", "otp": "424242", "minutes": "5"}
    ]


@pytest.mark.parametrize("mode", ["refuse", "crash", "garbage"])
def test_msg91_gateway_errors_raise(mode: str) -> None:
    with FakeSmsGateway() as gateway:
        gateway.mode = mode  # type: ignore[assignment]
        with pytest.raises(sms.SmsError):
            provider_for(gateway).send_code(to="+919876543210", code="1", ttl_minutes=5)


def test_msg91_wrong_auth_key_raises() -> None:
    with FakeSmsGateway() as gateway, pytest.raises(sms.SmsError):
        provider_for(gateway, auth_key="wrong").send_code(to="+91", code="1", ttl_minutes=5)


def test_msg91_unreachable_gateway_raises() -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    provider = sms.Msg91Sms(
        url=f"http://127.0.0.1:{port}/", auth_key="k", template_id="t", sender_id="S", timeout=2
    )
    with pytest.raises(sms.SmsError, match="unreachable"):
        provider.send_code(to="+919876543210", code="1", ttl_minutes=5)


def test_msg91_from_settings_needs_credentials() -> None:
    with pytest.raises(ValueError, match="SMS_GATEWAY_AUTH_KEY"):
        sms.Msg91Sms.from_settings(Settings(SMS_PROVIDER="msg91"))
    provider = sms.Msg91Sms.from_settings(
        Settings(
            SMS_PROVIDER="msg91",
            SMS_GATEWAY_AUTH_KEY=SecretStr("k"),
            SMS_TEMPLATE_ID="t",
        )
    )
    assert provider.template_id == "t"


def test_get_provider_follows_the_setting(monkeypatch: pytest.MonkeyPatch) -> None:
    from app.core.config import settings

    sms.set_provider(None)
    try:
        assert isinstance(sms.get_provider(), sms.ConsoleSms)
        sms.set_provider(None)
        monkeypatch.setattr(settings, "SMS_PROVIDER", "msg91")
        monkeypatch.setattr(settings, "SMS_GATEWAY_AUTH_KEY", SecretStr("k"))
        monkeypatch.setattr(settings, "SMS_TEMPLATE_ID", "t")
        assert isinstance(sms.get_provider(), sms.Msg91Sms)
    finally:
        sms.set_provider(None)


def test_console_provider_logs_the_code(caplog: pytest.LogCaptureFixture) -> None:
    provider = sms.ConsoleSms()
    with caplog.at_level(logging.INFO, logger="app.providers.sms"):
        provider.send_code(to="+919876543210", code="987654", ttl_minutes=5)
    assert "987654" in caplog.text
    assert provider.outbox[0].code == "987654"


def test_codes_are_random_six_digit_strings() -> None:
    codes = {otp_service.new_code() for _ in range(200)}
    assert all(len(c) == 6 and c.isdigit() for c in codes)
    assert len(codes) > 150


def test_code_digests_depend_on_key_and_phone() -> None:
    a = otp_service.hash_code("+919876543210", "123456", "key-one")
    assert a != otp_service.hash_code("+919876543211", "123456", "key-one")
    assert a != otp_service.hash_code("+919876543210", "123456", "key-two")
    assert len(a) == 64
