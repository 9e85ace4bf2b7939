"""Push notifications written to the log; `outbox` keeps them (local use, tests)."""

from __future__ import annotations

import logging
from dataclasses import dataclass

from app.providers.push.base import PushMessage

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class SentPush:
    token: str
    message: PushMessage


class ConsolePush:
    def __init__(self) -> None:
        self.outbox: list[SentPush] = []

    def send(self, *, token: str, message: PushMessage) -> None:
        self.outbox.append(SentPush(token=token, message=message))
        logger.info(
            "push to %s…: %s — %s %s", token[:12], message.title, message.body, message.data
        )
