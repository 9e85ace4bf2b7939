"""Requests and answers of sign-in: one-time codes, passwords, tokens, links."""

from __future__ import annotations

import re
from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, EmailStr, Field, StringConstraints

from app.core.phone import PhoneNumber
from app.schema.common import EMAIL_SCHEMA, RequestModel

PASSWORD_MIN_LENGTH = 10
PASSWORD_MAX_LENGTH = 128
_COMMON_PASSWORDS = frozenset(
    {
        "1234567890",
        "0123456789",
        "password123",
        "password1234",
        "qwertyuiop",
        "qwerty12345",
        "1q2w3e4r5t",
        "iloveyou123",
        "abc1234567",
        "welcome123",
        "admin12345",
        "changethis",
        "letmein123",
        "socia12345",
    }
)


def check_password_strength(value: str) -> str:
    """Minimum strength for a new password; the message says what to fix."""
    if len(value) < PASSWORD_MIN_LENGTH:
        raise ValueError(f"The password must have at least {PASSWORD_MIN_LENGTH} characters")
    if value.strip() != value:
        raise ValueError("The password may not start or end with a space")
    if not any(ch.isalpha() for ch in value):
        raise ValueError("The password must contain at least one letter")
    if all(ch.isalpha() for ch in value):
        raise ValueError("The password must contain at least one digit or symbol")
    if len(set(value.lower())) < 5:
        raise ValueError("The password repeats too few different characters")
    if value.lower() in _COMMON_PASSWORDS:
        raise ValueError("This password is too common; choose another one")
    return value


def _password_pattern() -> str:
    """`check_password_strength` as a JSON Schema pattern (ECMA-262 with Unicode property
    escapes and a case-insensitive group), so a schema-valid password is a strong one:
    no space at either end (Python's `str.strip` set), a letter (`\\p{L}` is what
    `str.isalpha` means) and something else, five different characters ignoring case,
    not a common password, no NUL.

    Every rule is a negative lookahead ("not only non-letters", "not at most four
    different characters", ...): generators such as Hypothesis's `from_regex` skip a
    negative lookahead but emit a positive one's text, so this form lets a client's
    test tools draw valid passwords at once instead of filtering for seconds."""
    space = r"[\t-\r\x1c-\x20\x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]"
    char = r"[^\x00]"
    # At most four different characters (ignoring case): each new one may be followed
    # only by itself and the ones before it.
    few = (
        rf"(?i:({char})\1*(?:({char})(?:\1|\2)*(?:({char})(?:\1|\2|\3)*"
        rf"(?:({char})(?:\1|\2|\3|\4)*)?)?)?$)"
    )
    common = "|".join(
        "".join(f"[{c.lower()}{c.upper()}]" if c.isalpha() else re.escape(c) for c in word)
        for word in sorted(_COMMON_PASSWORDS)
    )
    return (
        rf"^(?!{space})(?!{char}*{space}$)(?!\P{{L}}*$)(?!\p{{L}}*$)"
        rf"(?!{few})(?!(?:{common})$){char}{{{PASSWORD_MIN_LENGTH},{PASSWORD_MAX_LENGTH}}}$"
    )


PASSWORD_PATTERN = _password_pattern()

NewPassword = Annotated[
    str,
    Field(
        min_length=1,
        max_length=PASSWORD_MAX_LENGTH,
        examples=["a-long-Passphrase-42"],
        description=f"At least {PASSWORD_MIN_LENGTH} characters with a letter and a digit "
        "or symbol, five different characters, no space at either end, not a common "
        "password (the pattern says exactly this)",
        json_schema_extra={"minLength": PASSWORD_MIN_LENGTH, "pattern": PASSWORD_PATTERN},
    ),
    AfterValidator(check_password_strength),
]
AnyPassword = Annotated[str, Field(min_length=1, max_length=PASSWORD_MAX_LENGTH)]
OtpCodeStr = Annotated[
    str,
    StringConstraints(strip_whitespace=True, pattern=r"^[0-9]{4,10}$"),
    Field(description="The code received by SMS", examples=["123456"]),
]
LinkToken = Annotated[
    str,
    StringConstraints(strip_whitespace=True, min_length=10, max_length=2048),
    Field(
        description="The token of an emailed link, as the link carries it",
        # The characters of the tokens the server issues (signed, URL-safe); any other
        # text is simply not a token it issued (400 `invalid_link`).
        json_schema_extra={"pattern": r"^[A-Za-z0-9_.~=-]+$"},
    ),
]


def _lower(value: str) -> str:
    return value.lower()


Email = Annotated[
    EmailStr, Field(max_length=320, json_schema_extra=EMAIL_SCHEMA), AfterValidator(_lower)
]


class _Input(RequestModel):
    model_config = ConfigDict(extra="forbid")


class OtpRequest(_Input):
    phone: PhoneNumber


class OtpRequested(BaseModel):
    message: str
    phone: str
    expires_in: int = Field(description="Seconds until the code expires")
    resend_after: int = Field(description="Seconds before another code may be asked for")


class OtpVerify(_Input):
    phone: PhoneNumber
    code: OtpCodeStr


class TokenPair(BaseModel):
    access_token: str
    refresh_token: str
    token_type: Literal["bearer"] = "bearer"  # noqa: S105
    expires_in: int = Field(description="Seconds until the access token expires")
    refresh_expires_in: int = Field(description="Seconds until the refresh token expires")
    new_user: bool = Field(default=False, description="The account was created by this sign-in")


class CookieLogin(_Input):
    """The staff dashboard's sign-in: the refresh token comes back in a cookie."""

    email: Email
    password: AnyPassword


class CookieSession(BaseModel):
    """A cookie session's access token (keep it in memory); the refresh token is in the
    httpOnly `socia_refresh` cookie and its CSRF token in the `socia_csrf` cookie."""

    access_token: str
    token_type: Literal["bearer"] = "bearer"  # noqa: S105
    expires_in: int = Field(description="Seconds until the access token expires")
    refresh_expires_in: int = Field(description="Seconds until the refresh cookie expires")


class RefreshRequest(_Input):
    refresh_token: Annotated[str, Field(min_length=1, max_length=4096)]


class LogoutRequest(_Input):
    refresh_token: Annotated[str | None, Field(max_length=4096)] = None


class RegisterRequest(_Input):
    email: Email
    password: NewPassword
    full_name: Annotated[
        str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)
    ]


class LinkRequest(_Input):
    token: LinkToken


class ForgotPassword(_Input):
    email: Email


class ResetPassword(_Input):
    token: LinkToken
    new_password: NewPassword


class ChangePassword(_Input):
    current_password: AnyPassword
    new_password: NewPassword
