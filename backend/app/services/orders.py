"""Placing orders and running them: lines checked against the menu, amounts computed
on the server, prepaid orders paid through the payment rails, food-court carts split
into one sub-order per QSR, status moves under the order's row lock.

Placing (`place_order`)
- Where: on a table session (`session_id`; the caller a recent member, near the
  venue when the app sends its position: `app.services.table_sessions`) or at a
  pickup point (`pickup_point_id`). A session order is `tab` at a nightclub paying at
  the end, `dine_in` otherwise; one at a pickup point is `pickup`.
- What: every line's item is on the venue's menu (at a food court: of one of its
  QSRs); an item with variants is ordered as one of them; add-ons are of the item's
  groups, within each group's minimum and maximum. Sold-out items, variants and
  add-ons are refused (409, naming which); so is a venue (or a QSR of the cart) that
  is not taking orders or is closed by its opening hours (a venue without opening
  hours is taken as open). Names and prices are copied into the lines; amounts come
  from `app.services.pricing.totals`, never from the client.
- Charges: packaging (each venue's own) on pickup orders; service charge on
  dine-in orders paid per order, unless the consumer leaves it out. Orders of a
  session paid at the end carry none: the session's bill adds it (removable there).
- Pay per order (a session in `per_order` mode, and every pickup): the order waits
  for its payment (`awaiting_payment`); the gateway order is made before any row
  lock. Capture places it and issues its bill (`Bill`, an invoice number from
  `app.services.invoices`); failure, or no capture within `ORDER_PAYMENT_MINUTES`
  (the `expire_unpaid_orders` job), abandons it; a capture after that is refunded.
- Pay at the end: placed at once, unpaid; refused once the session's bill is issued
  (`bill_issued`). The session row is held FOR SHARE until the commit, so the bill
  (which locks it FOR UPDATE) either comes after this order or is seen by it.
- A food-court cart: one parent order at the food court holds the one payment; one
  sub-order per QSR (`parent_id`) has its own lines, totals (each rounded to the
  rupee: the parent's total is their sum), number, status, and bill in the QSR's
  own invoice sequence.
- Each order gets a short `number` per venue and local day (`order_day_counter`).

Moving (`move`, `cancel`): the rules are `app.services.order_flow`. Locks are taken
payment first, then the parent order, then the order (children in id order): two
staff moving one order at once end in one valid state. A prepaid order rejected or
cancelled is refunded its own total (a sub-order: exactly its part of the payment),
once, since the move happens once; its bill is voided. A food-court parent follows
its sub-orders (completed, or rejected / cancelled when they all are). A food
court's staff see every sub-order of the carts placed there; only each QSR's own
staff move its sub-orders (`move_by_staff` with the caller's venue).

Every placed order and every move goes to the live log (`app.crud.live.record`);
a pickup order that becomes ready also notifies its consumer (`app.services.notify`).
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from sqlmodel import Session, col, select

from app.core.config import settings
from app.core.errors import (
    AddOnChoices,
    AddOnSoldOut,
    BillIssued,
    ItemSoldOut,
    MixedCurrencies,
    NotFound,
    OrderKindMismatch,
    SubOrderMovedByItsVenue,
    TableSessionClosed,
    TooManyUnpaidOrders,
    UnknownAddOn,
    UnknownItem,
    UnknownVariant,
    Unprocessable,
    VariantRequired,
    VariantSoldOut,
    VenueClosedNow,
    VenueNotAcceptingOrders,
)
from app.crud import bill as bill_crud
from app.crud import live
from app.crud import order as order_crud
from app.crud import table as table_crud
from app.crud import table_session as session_crud
from app.crud import venue as venue_crud
from app.models import User, Venue, VenueKind, VenueStatus
from app.models.group import WalletSpend
from app.models.menu import AddOn, AddOnGroup, MenuItem, MenuItemVariant, TaxClass
from app.models.order import (
    Bill,
    BillStatus,
    LiveEventKind,
    Order,
    OrderKind,
    OrderLine,
    OrderStatus,
    PickupPoint,
    TableSession,
    TableSessionStatus,
)
from app.models.payment import (
    WALLET_PROVIDER,
    Payment,
    PaymentPurpose,
    PaymentStatus,
    RefundReason,
)
from app.models.venue import PaymentMode
from app.providers.payments.base import GatewayOrder
from app.schema.order import OrderCreate, OrderLineCreate
from app.services import cover_credit, invoices, notify, order_flow, payments, pricing, wallets
from app.services import table_sessions as sessions_service
from app.services.order_flow import Mover


def _now() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True)
class OrderCheckout:
    order: Order  # the order placed (a food-court cart: the parent)
    payment: Payment | None
    gateway_order: GatewayOrder | None
    wallet_spend: WalletSpend | None = None  # paid from a group's wallet


# --- where, and who may order there ---------------------------------------------------


@dataclass
class _Place:
    venue: Venue
    kind: OrderKind
    prepaid: bool
    table_session: TableSession | None = None
    pickup_point: PickupPoint | None = None
    # The venues whose items may be ordered (a food court: its QSRs).
    item_venues: dict[uuid.UUID, Venue] = field(default_factory=dict)
    # A session's orders keep the way its first order was priced (see the bill).
    prices_include_tax: bool | None = None

    def include_tax(self, venue: Venue) -> bool:
        return (
            venue.prices_include_tax if self.prices_include_tax is None else self.prices_include_tax
        )


def _public(venue: Venue) -> bool:
    return venue.is_active and venue.status is VenueStatus.VERIFIED


def _check_taking_orders(session: Session, *, venues: list[Venue], at: datetime | None) -> None:
    """Each venue takes orders, and is open at `at` (None: opening hours not checked)."""
    hours = venue_crud.hours_for(session, venue_ids=[v.id for v in venues]) if at else {}
    for venue in venues:
        facts = {"venue_id": str(venue.id), "venue_name": venue.name}
        if not venue.is_accepting_orders:
            raise VenueNotAcceptingOrders({"message": VenueNotAcceptingOrders.message, **facts})
        if (
            at is not None
            and hours.get(venue.id)
            and not venue_crud.is_open_at(hours[venue.id], time_zone=venue.timezone, at=at)
        ):
            raise VenueClosedNow({"message": VenueClosedNow.message, **facts})


def _place(session: Session, *, consumer: User, data: OrderCreate) -> _Place:
    if data.session_id is not None:
        table_session, venue = sessions_service.require_member_for_order(
            session, table_session_id=data.session_id, user=consumer, point=data.point()
        )
        if not _public(venue):
            raise VenueNotAcceptingOrders(
                {"message": VenueNotAcceptingOrders.message, "venue_id": str(venue.id)}
            )
        at_end = table_session.payment_mode is PaymentMode.AT_END
        kind = OrderKind.TAB if at_end and venue.kind is VenueKind.NIGHTCLUB else OrderKind.DINE_IN
        if data.kind is not None and data.kind is not kind:
            raise OrderKindMismatch(
                f"An order on this session is {kind.value}, not {data.kind.value}"
            )
        return _Place(
            venue=venue,
            kind=kind,
            prepaid=not at_end,
            table_session=table_session,
            item_venues={venue.id: venue},
            prices_include_tax=order_crud.session_tax_mode(session, session_id=table_session.id),
        )
    assert data.pickup_point_id is not None
    if data.kind is not None and data.kind is not OrderKind.PICKUP:
        raise OrderKindMismatch(f"An order at a pickup point is pickup, not {data.kind.value}")
    point = session.get(PickupPoint, data.pickup_point_id)
    at = session.get(Venue, point.venue_id) if point is not None else None
    if point is None or at is None or not point.is_active or not _public(at):
        raise NotFound("pickup point")
    if at.kind is VenueKind.FOOD_COURT:
        qsrs = session.exec(
            select(Venue).where(Venue.food_court_id == at.id, col(Venue.is_active).is_(True))
        ).all()
        item_venues = {q.id: q for q in qsrs if _public(q)}
    else:
        item_venues = {at.id: at}
    return _Place(
        venue=at,
        kind=OrderKind.PICKUP,
        prepaid=True,
        pickup_point=point,
        item_venues=item_venues,
    )


# --- the lines ------------------------------------------------------------------------


@dataclass(frozen=True)
class _Line:
    index: int
    item: MenuItem
    variant: MenuItemVariant | None
    add_ons: list[tuple[AddOn, AddOnGroup]]
    quantity: int
    note: str | None
    tax: TaxClass | None

    @property
    def unit_price_minor(self) -> int:
        base = self.variant.price_minor if self.variant is not None else self.item.price_minor
        return base + sum(add_on.price_minor for add_on, _ in self.add_ons)

    def pricing_input(self) -> pricing.LineInput:
        return pricing.LineInput(
            unit_price_minor=self.unit_price_minor,
            quantity=self.quantity,
            tax_class_id=self.tax.id if self.tax else None,
            tax_name=self.tax.name if self.tax else None,
            tax_rate_bps=self.tax.rate_bps if self.tax else 0,
        )


def _lines(session: Session, *, place: _Place, wanted: list[OrderLineCreate]) -> list[_Line]:
    item_ids = {w.item_id for w in wanted}
    items = {
        i.id: i
        for i in session.exec(
            select(MenuItem).where(
                col(MenuItem.id).in_(item_ids), col(MenuItem.venue_id).in_(list(place.item_venues))
            )
        )
    }
    variants: dict[uuid.UUID, list[MenuItemVariant]] = defaultdict(list)
    for v in session.exec(select(MenuItemVariant).where(col(MenuItemVariant.item_id).in_(items))):
        variants[v.item_id].append(v)
    groups = {
        g.id: g for g in session.exec(select(AddOnGroup).where(col(AddOnGroup.item_id).in_(items)))
    }
    add_ons = {a.id: a for a in session.exec(select(AddOn).where(col(AddOn.group_id).in_(groups)))}
    tax_ids = {i.tax_class_id for i in items.values() if i.tax_class_id is not None}
    taxes = {t.id: t for t in session.exec(select(TaxClass).where(col(TaxClass.id).in_(tax_ids)))}

    lines: list[_Line] = []
    for index, want in enumerate(wanted):
        loc = ("body", "lines", index)
        item = items.get(want.item_id)
        if item is None:
            raise UnknownItem(loc=(*loc, "item_id"))
        facts: dict[str, object] = {"item_id": str(item.id), "item": item.name, "line": index}
        if item.currency != place.venue.currency:  # options share their item's currency
            raise MixedCurrencies(
                {
                    "message": f"{item.name} is priced in {item.currency}, "
                    f"this order in {place.venue.currency}",
                    **facts,
                }
            )
        if not item.is_available:
            raise ItemSoldOut({"message": f"{item.name} is sold out", **facts})
        own_variants = {v.id: v for v in variants.get(item.id, [])}
        variant = None
        if want.variant_id is not None:
            variant = own_variants.get(want.variant_id)
            if variant is None:
                raise UnknownVariant(loc=(*loc, "variant_id"))
            if not variant.is_available:
                raise VariantSoldOut(
                    {
                        "message": f"{item.name} ({variant.name}) is sold out",
                        **facts,
                        "variant_id": str(variant.id),
                        "variant": variant.name,
                    }
                )
        elif own_variants:
            raise VariantRequired(loc=(*loc, "variant_id"))
        chosen: list[tuple[AddOn, AddOnGroup]] = []
        for add_on_id in want.add_on_ids:
            add_on = add_ons.get(add_on_id)
            group = groups.get(add_on.group_id) if add_on is not None else None
            if add_on is None or group is None or group.item_id != item.id:
                raise UnknownAddOn(loc=(*loc, "add_on_ids"))
            if not add_on.is_available:
                raise AddOnSoldOut(
                    {
                        "message": f"{add_on.name} is sold out",
                        **facts,
                        "add_on_id": str(add_on.id),
                        "add_on": add_on.name,
                    }
                )
            chosen.append((add_on, group))
        for group in sorted(
            (g for g in groups.values() if g.item_id == item.id), key=lambda g: g.display_order
        ):
            count = sum(1 for _, g in chosen if g.id == group.id)
            if not group.min_choices <= count <= group.max_choices:
                raise AddOnChoices(
                    f"{group.name}: choose between {group.min_choices} and {group.max_choices}",
                    loc=(*loc, "add_on_ids"),
                )
        tax = taxes.get(item.tax_class_id) if item.tax_class_id is not None else None
        lines.append(
            _Line(
                index=index,
                item=item,
                variant=variant,
                add_ons=chosen,
                quantity=want.quantity,
                note=want.note,
                tax=tax,
            )
        )
    return lines


# --- placing --------------------------------------------------------------------------


@dataclass(frozen=True)
class _Part:
    """What one venue is asked for: its lines and their totals."""

    venue: Venue
    lines: list[_Line]
    totals: pricing.Totals


def _parts(*, place: _Place, lines: list[_Line], with_service: bool) -> list[_Part]:
    by_venue: dict[uuid.UUID, list[_Line]] = defaultdict(list)
    for line in lines:
        by_venue[line.item.venue_id].append(line)
    parts = []
    for venue_id in sorted(by_venue):
        venue = place.item_venues[venue_id]
        own = by_venue[venue_id]
        parts.append(
            _Part(
                venue=venue,
                lines=own,
                totals=pricing.totals(
                    [line.pricing_input() for line in own],
                    prices_include_tax=place.include_tax(venue),
                    service_charge_bps=venue.service_charge_bps if with_service else 0,
                    packaging_minor=venue.packaging_charge_minor
                    if place.kind is OrderKind.PICKUP
                    else 0,
                ),
            )
        )
    return parts


def _new_order(
    session: Session,
    *,
    place: _Place,
    venue: Venue,
    consumer: User,
    status: OrderStatus,
    totals: pricing.Totals | None,
    parts: list[_Part],
    note: str | None,
    parent: Order | None,
    now: datetime,
    order_id: uuid.UUID | None = None,
) -> Order:
    taxes: list[dict[str, object]]
    if totals is not None:
        amounts = {
            "subtotal_minor": totals.subtotal_minor,
            "tax_minor": totals.tax_minor,
            "packaging_minor": totals.packaging_minor,
            "service_charge_minor": totals.service_charge_minor,
            "rounding_minor": totals.rounding_minor,
            "total_minor": totals.total_minor,
        }
        taxes = [t.as_json() for t in totals.taxes]
    else:  # a food-court parent: the sum of its parts
        amounts = {
            name: sum(getattr(p.totals, name) for p in parts)
            for name in (
                "subtotal_minor",
                "tax_minor",
                "packaging_minor",
                "service_charge_minor",
                "rounding_minor",
                "total_minor",
            )
        }
        taxes = [t.as_json() for p in parts for t in p.totals.taxes]
    order = Order(
        id=order_id or uuid.uuid4(),
        venue_id=venue.id,
        parent_id=parent.id if parent is not None else None,
        kind=place.kind,
        status=status,
        session_id=place.table_session.id if place.table_session is not None else None,
        pickup_point_id=place.pickup_point.id if place.pickup_point is not None else None,
        placed_by_id=consumer.id,
        note=note,
        currency=venue.currency,
        prices_include_tax=place.include_tax(venue),
        taxes=taxes,
        placed_at=now if status is OrderStatus.PLACED else None,
        created_at=now,
    )
    for name, value in amounts.items():
        setattr(order, name, value)
    session.add(order)
    session.flush()
    order_crud.add_change(session, order=order, frm=None, to=status, by_id=consumer.id)
    return order


def _add_lines(session: Session, *, order: Order, part: _Part) -> None:
    for position, (line, priced) in enumerate(zip(part.lines, part.totals.lines, strict=True)):
        session.add(
            OrderLine(
                order_id=order.id,
                position=position,
                item_id=line.item.id,
                variant_id=line.variant.id if line.variant else None,
                name=line.item.name,
                variant_name=line.variant.name if line.variant else None,
                add_ons=[
                    {
                        "id": str(a.id),
                        "group": g.name,
                        "name": a.name,
                        "price_minor": a.price_minor,
                    }
                    for a, g in line.add_ons
                ],
                unit_price_minor=line.unit_price_minor,
                quantity=line.quantity,
                amount_minor=priced.amount_minor,
                tax_class_id=line.tax.id if line.tax else None,
                tax_name=line.tax.name if line.tax else None,
                tax_rate_bps=line.tax.rate_bps if line.tax else 0,
                tax_minor=priced.tax_minor,
                note=line.note,
            )
        )


def _parent_venue_id(session: Session, order: Order) -> uuid.UUID | None:
    if order.parent_id is None:
        return None
    parent = session.get(Order, order.parent_id)
    return parent.venue_id if parent is not None else None


def _live(session: Session, *, order: Order, what: str, **data: object) -> None:
    live.record(
        session,
        kind=LiveEventKind.ORDER,
        venue_id=order.venue_id,
        parent_venue_id=_parent_venue_id(session, order),
        session_id=order.session_id,
        user_id=order.placed_by_id,
        order_id=order.id,
        data={
            "event": what,
            "order_id": str(order.id),
            "parent_id": str(order.parent_id) if order.parent_id else None,
            "number": order.number,
            "kind": order.kind.value,
            "status": order.status.value,
            **data,
        },
    )


def place_order(
    session: Session,
    *,
    consumer: User,
    data: OrderCreate,
    during_hours: bool = True,
    now: datetime | None = None,
) -> OrderCheckout:
    """Check and price the order, make its payment when it is prepaid, and write it
    (see the module's doc). The demo data only: `during_hours=False` places it whatever
    the venue's opening hours say, and `now` places it as of that time (a past night's
    bar orders: the cover credit it may use then, its stamps, its number's day)."""
    as_of = now
    now = as_of or _now()
    place = _place(session, consumer=consumer, data=data)
    lines = _lines(session, place=place, wanted=data.lines)
    with_service = (
        place.kind is not OrderKind.PICKUP and place.prepaid and not data.without_service_charge
    )
    parts = _parts(place=place, lines=lines, with_service=with_service)
    _check_taking_orders(
        session,
        venues=[place.venue, *(p.venue for p in parts if p.venue.id != place.venue.id)],
        at=now if during_hours else None,
    )
    total = sum(p.totals.total_minor for p in parts)
    root_id = uuid.uuid4()
    payment_id = uuid.uuid4()
    split = place.venue.kind is VenueKind.FOOD_COURT
    if data.wallet_group_id is not None and not place.prepaid:
        raise Unprocessable(
            "An order on a tab is paid with the table's bill: pay a share of it from the wallet",
            loc=("body", "wallet_group_id"),
        )
    # Cover credit first (a first look; taken under its locks below, which decide).
    credit = 0
    if place.prepaid and data.use_cover_credit and not split:
        credit = cover_credit.plan(
            session,
            holder_id=consumer.id,
            venue_id=place.venue.id,
            currency=place.venue.currency,
            amount=total,
            at=now,
        )
    to_pay = total - credit if place.prepaid else 0
    by_wallet = to_pay > 0 and data.wallet_group_id is not None
    if to_pay > 0 and not by_wallet:
        # A first look, before the gateway is asked; counted again under the lock.
        _check_unpaid(session, consumer=consumer, now=now)

    # The gateway first, holding no lock.
    provider = payments.current_provider() if to_pay > 0 and not by_wallet else None
    gateway_order = (
        payments.open_order(
            provider,
            payment_id=payment_id,
            amount=to_pay,
            currency=place.venue.currency,
            notes={"order": str(root_id), "venue": str(place.venue.id)},
        )
        if provider is not None
        else None
    )

    if provider is not None:
        order_crud.lock_consumer(session, consumer_id=consumer.id)
        _check_unpaid(session, consumer=consumer, now=now)
    if place.table_session is not None:
        # Held until the commit: a bill, merge or close of the session waits for us.
        locked = session_crud.lock(session, session_id=place.table_session.id, share=True)
        if locked.status is not TableSessionStatus.OPEN:
            raise TableSessionClosed()
        if not place.prepaid and session_crud.open_bill(session, session_id=locked.id) is not None:
            raise BillIssued()
        place.table_session = locked

    now = as_of or _now()
    status = OrderStatus.AWAITING_PAYMENT if to_pay > 0 else OrderStatus.PLACED
    root = _new_order(
        session,
        place=place,
        venue=place.venue,
        consumer=consumer,
        status=status,
        totals=None if split else parts[0].totals,
        parts=parts,
        note=data.note,
        parent=None,
        now=now,
        order_id=root_id,
    )
    if split:
        children = []
        for part in parts:
            child = _new_order(
                session,
                place=place,
                venue=part.venue,
                consumer=consumer,
                status=status,
                totals=part.totals,
                parts=[part],
                note=data.note,
                parent=root,
                now=now,
            )
            _add_lines(session, order=child, part=part)
            children.append(child)
    else:
        _add_lines(session, order=root, part=parts[0])
        children = []
    session.flush()
    # The wallet's lock as late as it can be (a busy wallet queues its spenders on it),
    # but before the cover credit's and the venue's counters: an approval or a decline
    # takes the wallet, then the order, then gives credit back (`app.services.wallets`).
    spender = (
        wallets.open_for_spend(session, group_id=data.wallet_group_id, member=consumer)
        if by_wallet and data.wallet_group_id is not None
        else None
    )
    if credit:
        cover_credit.spend_planned(
            session,
            holder_id=consumer.id,
            venue_id=root.venue_id,
            currency=root.currency,
            amount=credit,
            order_id=root.id,
            at=now,
        )
        root.credit_minor = credit
        session.add(root)
        session.flush()
    payment = None
    if provider is not None and gateway_order is not None:
        payment = payments.record_payment(
            session,
            payment_id=payment_id,
            purpose=PaymentPurpose.ORDER,
            payer=consumer,
            provider=provider,
            order=gateway_order,
            order_id=root.id,
        )
    elif place.prepaid and to_pay == 0:  # nothing (more) to pay: its bill at once
        _issue_bills(session, root=root, children=children, now=now)
    # Numbered last: the venue's counter row stays locked from here to the commit, so
    # orders placed at once wait for each other only this long.
    for each in (root, *children):
        venue = place.item_venues.get(each.venue_id, place.venue)
        each.number = order_crud.next_number(
            session, venue_id=each.venue_id, day=table_crud.venue_today(venue, now)
        )
        session.add(each)
    for each in (root, *children):
        _live(session, order=each, what="placed")
    spend = None
    if spender is not None:  # spent at once (which places it) or held for the admin
        payment, spend = wallets.pay(
            session,
            spender=spender,
            amount=to_pay,
            currency=root.currency,
            purpose=PaymentPurpose.ORDER,
            order_id=root.id,
            pays_until=now + timedelta(minutes=settings.ORDER_PAYMENT_MINUTES),
        )
    return OrderCheckout(
        order=root, payment=payment, gateway_order=gateway_order, wallet_spend=spend
    )


def _check_unpaid(session: Session, *, consumer: User, now: datetime) -> None:
    since = now - timedelta(minutes=settings.ORDER_PAYMENT_MINUTES)
    waiting = order_crud.count_unpaid(session, consumer_id=consumer.id, since=since)
    if waiting >= settings.ORDER_MAX_UNPAID:
        raise TooManyUnpaidOrders(
            {
                "message": TooManyUnpaidOrders.message,
                "unpaid": waiting,
                "max_unpaid": settings.ORDER_MAX_UNPAID,
            }
        )


# --- what the payment says ------------------------------------------------------------


def _issue_bills(session: Session, *, root: Order, children: list[Order], now: datetime) -> None:
    """A paid bill for each prepaid order: the order itself, or each sub-order (in its
    QSR's own invoice sequence), in venue order: each QSR's invoice counter stays locked
    to the commit, so carts captured at once lock them in the same order."""
    for order in sorted(children, key=lambda o: o.venue_id.bytes) or [root]:
        if order_crud.bill_of(session, order_id=order.id) is not None:
            continue
        number = invoices.next_number(session, venue_id=order.venue_id, at=now)
        session.add(
            Bill(
                venue_id=order.venue_id,
                order_id=order.id,
                status=BillStatus.PAID,
                financial_year=number.financial_year,
                invoice_seq=number.seq,
                invoice_number=number.number,
                currency=order.currency,
                subtotal_minor=order.subtotal_minor,
                tax_minor=order.tax_minor,
                packaging_minor=order.packaging_minor,
                service_charge_minor=order.service_charge_minor,
                rounding_minor=order.rounding_minor,
                total_minor=order.total_minor,
                taxes=order.taxes,
                paid_minor=order.total_minor,
                issued_at=now,
                paid_at=now,
            )
        )
    session.flush()


def _set_status(
    session: Session,
    *,
    order: Order,
    to: OrderStatus,
    by_id: uuid.UUID | None,
    reason: str | None = None,
) -> None:
    before = order.status
    order.status = to
    if to is OrderStatus.PLACED and order.placed_at is None:
        order.placed_at = _now()
    session.add(order)
    order_crud.add_change(session, order=order, frm=before, to=to, by_id=by_id, reason=reason)
    session.flush()
    _live(session, order=order, what="status", **{"from": before.value})


def on_payment_captured(session: Session, *, payment: Payment) -> None:
    """The order's payment (locked) was captured: place the order (and its sub-orders)
    and issue its bills; an order given up meanwhile is refunded in full."""
    assert payment.order_id is not None
    root = order_crud.lock(session, order_id=payment.order_id)
    children = order_crud.lock_children(session, parent_id=root.id)
    if root.status is OrderStatus.AWAITING_PAYMENT:
        for order in (root, *children):
            _set_status(session, order=order, to=OrderStatus.PLACED, by_id=None, reason="paid")
        _issue_bills(session, root=root, children=children, now=_now())
        return
    if root.status in (OrderStatus.ABANDONED, OrderStatus.CANCELLED) and payments.refundable(
        payment
    ):
        payments.request_refund(
            session,
            payment=payment,
            amount=None,
            reason=RefundReason.CAPTURED_TOO_LATE
            if root.status is OrderStatus.ABANDONED
            else RefundReason.ORDER_CANCELLED,
        )


def _abandon(session: Session, *, root: Order, reason: str) -> bool:
    children = order_crud.lock_children(session, parent_id=root.id)
    if root.status is not OrderStatus.AWAITING_PAYMENT:
        return False
    for order in (root, *children):
        if order.status is OrderStatus.AWAITING_PAYMENT:
            _set_status(session, order=order, to=OrderStatus.ABANDONED, by_id=None, reason=reason)
    if root.credit_minor:
        cover_credit.give_back(session, order_id=root.id)
    return True


def on_payment_failed(session: Session, *, payment: Payment) -> None:
    """The order's payment (locked) failed: the order is abandoned."""
    assert payment.order_id is not None
    root = order_crud.lock(session, order_id=payment.order_id)
    _abandon(session, root=root, reason="payment failed")


def expire_unpaid(session: Session, *, now: datetime | None = None) -> int:
    """Abandon prepaid orders not paid within `ORDER_PAYMENT_MINUTES` (the job's work);
    a capture that still comes is refunded."""
    now = now or _now()
    before = now - timedelta(minutes=settings.ORDER_PAYMENT_MINUTES)
    done = 0
    for order_id in order_crud.unpaid_before(session, before=before):
        payment = order_crud.payment_of(session, order_id=order_id)
        if payment is not None:
            payments.lock(session, payment_id=payment.id)
        root = order_crud.lock(session, order_id=order_id)
        if payment is not None and payment.status is PaymentStatus.CAPTURED:
            continue  # being placed by its capture
        done += _abandon(session, root=root, reason="not paid in time")
        if payment is not None and payment.provider == WALLET_PROVIDER:
            wallets.give_up(session, payment=payment)  # its held amount back at once
    return done


# --- moving ---------------------------------------------------------------------------


def _refund(
    session: Session, *, payment: Payment | None, amount: int, to: OrderStatus, by: User | None
) -> None:
    if payment is None or payment.status is not PaymentStatus.CAPTURED:
        return
    amount = min(amount, payments.refundable(payment))
    if amount <= 0:
        return
    payments.request_refund(
        session,
        payment=payment,
        amount=amount,
        reason=RefundReason.ORDER_REJECTED
        if to is OrderStatus.REJECTED
        else RefundReason.ORDER_CANCELLED,
        requested_by=by,
    )


def _void_bill(session: Session, *, order: Order) -> None:
    bill = order_crud.bill_of(session, order_id=order.id)
    if bill is not None and bill.status is not BillStatus.VOID:
        bill.status = BillStatus.VOID
        session.add(bill)
        session.flush()


def _sync_parent(session: Session, *, parent: Order, children: list[Order]) -> None:
    """A food-court order ends when its parts have: completed if any was, else
    rejected if any was, else cancelled."""
    if parent.status in order_flow.FINAL or not all(c.status in order_flow.FINAL for c in children):
        return
    statuses = {c.status for c in children}
    if OrderStatus.COMPLETED in statuses:
        to = OrderStatus.COMPLETED
    elif OrderStatus.REJECTED in statuses:
        to = OrderStatus.REJECTED
    else:
        to = OrderStatus.CANCELLED
    if order_flow.allowed(parent.status, to, kind=parent.kind, by=Mover.SYSTEM):
        _set_status(session, order=parent, to=to, by_id=None, reason="its parts ended")


def _refuse_if_billed(session: Session, *, session_id: uuid.UUID | None) -> None:
    """An order on a tab whose bill is issued (open or paid) is on that bill: it can no
    longer be rejected or cancelled. Issuing a bill holds the session's lock (taken
    here too), so the two never cross."""
    if session_id is None:
        return
    session_crud.lock(session, session_id=session_id, share=True)
    if bill_crud.live_for_session(session, session_id=session_id) is not None:
        raise BillIssued(
            {
                "message": "The table's bill has been issued with this order on it;"
                " it can no longer be rejected or cancelled",
            }
        )


def move(
    session: Session,
    *,
    order: Order,
    to: OrderStatus,
    by: User | None,
    mover: Mover,
    reason: str | None = None,
) -> Order:
    """Move an order (see the module's doc for the locks, `order_flow` for the rules)."""
    root_id = order.parent_id or order.id
    payment = order_crud.payment_of(session, order_id=root_id)
    if payment is not None:
        payment = payments.lock(session, payment_id=payment.id)
    on_tab = order.session_id is not None and payment is None and to in order_flow.REFUNDING
    if on_tab and order.session_id is not None:
        _refuse_if_billed(session, session_id=order.session_id)
    parent = order_crud.lock(session, order_id=order.parent_id) if order.parent_id else None
    locked = order_crud.lock(session, order_id=order.id)
    if on_tab and locked.session_id not in (None, order.session_id):
        _refuse_if_billed(session, session_id=locked.session_id)  # merged meanwhile
    children = order_crud.lock_children(session, parent_id=locked.id)
    by_id = by.id if by is not None else None
    if children:  # a food-court order as a whole: only its consumer cancels it
        order_flow.check(locked.status, to, kind=locked.kind, by=mover)
        for child in children:
            order_flow.check(child.status, to, kind=child.kind, by=mover)
        for child in children:
            _set_status(session, order=child, to=to, by_id=by_id, reason=reason)
            _void_bill(session, order=child)
        _set_status(session, order=locked, to=to, by_id=by_id, reason=reason)
        _refund(session, payment=payment, amount=locked.total_minor, to=to, by=by)
        return locked
    order_flow.check(locked.status, to, kind=locked.kind, by=mover)
    _set_status(session, order=locked, to=to, by_id=by_id, reason=reason)
    if to in order_flow.REFUNDING:
        _void_bill(session, order=locked)
        _refund(session, payment=payment, amount=locked.total_minor, to=to, by=by)
        if locked.credit_minor:
            cover_credit.give_back(session, order_id=locked.id)
        if payment is not None and payment.provider == WALLET_PROVIDER:
            wallets.give_up(session, payment=payment)  # a spend still waiting: released
    if to is OrderStatus.READY and locked.kind is OrderKind.PICKUP:
        notify.order_ready(session, order=locked)
    if parent is not None:
        _sync_parent(
            session, parent=parent, children=order_crud.lock_children(session, parent_id=parent.id)
        )
    return locked


def move_by_staff(
    session: Session,
    *,
    order: Order,
    to: OrderStatus,
    by: User,
    reason: str | None,
    venue: Venue | None = None,
) -> Order:
    """A move by the staff of `venue` (default: the order's own): a food court's staff
    see its sub-orders, but only each QSR's own staff move them (403)."""
    if venue is not None and venue.id != order.venue_id:
        raise SubOrderMovedByItsVenue()
    return move(session, order=order, to=to, by=by, mover=Mover.STAFF, reason=reason)


def cancel(session: Session, *, order: Order, by: User, reason: str | None) -> Order:
    """The consumer cancels their order (until it is accepted); a paid one is refunded."""
    return move(
        session, order=order, to=OrderStatus.CANCELLED, by=by, mover=Mover.CONSUMER, reason=reason
    )
