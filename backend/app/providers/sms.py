"""Outgoing SMS: one-time codes.

Two providers behind one interface:
- `console` (default outside production) writes the message to the log, so a
  developer reads the code there, and keeps an `outbox` for tests;
- `msg91` posts to an MSG91-style HTTP gateway (flow API: an `authkey` header and
  a template whose `otp` variable receives the code).

A gateway failure raises `SmsError`; the OTP service turns it into a 503 and
keeps nothing as sent.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Protocol

import httpx

from app.core.config import Settings, settings

logger = logging.getLogger(__name__)


class SmsError(Exception):
    """The message could not be handed to the gateway."""


@dataclass(frozen=True)
class SmsMessage:
    to: str
    text: str
    code: str


class SmsProvider(Protocol):
    def send_code(self, *, to: str, code: str, ttl_minutes: int) -> None: ...


def code_text(code: str, ttl_minutes: int) -> str:
    return (
        f"{code} is your {settings.PROJECT_NAME} sign-in code. It expires in {ttl_minutes} "
        "minutes. Never share it with anyone."
    )


class ConsoleSms:
    """Writes messages to the log; `outbox` keeps them (tests, local use)."""

    def __init__(self) -> None:
        self.outbox: list[SmsMessage] = []

    def send_code(self, *, to: str, code: str, ttl_minutes: int) -> None:
        message = SmsMessage(to=to, text=code_text(code, ttl_minutes), code=code)
        self.outbox.append(message)
        logger.info("SMS to %s: %s", to, message.text)


class Msg91Sms:
    """MSG91 flow API: POST {template_id, recipients: [{mobiles, otp}]} with `authkey`."""

    def __init__(
        self,
        *,
        url: str,
        auth_key: str,
        template_id: str,
        sender_id: str,
        timeout: float = 5.0,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        self.url = url
        self.template_id = template_id
        self.sender_id = sender_id
        self._client = httpx.Client(
            timeout=timeout,
            headers={"authkey": auth_key, "accept": "application/json"},
            transport=transport,
        )

    @classmethod
    def from_settings(cls, cfg: Settings) -> Msg91Sms:
        if cfg.SMS_GATEWAY_AUTH_KEY is None or not cfg.SMS_TEMPLATE_ID:
            raise ValueError("SMS_PROVIDER=msg91 needs SMS_GATEWAY_AUTH_KEY and SMS_TEMPLATE_ID")
        return cls(
            url=str(cfg.SMS_GATEWAY_URL),
            auth_key=cfg.SMS_GATEWAY_AUTH_KEY.get_secret_value(),
            template_id=cfg.SMS_TEMPLATE_ID,
            sender_id=cfg.SMS_SENDER_ID,
            timeout=cfg.SMS_TIMEOUT_SECONDS,
        )

    def send_code(self, *, to: str, code: str, ttl_minutes: int) -> None:
        payload = {
            "template_id": self.template_id,
            "sender": self.sender_id,
            "short_url": "0",
            "recipients": [{"mobiles": to.lstrip("+"), "otp": code, "minutes": str(ttl_minutes)}],
        }
        try:
            response = self._client.post(self.url, json=payload)
        except httpx.HTTPError as exc:
            logger.error("SMS gateway unreachable: %s", exc)
            raise SmsError(f"gateway unreachable: {type(exc).__name__}") from exc
        body: object = None
        try:
            body = response.json()
        except ValueError:
            body = None
        kind = body.get("type") if isinstance(body, dict) else None
        if response.status_code >= 400 or kind != "success":
            logger.error("SMS gateway refused the message: %s %s", response.status_code, body)
            raise SmsError(f"gateway answered {response.status_code}")
        logger.info("SMS code sent to %s via gateway", to[:-4] + "****")


_provider: SmsProvider | None = None


def get_provider() -> SmsProvider:
    global _provider
    if _provider is None:
        _provider = (
            Msg91Sms.from_settings(settings) if settings.SMS_PROVIDER == "msg91" else (ConsoleSms())
        )
    return _provider


def set_provider(provider: SmsProvider | None) -> None:
    global _provider
    _provider = provider
