"""Push notification jobs: one job per device, so a retry never repeats a sent one.

- `send_push`: one notification to one device token through the push provider;
  `PushError` (network, timeout, 5xx, 429) is retried with backoff (about 5 s, 25 s,
  2 min, 10 min, 52 min); a token the service no longer knows is forgotten
  (`push_device` row deleted) and the job succeeds; any other refusal fails the job.
"""

from __future__ import annotations

import logging

from procrastinate import RetryStrategy

from app.core import jobs
from app.crud import push_device as push_device_crud
from app.providers import push as push_provider

logger = logging.getLogger(__name__)

PUSH_RETRY = RetryStrategy(
    max_attempts=5, exponential_wait=5, retry_exceptions={push_provider.PushError}
)


@jobs.queue.task(name="send_push", retry=PUSH_RETRY)
def send_push(*, token: str, title: str, body: str, data: dict[str, str]) -> None:
    """Send one notification to `token` (forget the device if the token is gone)."""
    message = push_provider.PushMessage(title=title, body=body, data=data)
    try:
        push_provider.get_provider().send(token=token, message=message)
    except push_provider.UnregisteredToken:
        logger.info("push token %s… is no longer registered: device forgotten", token[:12])
        with jobs.task_session() as session:
            push_device_crud.drop_token(session, token=token)
