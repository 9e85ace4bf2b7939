"""The pricing rule of `app.services.pricing` on awkward cases, and its invariants
over many random carts."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from app.services.pricing import LineInput, div_half_up, line_tax, round_total, totals

GST: dict[str, Any] = {"tax_name": "Food GST 5%", "tax_rate_bps": 500}
VAT: dict[str, Any] = {"tax_name": "Alcohol VAT 20%", "tax_rate_bps": 2000}


@pytest.mark.parametrize(
    ("numerator", "denominator", "expected"),
    [(0, 7, 0), (1, 2, 1), (3, 2, 2), (5, 10, 1), (4, 10, 0), (14, 10, 1), (15, 10, 2)],
)
def test_division_rounds_half_up(numerator: int, denominator: int, expected: int) -> None:
    assert div_half_up(numerator, denominator) == expected


def test_division_refuses_what_it_cannot_round() -> None:
    with pytest.raises(ValueError, match="non-negative"):
        div_half_up(-1, 2)
    with pytest.raises(ValueError, match="positive denominator"):
        div_half_up(1, 0)


def test_tax_on_top_rounds_each_line_half_up() -> None:
    # 5% of 10.10 is 0.505: half a paisa rounds up
    assert line_tax(1010, 500, prices_include_tax=False) == 51
    # 5% of 10.09 is 0.5045: rounds down
    assert line_tax(1009, 500, prices_include_tax=False) == 50


def test_tax_contained_in_the_price() -> None:
    # 105.00 with 5% inside: net 100.00, tax 5.00
    assert line_tax(10500, 500, prices_include_tax=True) == 500
    # 1.00 with 18% inside: net 0.847... -> 0.85, tax 0.15
    assert line_tax(100, 1800, prices_include_tax=True) == 15


def test_rounding_to_whole_rupees() -> None:
    assert round_total(14049) == 14000
    assert round_total(14050) == 14100
    assert round_total(0) == 0


def test_a_cart_with_two_tax_classes_and_a_service_charge() -> None:
    result = totals(
        [
            LineInput(unit_price_minor=33333, quantity=3, **GST),  # 999.99
            LineInput(unit_price_minor=19999, quantity=1, **VAT),  # 199.99
            LineInput(unit_price_minor=5000, quantity=2),  # untaxed water, 100.00
        ],
        prices_include_tax=False,
        service_charge_bps=1000,
    )
    assert [line.amount_minor for line in result.lines] == [99999, 19999, 10000]
    assert [line.tax_minor for line in result.lines] == [5000, 4000, 0]  # 49.99995, 39.998
    assert result.subtotal_minor == 129998
    assert result.tax_minor == 9000
    assert [(t.name, t.taxable_minor, t.tax_minor) for t in result.taxes] == [
        ("Alcohol VAT 20%", 19999, 4000),
        ("Food GST 5%", 99999, 5000),
    ]
    assert result.service_charge_minor == 13000  # 10% of 1299.98 = 129.998
    # raw 1299.98 + 90.00 + 130.00 = 1519.98 -> 1520.00
    assert result.total_minor == 152000
    assert result.rounding_minor == 2


def test_prices_including_tax_add_nothing_on_top() -> None:
    result = totals(
        [LineInput(unit_price_minor=10500, quantity=2, **GST)],
        prices_include_tax=True,
        service_charge_bps=500,
    )
    assert result.subtotal_minor == 21000
    assert result.tax_minor == 1000
    assert result.net_minor == 20000
    assert result.taxes[0].taxable_minor == 20000
    assert result.service_charge_minor == 1000  # on the value before tax
    assert result.total_minor == 22000


def test_packaging_is_added_once() -> None:
    result = totals(
        [LineInput(unit_price_minor=14900, quantity=1, **GST)],
        prices_include_tax=False,
        packaging_minor=1000,
    )
    # 149.00 + 7.45 + 10.00 = 166.45 -> 166.00
    assert result.total_minor == 16600
    assert result.rounding_minor == -45


def test_a_bill_keeps_the_taxes_its_lines_were_charged() -> None:
    lines = [LineInput(unit_price_minor=1010, quantity=1, **GST)] * 2
    first = totals(lines, prices_include_tax=False)
    again = totals(lines, prices_include_tax=False, priced=first.lines)
    assert again == first
    with pytest.raises(ValueError, match="one priced line per line"):
        totals(lines, prices_include_tax=False, priced=first.lines[:1])


def test_bad_lines_and_charges_are_refused() -> None:
    with pytest.raises(ValueError, match="positive quantity"):
        totals([LineInput(unit_price_minor=100, quantity=0)], prices_include_tax=False)
    with pytest.raises(ValueError, match="not negative"):
        totals([], prices_include_tax=False, service_charge_bps=-1)


def test_an_empty_cart_costs_nothing() -> None:
    result = totals([], prices_include_tax=False, service_charge_bps=1000)
    assert (result.subtotal_minor, result.total_minor, result.rounding_minor) == (0, 0, 0)


lines = st.lists(
    st.builds(
        LineInput,
        unit_price_minor=st.integers(0, 10_000_000),
        quantity=st.integers(1, 99),
        tax_name=st.sampled_from(["GST", "VAT"]),
        tax_rate_bps=st.sampled_from([0, 500, 1200, 1800, 2000, 2800]),
    ),
    max_size=30,
)


@settings(max_examples=300, deadline=None)
@given(
    lines=lines,
    include=st.booleans(),
    service=st.integers(0, 2500),
    packaging=st.integers(0, 100_000),
)
def test_totals_always_add_up(
    lines: list[LineInput], include: bool, service: int, packaging: int
) -> None:
    result = totals(
        lines, prices_include_tax=include, service_charge_bps=service, packaging_minor=packaging
    )
    assert result.subtotal_minor == sum(line.amount_minor for line in result.lines)
    assert result.tax_minor == sum(t.tax_minor for t in result.taxes)
    assert all(line.tax_minor <= line.amount_minor or not include for line in result.lines)
    raw = (
        result.subtotal_minor
        + (0 if include else result.tax_minor)
        + result.service_charge_minor
        + result.packaging_minor
    )
    assert result.total_minor == raw + result.rounding_minor
    assert result.total_minor % 100 == 0
    assert -49 <= result.rounding_minor <= 50
    assert result.total_minor >= 0
