"""Pieces of identity without HTTP: phone numbers, password strength, accounts, seed."""

from __future__ import annotations

import functools
import re
import sys

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import BaseModel, ValidationError
from sqlmodel import Session, func, select

from app.core.errors import PhoneTaken
from app.core.phone import PhoneNumber, normalise_phone
from app.core.security import hash_password, verify_password
from app.crud import user as user_crud
from app.models import User
from app.schema.auth import PASSWORD_PATTERN, check_password_strength
from app.seed import people
from app.services import accounts


@pytest.mark.parametrize(
    ("raw", "e164"),
    [
        ("9876543210", "+919876543210"),
        ("098765 43210", "+919876543210"),
        ("+91 98765-43210", "+919876543210"),
        ("+1 (202) 555-0142", "+12025550142"),
        ("  +44 20 7946 0958 ", "+442079460958"),
    ],
)
def test_normalise_phone(raw: str, e164: str) -> None:
    assert normalise_phone(raw) == e164


@pytest.mark.parametrize("raw", ["", "   ", "12", "abc", "+91 12345", "9" * 40])
def test_normalise_phone_rejects_clearly(raw: str) -> None:
    with pytest.raises(ValueError, match="phone number"):
        normalise_phone(raw)


def test_phone_number_type_in_a_schema() -> None:
    class Model(BaseModel):
        phone: PhoneNumber

    assert Model(phone="98765 43210").phone == "+919876543210"
    with pytest.raises(ValidationError, match="Not a valid phone number"):
        Model(phone="12345")


def test_password_strength_accepts_passphrases() -> None:
    assert check_password_strength("correct-horse-battery-staple")
    assert check_password_strength("Tr0ub4dor&3x")


def test_ensure_superuser_creates_then_promotes(session: Session) -> None:
    user = accounts.ensure_superuser(session, email=" Root@Example.com ", password="pw-123456789")
    assert user.is_superuser
    assert user.email == "root@example.com"
    again = accounts.ensure_superuser(session, email="root@example.com", password="pw-987654321")
    assert again.id == user.id
    assert verify_password("pw-987654321", again.password_hash)


def test_first_superuser_is_created_once_and_never_reset(session: Session) -> None:
    first = accounts.create_first_superuser(
        session, email="Root@Example.com", password="pw-123456789"
    )
    assert first is not None
    assert first.is_superuser
    # Later, the admin changes the password and the account is deactivated.
    first.password_hash = hash_password("changed-since-1")
    first.is_active = False
    session.flush()
    # The next deploy runs `socia migrate` again with the same settings.
    again = accounts.create_first_superuser(
        session, email="root@example.com", password="pw-123456789"
    )
    assert again is None
    session.refresh(first)
    assert verify_password("changed-since-1", first.password_hash)
    assert not first.is_active


def test_seed_is_idempotent(session: Session) -> None:
    people.seed(session)
    count = session.exec(select(func.count()).select_from(User)).one()
    people.seed(session)
    assert session.exec(select(func.count()).select_from(User)).one() == count
    admin = user_crud.get_by_email(session, email=people.ADMIN_EMAIL)
    assert admin is not None
    assert admin.is_superuser
    assert verify_password(people.DEMO_PASSWORD, admin.password_hash)
    for consumer in people.CONSUMERS:
        assert user_crud.get_by_phone(session, phone=consumer.phone) is not None


def test_create_with_phone_refuses_a_taken_number(session: Session) -> None:
    user_crud.create_with_phone(session, phone="+919876543210")
    with pytest.raises(PhoneTaken):
        user_crud.create_with_phone(session, phone="+919876543210")


@functools.cache
def _published() -> re.Pattern[str]:
    """PASSWORD_PATTERN in Python's `re`: ECMA-262's `\\p{L}` and `\\P{L}` as the
    characters `str.isalpha` accepts (Unicode's category L) and its `$` as the end of
    the text (Python's also matches before a final newline). Built on first use: it
    walks every code point once."""
    ranges: list[str] = []
    start = None
    for point in range(sys.maxunicode + 2):
        inside = point <= sys.maxunicode and chr(point).isalpha()
        if inside and start is None:
            start = point
        elif not inside and start is not None:
            ranges.append(f"\\U{start:08x}-\\U{point - 1:08x}")
            start = None
    letters = "".join(ranges)
    translated = (
        PASSWORD_PATTERN.replace(r"\p{L}", f"[{letters}]")
        .replace(r"\P{L}", f"[^{letters}]")
        .replace("$", r"\Z")
    )
    return re.compile(translated)


def _is_strong(password: str) -> bool:
    try:
        check_password_strength(password)
    except ValueError:
        return False
    return True


@pytest.mark.parametrize(
    "password",
    [
        "correct-horse-battery-staple",
        "Tr0ub4dor&3x",
        "ééééé12345",
        "abc\ndef123x",
        "aAbBcC1111",
        "password123",
        "PassWord123",
        " abcde12345",
        "abcde12345 ",
        "abcdefghijkl",
        "1234567890!",
        "short1",
    ],
)
def test_the_published_password_pattern_is_the_strength_rule(password: str) -> None:
    assert bool(_published().fullmatch(password)) is _is_strong(password)


@settings(max_examples=300, derandomize=True, database=None)
@given(
    st.text(
        # Few letters, digits, spaces and a case pair, so that each rule is met and missed.
        st.sampled_from("aAbB1!é ") | st.characters(exclude_characters="\x00"),
        min_size=8,
        max_size=14,
    )
)
def test_the_pattern_and_the_rule_agree_on_any_text(password: str) -> None:
    assert bool(_published().fullmatch(password)) is _is_strong(password)


@settings(max_examples=50, derandomize=True, database=None, deadline=None)
@given(st.deferred(lambda: st.from_regex(_published(), fullmatch=True)))
def test_a_generator_drawing_from_the_pattern_draws_strong_passwords(password: str) -> None:
    # What a client's fuzzer (schemathesis, Hypothesis) does with the published schema.
    assert _is_strong(password)
