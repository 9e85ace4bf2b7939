"""Routes: the signed-in user's own account."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, status

from app.api.deps import CurrentUser, SessionDep, commit
from app.core.errors import (
    CodeExpired,
    EmailAlreadySet,
    EmailTaken,
    InvalidCode,
    NotFound,
    OtpTryLimit,
    PhoneAlreadySet,
    PhoneTaken,
    SmsUnavailable,
    SoleVenueOwner,
    TooManyRequests,
    raises,
)
from app.core.ratelimit import client_ip
from app.crud import push_device as push_device_crud
from app.crud import user as user_crud
from app.schema.auth import OtpRequested
from app.schema.live import PushDeviceRead, PushDeviceRegister
from app.schema.user import AttachEmail, AttachPhone, AttachPhoneRequest, UserRead, UserUpdate
from app.services import accounts as accounts_service
from app.services import auth as auth_service
from app.services import otp as otp_service

router = APIRouter(prefix="/users", tags=["users"])

ClientIP = Annotated[str, Depends(client_ip)]


@router.get("/me", response_model=UserRead)
def read_me(user: CurrentUser) -> Any:
    return user


@router.patch("/me", response_model=UserRead)
def update_me(body: UserUpdate, user: CurrentUser, session: SessionDep) -> Any:
    """Change profile fields; only the fields sent change."""
    user_crud.update(session, user=user, changes=body.model_dump(exclude_unset=True))
    commit(session)
    return user


@router.delete("/me", status_code=status.HTTP_204_NO_CONTENT)
@raises(SoleVenueOwner)
def delete_me(user: CurrentUser, session: SessionDep) -> None:
    """Delete the account: personal data is erased, every session ends. What accounting
    must keep (orders, payments) stays, attached to an anonymous account."""
    accounts_service.delete_account(session, user=user)
    commit(session)


@router.post("/me/email", response_model=UserRead)
@raises(EmailAlreadySet, EmailTaken, TooManyRequests)
def attach_email(
    body: AttachEmail,
    user: CurrentUser,
    session: SessionDep,
    ip: ClientIP,
) -> Any:
    """Add an email and a password (business sign-in) to a phone account."""
    email = accounts_service.attach_email(
        session, user=user, email=body.email, password=body.password, ip=ip
    )
    auth_service.deliver(session, email)
    commit(session)
    return user


@router.post(
    "/me/phone/code",
    response_model=OtpRequested,
    status_code=status.HTTP_202_ACCEPTED,
    responses={429: {"description": "Rate limited"}, 503: {"description": "SMS gateway failed"}},
)
@raises(PhoneAlreadySet, PhoneTaken, TooManyRequests, SmsUnavailable)
def request_phone_code(
    body: AttachPhoneRequest, user: CurrentUser, session: SessionDep, ip: ClientIP
) -> OtpRequested:
    """Send a code to the phone number to add to this account."""
    answer = otp_service.request_attach_code(session, user=user, phone=body.phone, ip=ip)
    commit(session)
    return answer


@router.post("/me/phone", response_model=UserRead)
@raises(PhoneAlreadySet, PhoneTaken, InvalidCode, CodeExpired, OtpTryLimit, TooManyRequests)
def attach_phone(body: AttachPhone, user: CurrentUser, session: SessionDep, ip: ClientIP) -> Any:
    """Add the phone number (proved by its code) to this account."""
    outcome = otp_service.attach_phone(session, user=user, phone=body.phone, code=body.code, ip=ip)
    commit(session)  # a wrong try counts even though the answer is an error
    return outcome.unwrap()


# --- push devices ------------------------------------------------------------------------

DeviceToken = Annotated[
    str,
    Path(
        min_length=8,
        max_length=4096,
        pattern=r"^[A-Za-z0-9_:.\-]+$",
        description="The device's push token (an FCM registration token).",
    ),
]


@router.get("/me/push-devices", response_model=list[PushDeviceRead])
def list_push_devices(user: CurrentUser, session: SessionDep) -> Any:
    """The caller's devices that get push notifications."""
    return push_device_crud.list_for(session, user=user)


@router.put("/me/push-devices/{token}", response_model=PushDeviceRead)
def register_push_device(
    token: DeviceToken, body: PushDeviceRegister, user: CurrentUser, session: SessionDep
) -> Any:
    """Register this device for the caller's push notifications (again: refreshes it;
    a token registered by another account moves to the caller)."""
    device, _created = push_device_crud.register(
        session, user=user, token=token, platform=body.platform
    )
    commit(session)
    return device


@router.delete("/me/push-devices/{token}", status_code=status.HTTP_204_NO_CONTENT)
@raises(NotFound)
def remove_push_device(token: DeviceToken, user: CurrentUser, session: SessionDep) -> None:
    """Stop push notifications to this device (sign-out on the device)."""
    push_device_crud.remove(session, user=user, token=token)
    commit(session)
