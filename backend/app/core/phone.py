"""Phone numbers: parse what people type and store E.164 (`+919876543210`).

normalise_phone("98765 43210")   # "+919876543210" (default region India)
class Venue(BaseModel): phone: PhoneNumber
"""

from __future__ import annotations

from typing import Annotated

import phonenumbers
from pydantic import AfterValidator, Field

DEFAULT_REGION = "IN"
MAX_INPUT_LENGTH = 32


def normalise_phone(value: str, *, region: str = DEFAULT_REGION) -> str:
    """The E.164 form of a phone number, or a ValueError that says what is wrong."""
    text = value.strip()
    if not text:
        raise ValueError("A phone number is required")
    if len(text) > MAX_INPUT_LENGTH:
        raise ValueError(f"A phone number has at most {MAX_INPUT_LENGTH} characters")
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
        description="A phone number; without a country code it is read as Indian. "
        "Stored and returned in E.164 form.",
    ),
    AfterValidator(normalise_phone),
]
