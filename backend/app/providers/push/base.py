"""The push interface: send one notification to one device token."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol


@dataclass(frozen=True)
class PushMessage:
    title: str
    body: str
    # Delivered to the app with the notification (FCM wants string values).
    data: dict[str, str] = field(default_factory=dict)


class PushError(Exception):
    """The message could not be delivered now (network, timeout, 5xx, 429): retry later."""


class PushRejected(Exception):
    """The push service refused the message for good (a bad request): do not retry."""


class UnregisteredToken(PushRejected):
    """The device token is no longer valid (app uninstalled, token rotated): forget it."""


class PushProvider(Protocol):
    def send(self, *, token: str, message: PushMessage) -> None: ...
