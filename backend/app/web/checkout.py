"""`/checkout/test/{order_id}`: the test gateway's own checkout page (no money moves).

It shows the order's amount with a Pay and a Fail button. Pressing one records the
attempt in the gateway's book and queues the gateway's signed webhook to us, as a
real gateway would send it (a job hands the signed body to the same function the
webhook route calls; a job, not an HTTP call to ourselves, so it works behind any
proxy and in tests, and is delivered again if our handler fails). The result page
shows the checkout callback's fields a client may send to `/payments/{id}/verify`.
Only outside production (the test provider is refused there).
"""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import HTMLResponse

from app.api.deps import SessionDep
from app.core.errors import CheckoutNotAvailable, NotFound
from app.services import payments as payments_service
from app.web.pages import page

router = APIRouter()

CHECKOUT = "/" + payments_service.CHECKOUT_PATH + "/{order_id}"


def _money(amount: int, currency: str) -> str:
    return f"{currency} {amount // 100:,}.{amount % 100:02d}"


def _not_found() -> HTMLResponse:
    return page(
        "checkout/result.html",
        status_code=404,
        heading="No such order",
        text="This checkout link is not valid.",
        provider_payment_id="-",
        signature="-",
        retry_url=None,
    )


@router.get(CHECKOUT, response_class=HTMLResponse)
def test_checkout_page(order_id: str) -> HTMLResponse:
    try:
        order = payments_service.test_checkout(order_id)
    except NotFound:
        return _not_found()
    base = "/" + payments_service.CHECKOUT_PATH + "/" + order.order_id
    return page(
        "checkout/test.html",
        order_id=order.order_id,
        amount=_money(order.amount, order.currency),
        paid=order.paid,
        pay_url=base + "/pay",
        fail_url=base + "/fail",
    )


@router.post(CHECKOUT + "/{outcome}", response_class=HTMLResponse)
def test_checkout_submit(order_id: str, outcome: str, session: SessionDep) -> HTMLResponse:
    if outcome not in ("pay", "fail"):
        return _not_found()
    try:
        payment_id, signature = payments_service.complete_test_checkout(
            session, order_id=order_id, succeed=outcome == "pay"
        )
    except NotFound:
        return _not_found()
    except CheckoutNotAvailable:
        return page(
            "checkout/result.html",
            status_code=409,
            heading="Already paid",
            text="This order is paid already.",
            provider_payment_id="-",
            signature="-",
            retry_url=None,
        )
    session.commit()
    paid = outcome == "pay"
    return page(
        "checkout/result.html",
        heading="Payment made" if paid else "Payment failed",
        text="You can close this page." if paid else "Nothing was charged.",
        provider_payment_id=payment_id,
        signature=signature,
        retry_url=None if paid else "/" + payments_service.CHECKOUT_PATH + "/" + order_id,
    )
