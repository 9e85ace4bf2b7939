"""Bills of pay-at-the-end table sessions and their shares: what members send and see."""

from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum
from typing import Annotated, Self

from pydantic import BaseModel, ConfigDict, Field, model_validator

from app.models.order import BillShareMethod, BillShareStatus, BillStatus
from app.schema.booking import Checkout
from app.schema.common import RequestModel, StrictInteger
from app.schema.wallet import WalletSpendRead

MAX_PARTS = 100
MAX_SHARE_LINES = 200
MAX_AMOUNT_MINOR = 10**12

# What each method needs, besides `method`.
_NEEDS: dict[BillShareMethod, str | None] = {
    BillShareMethod.FULL: None,
    BillShareMethod.EQUAL: "parts",
    BillShareMethod.ITEMS: "line_ids",
    BillShareMethod.CUSTOM: "amount_minor",
}
_OPTIONS = ("parts", "line_ids", "amount_minor")


class TenderKind(StrEnum):
    COVER_CREDIT = "cover_credit"
    WALLET = "wallet"
    GATEWAY = "gateway"


class BillShareCreate(RequestModel):
    """One share of the bill, paid by the caller:

    - `full`: everything that is left;
    - `equal` with `parts`: one of `parts` equal shares of the total (rounded down to
      the paisa; the share that reaches the end pays exactly what is left);
    - `items` with `line_ids`: those lines (plus their tax when prices exclude it, and
      their part of the service charge); a line paid by one share cannot be chosen again;
    - `custom` with `amount_minor`: that amount, at most what is left.
    """

    method: BillShareMethod
    parts: Annotated[StrictInteger, Field(ge=1, le=MAX_PARTS)] | None = None
    line_ids: Annotated[list[uuid.UUID], Field(min_length=1, max_length=MAX_SHARE_LINES)] | None = (
        None
    )
    amount_minor: Annotated[StrictInteger, Field(ge=1, le=MAX_AMOUNT_MINOR)] | None = None
    wallet_group_id: uuid.UUID | None = Field(
        default=None, description="Pay from this group's wallet instead of the gateway"
    )
    use_cover_credit: bool = Field(
        default=True, description="Spend your cover credit at this venue first"
    )

    @model_validator(mode="after")
    def _fits_the_method(self) -> Self:
        needed = _NEEDS[self.method]
        for name in _OPTIONS:
            given = getattr(self, name) is not None
            if name == needed and not given:
                raise ValueError(f"`{name}` is required with method `{self.method.value}`")
            if given and name != needed:
                raise ValueError(f"`{name}` is not used with method `{self.method.value}`")
        if self.line_ids is not None and len(set(self.line_ids)) != len(self.line_ids):
            raise ValueError("`line_ids` names a line twice")
        return self


class TaxLineRead(BaseModel):
    name: str
    rate_bps: int
    taxable_minor: int
    tax_minor: int


class BillLineRead(BaseModel):
    """A line of the bill, and the share paying it (or being paid for it), if any."""

    id: uuid.UUID
    order_id: uuid.UUID
    name: str
    variant_name: str | None
    quantity: int
    unit_price_minor: int
    amount_minor: int
    tax_minor: int
    share_id: uuid.UUID | None = Field(
        description="The items share paying this line (paid, or pending and not expired)"
    )


class BillShareRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    bill_id: uuid.UUID
    payer_id: uuid.UUID
    method: BillShareMethod
    amount_minor: int
    credit_minor: int = Field(default=0, description="What cover credit paid of it")
    line_ids: list[uuid.UUID]
    status: BillShareStatus
    expires_at: datetime
    paid_at: datetime | None
    created_at: datetime


class TenderRead(BaseModel):
    """How much of a bill's paid shares one kind of tender paid."""

    kind: TenderKind
    amount_minor: int


class BillRead(BaseModel):
    """A session's bill: its amounts, what is paid, what is being paid (pending shares
    not expired) and what is left for others to pay."""

    id: uuid.UUID
    venue_id: uuid.UUID
    session_id: uuid.UUID
    status: BillStatus
    invoice_number: str
    financial_year: int
    currency: str
    subtotal_minor: int
    tax_minor: int
    taxes: list[TaxLineRead]
    packaging_minor: int
    service_charge_minor: int
    service_charge_removed: bool
    rounding_minor: int
    total_minor: int
    paid_minor: int
    pending_minor: int
    left_minor: int
    issued_at: datetime
    paid_at: datetime | None
    lines: list[BillLineRead]
    shares: list[BillShareRead]
    tenders: list[TenderRead] = Field(
        default_factory=list,
        description="What paid the paid shares: `cover_credit` (a pass's credit, never "
        "cash), `wallet` (a group's wallet), `gateway` (card, UPI, ...)",
    )


class BillShareCreated(BaseModel):
    """The share (pending until its payment is captured), the bill, and how to pay."""

    share: BillShareRead
    bill: BillRead
    checkout: Checkout | None = Field(
        default=None,
        description="How to pay at the gateway; none when cover credit or a group's "
        "wallet paid it (or the wallet's admin must approve: see `wallet_spend`)",
    )
    wallet_spend: WalletSpendRead | None = None
