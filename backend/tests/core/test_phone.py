"""The published phone pattern admits only numbers the server accepts."""

from __future__ import annotations

import re

import pytest

from app.core.phone import INDIAN_E164, normalise_phone


def test_every_number_of_the_published_form_is_valid() -> None:
    # Every four-digit start 6000-9999 with low, high and mixed endings: the number plan
    # (phonenumbers' metadata) has no hole in this range.
    for start in range(6000, 10_000):
        for rest in ("000000", "999999", f"{start * 7919 % 1_000_000:06d}"):
            number = f"+91{start}{rest}"
            assert re.fullmatch(INDIAN_E164, number)
            assert normalise_phone(number) == number


@pytest.mark.parametrize("raw", ["+919876543210*", "+91 98765 43210 ext 5", "tel:+919876543210"])
def test_text_around_a_number_is_refused(raw: str) -> None:
    with pytest.raises(ValueError, match="phone number"):
        normalise_phone(raw)
