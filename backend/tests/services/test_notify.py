"""`notify.order_ready`: one push job per device of the order's consumer, deferred in
the transaction; the job sends through the provider, forgets unregistered devices and
retries what is worth retrying. And the hourly pruning of the live event log."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import nullcontext
from datetime import timedelta

import pytest
from sqlmodel import Session, col, select

from app.core import jobs
from app.crud import live as live_crud
from app.crud import push_device as push_device_crud
from app.models import User, Venue
from app.models.base import utcnow
from app.models.order import LiveEvent, LiveEventKind, Order, OrderKind, OrderStatus, PickupPoint
from app.models.push import PushDevice, PushPlatform
from app.providers import push as push_provider
from app.services import notify, tasks
from tests.factories import make_consumer, make_venue
from tests.factories.jobs import make_due, queued_jobs, run_jobs
from tests.fakes.fcm import FakeFcm


@pytest.fixture
def push_outbox() -> Iterator[list[push_provider.SentPush]]:
    console = push_provider.ConsolePush()
    push_provider.set_provider(console)
    yield console.outbox
    push_provider.set_provider(None)


@pytest.fixture
def fcm() -> Iterator[FakeFcm]:
    with FakeFcm() as fake:
        push_provider.set_provider(fake.provider(timeout=2))
        yield fake
    push_provider.set_provider(None)


def make_order(session: Session, *, venue: Venue, consumer: User, number: int = 42) -> Order:
    point = PickupPoint(venue_id=venue.id, name="Bar 2")
    session.add(point)
    session.flush()
    order = Order(
        venue_id=venue.id,
        kind=OrderKind.PICKUP,
        status=OrderStatus.READY,
        pickup_point_id=point.id,
        placed_by_id=consumer.id,
        number=number,
        currency="INR",
    )
    session.add(order)
    session.flush()
    return order


def register(session: Session, user: User, token: str) -> None:
    push_device_crud.register(session, user=user, token=token, platform=PushPlatform.ANDROID)


def test_order_ready_queues_one_push_per_device_and_sends_them(
    session: Session, push_outbox: list[push_provider.SentPush]
) -> None:
    consumer, someone_else = make_consumer(session), make_consumer(session)
    register(session, consumer, "phone-token-1")
    register(session, consumer, "tablet-token-2")
    register(session, someone_else, "not-theirs-3")
    venue = make_venue(session, name="Toit")
    order = make_order(session, venue=venue, consumer=consumer)

    assert notify.order_ready(session, order=order) == 2
    assert [job.task_name for job in queued_jobs(session)] == ["send_push", "send_push"]
    assert push_outbox == []  # nothing leaves before the jobs run (after the commit)
    assert run_jobs(session) == 2
    assert sorted(sent.token for sent in push_outbox) == ["phone-token-1", "tablet-token-2"]
    message = push_outbox[0].message
    assert message.title == "Order 42 is ready"
    assert message.body == "Collect it at Bar 2, Toit."
    assert message.data == {
        "type": "order_ready",
        "order_id": str(order.id),
        "venue_id": str(venue.id),
        "number": "42",
    }


def test_order_ready_without_devices_queues_nothing(session: Session) -> None:
    consumer = make_consumer(session)
    order = make_order(session, venue=make_venue(session), consumer=consumer)
    assert notify.order_ready(session, order=order) == 0
    assert queued_jobs(session) == []


def test_a_rolled_back_order_ready_sends_nothing(session: Session) -> None:
    consumer = make_consumer(session)
    register(session, consumer, "phone-token-1")
    order = make_order(session, venue=make_venue(session), consumer=consumer)
    with session.begin_nested() as savepoint:
        notify.order_ready(session, order=order)
        savepoint.rollback()
    assert queued_jobs(session, task_name="send_push") == []


def test_an_unregistered_device_is_forgotten(session: Session, fcm: FakeFcm) -> None:
    consumer = make_consumer(session)
    register(session, consumer, "uninstalled-token")
    order = make_order(session, venue=make_venue(session), consumer=consumer)
    notify.order_ready(session, order=order)
    fcm.mode = "unregistered"
    run_jobs(session)
    assert (
        session.exec(select(PushDevice).where(col(PushDevice.user_id) == consumer.id)).all() == []
    )
    assert queued_jobs(session, task_name="send_push") == []  # done, not failed


def test_fcm_server_errors_are_retried_then_sent(session: Session, fcm: FakeFcm) -> None:
    consumer = make_consumer(session)
    register(session, consumer, "phone-token")
    notify.order_ready(
        session, order=make_order(session, venue=make_venue(session), consumer=consumer)
    )
    fcm.mode = "crash"
    run_jobs(session)
    [job] = queued_jobs(session, task_name="send_push")
    assert (job.status, job.attempts) == ("todo", 1)
    fcm.mode = "ok"
    make_due(session)
    run_jobs(session)
    assert queued_jobs(session, task_name="send_push") == []
    assert [m.body["message"]["token"] for m in fcm.messages] == ["phone-token", "phone-token"]


def test_a_refused_message_fails_the_job_and_keeps_the_device(
    session: Session, fcm: FakeFcm
) -> None:
    consumer = make_consumer(session)
    register(session, consumer, "phone-token")
    notify.order_ready(
        session, order=make_order(session, venue=make_venue(session), consumer=consumer)
    )
    fcm.mode = "invalid"
    run_jobs(session)
    [job] = queued_jobs(session, task_name="send_push")
    assert job.status == "failed"
    assert push_device_crud.tokens_of(session, user_id=consumer.id) == ["phone-token"]


def test_prune_live_events_keeps_the_retention_window(session: Session) -> None:
    venue = make_venue(session)
    old = live_crud.record(session, kind=LiveEventKind.ORDER, venue_id=venue.id, data={})
    recent = live_crud.record(session, kind=LiveEventKind.ORDER, venue_id=venue.id, data={})
    old.created_at = utcnow() - timedelta(hours=49)
    session.add(old)
    session.flush()
    jobs.set_task_session(lambda: nullcontext(session))
    try:
        tasks.prune_live_events(timestamp=0)
    finally:
        jobs.set_task_session(None)
    left = session.exec(select(LiveEvent.id).where(col(LiveEvent.venue_id) == venue.id)).all()
    assert left == [recent.id]


def test_prune_live_events_runs_every_hour() -> None:
    periodic = {p.task.name: p.cron for p in jobs.queue.periodic_registry.periodic_tasks.values()}
    assert periodic["prune_live_events"] == "29 * * * *"
    assert "send_push" in jobs.queue.tasks
