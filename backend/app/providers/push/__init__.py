"""Push notifications to app installs: one interface (`PushProvider.send(token=,
message=)`), two providers chosen by `PUSH_PROVIDER`:

- `console` (the default) writes each notification to the log and keeps an `outbox`;
- `fcm` sends with Firebase Cloud Messaging's HTTP v1 API (`app.providers.push.fcm`).

`PushError` is worth retrying; `PushRejected` is not; `UnregisteredToken` (a kind
of `PushRejected`) means the device should be forgotten.
"""

from __future__ import annotations

from app.core.config import settings
from app.providers.push.base import (
    PushError,
    PushMessage,
    PushProvider,
    PushRejected,
    UnregisteredToken,
)
from app.providers.push.console import ConsolePush, SentPush
from app.providers.push.fcm import FcmPush

__all__ = [
    "ConsolePush",
    "FcmPush",
    "PushError",
    "PushMessage",
    "PushProvider",
    "PushRejected",
    "SentPush",
    "UnregisteredToken",
    "get_provider",
    "set_provider",
]

_provider: PushProvider | None = None


def get_provider() -> PushProvider:
    global _provider
    if _provider is None:
        _provider = (
            FcmPush.from_settings(settings) if settings.PUSH_PROVIDER == "fcm" else ConsolePush()
        )
    return _provider


def set_provider(provider: PushProvider | None) -> None:
    global _provider
    _provider = provider
