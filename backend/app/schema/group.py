"""Groups: making one, its members, the admin's wallet rules, invitation links."""

from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum
from typing import Annotated, Any, Self

from pydantic import AfterValidator, BaseModel, Field, model_validator

from app.core.config import settings
from app.core.phone import PhoneNumber
from app.models.group import GroupRole, GroupStatus, SpendCapPeriod
from app.schema.common import Flag, NoNul, RequestModel, StrictInteger
from app.schema.venue import Currency


def _strip_required(value: str) -> str:
    value = value.strip()
    if not value:
        raise ValueError("A group's name cannot be blank")
    return value


GroupName = Annotated[
    str, Field(min_length=1, max_length=100), NoNul, AfterValidator(_strip_required)
]
# The wallet rules, in minor units of the group's currency (paise). Bounded by what a
# wallet may ever hold (a cap or an approval amount above that means nothing).
RuleMinor = Annotated[
    StrictInteger,
    Field(ge=0, le=settings.WALLET_MAX_BALANCE_MINOR, description="Minor units (paise)"),
]
CapMinor = Annotated[
    StrictInteger,
    Field(ge=1, le=settings.WALLET_MAX_BALANCE_MINOR, description="Minor units (paise)"),
]
MaxUses = Annotated[
    StrictInteger,
    Field(ge=1, le=settings.GROUP_MAX_MEMBERS, description="How many people may join with it"),
]
InviteHours = Annotated[
    StrictInteger,
    Field(ge=1, le=settings.GROUP_INVITE_HOURS, description="Hours until the link stops working"),
]


class GroupCreate(RequestModel):
    name: GroupName
    booking_id: uuid.UUID | None = Field(
        default=None, description="One of your confirmed bookings the group is going out on"
    )
    table_session_id: uuid.UUID | None = Field(
        default=None, description="An open table session you joined (a table at a club night)"
    )
    currency: Currency | None = Field(
        default=None,
        description="The wallet's currency: by default the booking's or the venue's, else INR",
    )

    @model_validator(mode="after")
    def _one_occasion(self) -> Self:
        if self.booking_id is not None and self.table_session_id is not None:
            raise ValueError("A group is for a booking or a table session, not both")
        return self


class GroupUpdate(RequestModel):
    """What the admin changes: the name and the wallet's rules (fields left out stay)."""

    name: GroupName | None = None
    cap_minor: CapMinor | None = Field(
        default=None, description="Most a member may spend per day or night; null: no cap"
    )
    cap_period: SpendCapPeriod | None = Field(
        default=None, description="`day` (calendar day) or `night` (06:00 to 06:00)"
    )
    approval_above_minor: RuleMinor | None = Field(
        default=None,
        description="A spend above this waits for the admin's approval; null: never",
    )

    @model_validator(mode="after")
    def _no_null_name_or_period(self) -> Self:
        for name in ("name", "cap_period"):
            if name in self.model_fields_set and getattr(self, name) is None:
                raise ValueError(f"`{name}` cannot be null")
        return self

    def changes(self) -> dict[str, Any]:
        return self.model_dump(exclude_unset=True)


class GroupMemberUpdate(RequestModel):
    can_spend: Flag = Field(description="May spend from the wallet")


class GroupMemberAdd(RequestModel):
    """A guest of the group's booking, by the phone number of their Socia account."""

    phone: PhoneNumber


class GroupHandOver(RequestModel):
    user_id: uuid.UUID = Field(description="A current member who becomes the admin")


class GroupInviteCreate(RequestModel):
    max_uses: MaxUses
    expires_in_hours: InviteHours | None = Field(
        default=None, description=f"At most {settings.GROUP_INVITE_HOURS} (the default)"
    )


# --- answers ---------------------------------------------------------------------------


class GroupMemberRead(BaseModel):
    user_id: uuid.UUID
    name: str | None
    role: GroupRole
    can_spend: bool
    joined_at: datetime


class GroupRead(BaseModel):
    id: uuid.UUID
    name: str
    status: GroupStatus
    admin_id: uuid.UUID
    booking_id: uuid.UUID | None
    table_session_id: uuid.UUID | None
    currency: str
    time_zone: str
    cap_minor: int | None
    cap_period: SpendCapPeriod
    approval_above_minor: int | None
    created_at: datetime
    closed_at: datetime | None
    members: list[GroupMemberRead]


class GroupSummary(BaseModel):
    """One of the caller's groups in their list."""

    id: uuid.UUID
    name: str
    status: GroupStatus
    currency: str
    role: GroupRole
    member_count: int
    joined_at: datetime
    created_at: datetime


class GroupInviteRead(BaseModel):
    id: uuid.UUID
    group_id: uuid.UUID
    max_uses: int
    uses: int
    expires_at: datetime
    revoked_at: datetime | None
    created_at: datetime
    token: str = Field(description="Send it with POST /group-invites/{token}/accept")
    link: str = Field(description="The link to share: it carries the token")


class InviteState(StrEnum):
    """Whether the link lets the caller join now, and why not."""

    OPEN = "open"
    MEMBER = "member"  # the caller is in the group already
    EXPIRED = "expired"
    REVOKED = "revoked"
    USED_UP = "used_up"
    GROUP_CLOSED = "group_closed"
    GROUP_FULL = "group_full"


class GroupInvitePreview(BaseModel):
    """What someone holding a link sees before joining (no member's identity)."""

    group_name: str
    admin_name: str | None
    member_count: int
    currency: str
    expires_at: datetime
    state: InviteState
