"""Factories for split bills: a pay-at-the-end table session with members, orders on
it (rows written directly, priced by `app.services.pricing`), and paying a share on
the test gateway."""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from datetime import UTC, datetime

from sqlmodel import Session

from app.models import User, Venue
from app.models.order import (
    Bill,
    Order,
    OrderKind,
    OrderLine,
    OrderStatus,
    TableSession,
    TableSessionMember,
)
from app.models.table import VenueTable
from app.models.venue import PaymentMode
from app.schema.bill import BillShareCreate
from app.services import bills as bills_service
from app.services import payments, pricing
from app.services.bills import ShareCheckout
from tests.factories import make_consumer, make_user, make_venue
from tests.factories.places import make_table

_numbers = itertools.count(1)

#: (unit price in paise, quantity, tax rate in basis points)
LineSpec = tuple[int, int, int]

#: Odd paise at two tax rates: prices excluding tax with a 10% service charge, the
#: bill is 93330 + 12466 tax + 9333 service - 29 rounding = 115100.
AWKWARD_LINES: list[LineSpec] = [(33_333, 1, 500), (19_999, 3, 1_800)]


@dataclass
class Tab:
    owner: User
    venue: Venue
    table: VenueTable
    table_session: TableSession
    members: list[User]
    orders: list[Order] = field(default_factory=list)


def make_table_session(
    session: Session,
    *,
    venue: Venue,
    table: VenueTable | None = None,
    members: list[User] | None = None,
    payment_mode: PaymentMode = PaymentMode.AT_END,
) -> TableSession:
    table = table or make_table(session, venue=venue)
    table_session = TableSession(
        venue_id=venue.id,
        table_id=table.id,
        payment_mode=payment_mode,
        opened_by_id=members[0].id if members else None,
    )
    session.add(table_session)
    session.flush()
    for member in members or []:
        join(session, table_session=table_session, user=member)
    return table_session


def join(session: Session, *, table_session: TableSession, user: User) -> TableSessionMember:
    member = TableSessionMember(session_id=table_session.id, user_id=user.id)
    session.add(member)
    session.flush()
    return member


def make_tab(
    session: Session,
    *,
    members: int = 2,
    service_charge_bps: int = 0,
    prices_include_tax: bool = False,
    payment_mode: PaymentMode = PaymentMode.AT_END,
    venue: Venue | None = None,
) -> Tab:
    """A verified venue (its own owner) with an open session of `members` consumers."""
    owner = make_user(session)
    venue = venue or make_venue(
        session,
        owner=owner,
        service_charge_bps=service_charge_bps,
        prices_include_tax=prices_include_tax,
        payment_mode=payment_mode,
    )
    table = make_table(session, venue=venue)
    people = [make_consumer(session) for _ in range(members)]
    table_session = make_table_session(
        session, venue=venue, table=table, members=people, payment_mode=payment_mode
    )
    return Tab(owner=owner, venue=venue, table=table, table_session=table_session, members=people)


def add_order(
    session: Session,
    *,
    tab: Tab,
    lines: list[LineSpec],
    status: OrderStatus = OrderStatus.PLACED,
    by: User | None = None,
) -> Order:
    """An order on the tab's session with these lines, priced as the venue prices."""
    include = tab.venue.prices_include_tax
    inputs = [
        pricing.LineInput(
            unit_price_minor=price, quantity=qty, tax_name=f"GST {rate / 100:g}%", tax_rate_bps=rate
        )
        for price, qty, rate in lines
    ]
    totals = pricing.totals(
        inputs, prices_include_tax=include, service_charge_bps=tab.venue.service_charge_bps
    )
    now = datetime.now(UTC)
    order = Order(
        venue_id=tab.venue.id,
        kind=OrderKind.DINE_IN,
        status=status,
        session_id=tab.table_session.id,
        placed_by_id=(by or tab.members[0]).id,
        number=next(_numbers),
        currency=tab.venue.currency,
        subtotal_minor=totals.subtotal_minor,
        tax_minor=totals.tax_minor,
        service_charge_minor=totals.service_charge_minor,
        rounding_minor=totals.rounding_minor,
        total_minor=totals.total_minor,
        prices_include_tax=include,
        taxes=[t.as_json() for t in totals.taxes],
        placed_at=now,
    )
    session.add(order)
    session.flush()
    for position, (spec, priced) in enumerate(zip(inputs, totals.lines, strict=True)):
        session.add(
            OrderLine(
                order_id=order.id,
                position=position,
                name=f"Item {next(_numbers)}",
                unit_price_minor=spec.unit_price_minor,
                quantity=spec.quantity,
                amount_minor=priced.amount_minor,
                tax_name=spec.tax_name,
                tax_rate_bps=spec.tax_rate_bps,
                tax_minor=priced.tax_minor,
            )
        )
    session.flush()
    tab.orders.append(order)
    return order


def issue(session: Session, *, tab: Tab) -> Bill:
    bill, _ = bills_service.issue_bill(session, table_session=tab.table_session)
    return bill


def take_share(session: Session, *, bill: Bill, payer: User, **request: object) -> ShareCheckout:
    return bills_service.create_share(
        session, bill=bill, payer=payer, data=BillShareCreate.model_validate(request)
    )


def settle(session: Session, made: ShareCheckout, *, succeed: bool = True) -> None:
    """Pay (or fail) the share's checkout on the test gateway; its webhook is a job
    (run it with `tests.factories.jobs.run_jobs`)."""
    assert made.order is not None
    payments.complete_test_checkout(session, order_id=made.order.order_id, succeed=succeed)
