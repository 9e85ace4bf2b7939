"""The pages emailed links open until the staff dashboard exists: confirming an email
address, choosing a new password, and an invitation to a venue's staff.

Small server-rendered forms that call the same services as the API. They are safe
against cross-site requests without a CSRF cookie: every form carries the signed,
single-use token of the emailed link, which another site cannot know, and acts only
on the account that token names. Opening a link (GET) never uses it up, so a mail
scanner or a link preview that fetches it does not spend it; the button does (POST).
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Query
from fastapi.responses import HTMLResponse
from pydantic import ValidationError

from app.api.deps import SessionDep
from app.core.errors import InvalidLink, NotFound
from app.core.links import BACKEND_PATHS, EmailedPage
from app.models.auth import EmailTokenPurpose
from app.models.base import utcnow
from app.schema.auth import PASSWORD_MAX_LENGTH, PASSWORD_MIN_LENGTH, ResetPassword
from app.services import auth as auth_service
from app.services import staff as staff_service
from app.web.pages import page

router = APIRouter()

MAX_TOKEN = 4096
Token = Annotated[str, Query(max_length=MAX_TOKEN)]
FormToken = Annotated[str, Form(max_length=MAX_TOKEN)]

NEW_VERIFICATION = (
    "Sign in and ask for a new confirmation email (POST /api/v1/auth/email/verify/resend)."
)
NEW_RESET = "Ask for a new reset link (POST /api/v1/auth/password/forgot)."
NEW_INVITATION = "Ask the venue's owner to invite you again."


def _invalid(hint: str) -> HTMLResponse:
    return page("account/invalid_link.html", status_code=400, hint=hint)


# Confirming an email address


@router.get(BACKEND_PATHS[EmailedPage.VERIFY_EMAIL])
def verify_email_page(token: Token = "") -> HTMLResponse:
    if not auth_service.link_looks_valid(token, EmailTokenPurpose.VERIFY_EMAIL):
        return _invalid(NEW_VERIFICATION)
    return page("account/verify_email.html", token=token)


@router.post(BACKEND_PATHS[EmailedPage.VERIFY_EMAIL])
def verify_email(session: SessionDep, token: FormToken = "") -> HTMLResponse:
    try:
        user = auth_service.verify_email(session, token=token)
    except InvalidLink:
        return _invalid(NEW_VERIFICATION)
    session.commit()
    return page("account/verified.html", email=user.email)


# Choosing a new password


def _reset_form(token: str, *, errors: list[str] | None = None, status: int = 200) -> HTMLResponse:
    return page(
        "account/reset_password.html",
        status_code=status,
        token=token,
        errors=errors or [],
        min_length=PASSWORD_MIN_LENGTH,
        max_length=PASSWORD_MAX_LENGTH,
    )


@router.get(BACKEND_PATHS[EmailedPage.RESET_PASSWORD])
def reset_password_page(token: Token = "") -> HTMLResponse:
    if not auth_service.link_looks_valid(token, EmailTokenPurpose.RESET_PASSWORD):
        return _invalid(NEW_RESET)
    return _reset_form(token)


@router.post(BACKEND_PATHS[EmailedPage.RESET_PASSWORD])
def reset_password(
    session: SessionDep,
    token: FormToken = "",
    new_password: Annotated[str, Form(max_length=PASSWORD_MAX_LENGTH * 4)] = "",
    confirm_password: Annotated[str, Form(max_length=PASSWORD_MAX_LENGTH * 4)] = "",
) -> HTMLResponse:
    if not auth_service.link_looks_valid(token, EmailTokenPurpose.RESET_PASSWORD):
        return _invalid(NEW_RESET)
    if not new_password:
        errors = [f"Choose a new password of at least {PASSWORD_MIN_LENGTH} characters"]
        return _reset_form(token, errors=errors, status=422)
    try:
        body = ResetPassword(token=token, new_password=new_password)
    except ValidationError as exc:
        # Only the password's problems: the token was checked above.
        errors = [_message(error["msg"]) for error in exc.errors(include_input=False)]
        return _reset_form(token, errors=errors, status=422)
    if confirm_password != new_password:
        return _reset_form(token, errors=["The two passwords are not the same"], status=422)
    try:
        auth_service.reset_password(session, token=body.token, new_password=body.new_password)
    except InvalidLink:
        return _invalid(NEW_RESET)
    session.commit()
    return page("account/password_changed.html")


def _message(msg: str) -> str:
    """Pydantic's message without its "Value error, " prefix."""
    return msg.removeprefix("Value error, ")


# An invitation to a venue's staff


@router.get(BACKEND_PATHS[EmailedPage.VENUE_INVITE])
def invitation_page(session: SessionDep, token: Token = "") -> HTMLResponse:
    try:
        invitation = staff_service.view_invitation(session, token=token, now=utcnow())
    except NotFound:
        return _invalid(NEW_INVITATION)
    return page("account/invitation.html", invitation=invitation, token=token)
