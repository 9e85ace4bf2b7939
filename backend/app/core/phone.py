"""Phone numbers: parse what people type and store E.164 (`+919876543210`).

normalise_phone("98765 43210")   # "+919876543210" (default region India)
class Venue(BaseModel): phone: PhoneNumber
"""

from __future__ import annotations

import re
from typing import Annotated

import phonenumbers
from pydantic import AfterValidator, Field

DEFAULT_REGION = "IN"
MAX_INPUT_LENGTH = 32
# What a typed number may hold: an optional leading +, digits and the usual separators.
# phonenumbers itself skips other text around a number ("+919876543210*" would pass).
_PHONE_TEXT = re.compile(r"\+?[0-9][0-9 ().\-]*")
INDIAN_E164 = r"^\+91[6-9][0-9]{9}$"
"""The published form: an Indian ten-digit number starting 6-9 (mobile numbers and the
landlines of most cities, e.g. Bengaluru's 80), in E.164. JSON Schema cannot hold a
number plan; every number of this form is valid in it (tests/core/test_phone.py), so a
client that sends this form is never refused."""


def normalise_phone(value: str, *, region: str = DEFAULT_REGION) -> str:
    """The E.164 form of a phone number, or a ValueError that says what is wrong."""
    text = value.strip()
    if not text:
        raise ValueError("A phone number is required")
    if len(text) > MAX_INPUT_LENGTH:
        raise ValueError(f"A phone number has at most {MAX_INPUT_LENGTH} characters")
    if not _PHONE_TEXT.fullmatch(text):
        raise ValueError(
            f"Not a phone number: {value!r} (only digits, spaces, dashes, dots and "
            "brackets after an optional +, e.g. +919876543210)"
        )
    try:
        parsed = phonenumbers.parse(text, region)
    except phonenumbers.NumberParseException as exc:
        raise ValueError(
            f"Not a phone number: {value!r} (use +<country code><number>, e.g. +919876543210)"
        ) from exc
    if not phonenumbers.is_valid_number(parsed):
        raise ValueError(
            f"Not a valid phone number: {value!r} (use +<country code><number>, e.g. +919876543210)"
        )
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)


PhoneNumber = Annotated[
    str,
    Field(
        max_length=MAX_INPUT_LENGTH,
        examples=["+919876543210"],
        description="A phone number. Send an Indian number in E.164 (the pattern): it is "
        "always accepted. The server also reads other forms, checked against the real "
        "number plan: another country's number in E.164, or an Indian number written "
        "nationally (`98765 43210`, `080 4123 4567`). Stored and returned in E.164 form.",
        json_schema_extra={"pattern": INDIAN_E164},
    ),
    AfterValidator(normalise_phone),
]
