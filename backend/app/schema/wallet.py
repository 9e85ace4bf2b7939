"""Group wallets: the balance, its ledger, top-ups and spends."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field

from app.models.group import SpendCapPeriod, WalletEntryKind, WalletSpendStatus
from app.schema.booking import Checkout
from app.schema.common import RequestModel, StrictInteger


class WalletRead(BaseModel):
    """The wallet as a member sees it. `balance_minor` is what can be spent now (held
    spends are already out of it); the rules are the admin's."""

    group_id: uuid.UUID
    currency: str
    balance_minor: int
    held_minor: int = Field(description="In spends waiting for the admin's approval")
    waiting_spends: int
    max_balance_minor: int
    max_top_up_minor: int
    cap_minor: int | None
    cap_period: SpendCapPeriod
    approval_above_minor: int | None
    my_spent_minor: int = Field(description="What you spent in the current day or night")
    my_cap_left_minor: int | None = Field(description="None: no cap applies to you")


class WalletEntryRead(BaseModel):
    """One credit (+) or debit (-) of the wallet, with the balance after it."""

    model_config = ConfigDict(from_attributes=True)

    seq: int
    kind: WalletEntryKind
    amount_minor: int
    balance_after_minor: int
    member_id: uuid.UUID
    member_name: str | None = None
    payment_id: uuid.UUID | None
    refund_id: uuid.UUID | None
    spend_id: uuid.UUID | None
    paid_for: str | None = Field(
        default=None,
        description="What a spend or refund was for: order, bill_share or booking",
    )
    subject_id: uuid.UUID | None = Field(
        default=None, description="The order, bill share or booking it paid for"
    )
    note: str | None
    created_at: datetime


class WalletSpendRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    group_id: uuid.UUID
    member_id: uuid.UUID
    payment_id: uuid.UUID
    amount_minor: int
    status: WalletSpendStatus
    decided_by_id: uuid.UUID | None
    decided_at: datetime | None
    expires_at: datetime
    created_at: datetime


class TopUpCreate(RequestModel):
    amount_minor: Annotated[StrictInteger, Field(ge=100, le=100_000_000)] = Field(
        description="At least 1 rupee, at most WALLET_MAX_TOP_UP_MINOR"
    )


class TopUpCreated(BaseModel):
    """The top-up's payment: the wallet is credited when the gateway captures it."""

    payment_id: uuid.UUID
    amount_minor: int
    currency: str
    checkout: Checkout
