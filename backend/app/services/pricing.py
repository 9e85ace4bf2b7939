"""What an order or a bill costs, in integer minor units (paise), computed once on
the server. Pure arithmetic: no database, no floats.

The rule, step by step (every division rounds half up, to whole paise):

1. A line's unit price is its item's (or variant's) price plus each chosen add-on's.
   Its amount is unit price times quantity: exact.
2. A line's tax is computed on the line, at its tax class's rate `r` (basis points):
   - prices exclude tax: tax = amount x r / 10000 (added on top);
   - prices include tax: tax = amount - amount x 10000 / (10000 + r) (contained in it).
   Taxes are shown per tax class as the sum of their lines' taxes.
3. The *subtotal* is the sum of line amounts. The *net* (value before tax) is the
   subtotal, less the taxes when prices include them.
4. Service charge, when the venue has one and the consumer keeps it, is
   net x service_charge_bps / 10000, its own line, not taxed here.
5. Packaging is a fixed amount per pickup order.
6. The raw total is subtotal + taxes (only when prices exclude them) + service
   charge + packaging. The total payable is the raw total rounded half up to whole
   rupees (100 paise); `rounding` is total - raw (between -49 and +50 paise), shown as
   its own line, as Indian bills do.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field

BPS = 10_000
ROUND_TO = 100  # whole rupees


def div_half_up(numerator: int, denominator: int) -> int:
    """numerator / denominator rounded half up, for numerator >= 0 and denominator > 0."""
    if numerator < 0 or denominator <= 0:
        raise ValueError("div_half_up takes a non-negative numerator and a positive denominator")
    return (2 * numerator + denominator) // (2 * denominator)


def line_tax(amount: int, rate_bps: int, *, prices_include_tax: bool) -> int:
    """The tax on one line's amount (step 2)."""
    if rate_bps == 0 or amount == 0:
        return 0
    if prices_include_tax:
        return amount - div_half_up(amount * BPS, BPS + rate_bps)
    return div_half_up(amount * rate_bps, BPS)


def round_total(raw: int) -> int:
    """The raw total rounded half up to whole rupees (step 6)."""
    return div_half_up(raw, ROUND_TO) * ROUND_TO


@dataclass(frozen=True)
class LineInput:
    unit_price_minor: int
    quantity: int
    tax_class_id: uuid.UUID | None = None
    tax_name: str | None = None
    tax_rate_bps: int = 0


@dataclass(frozen=True)
class PricedLine:
    amount_minor: int
    tax_minor: int


@dataclass(frozen=True)
class TaxLine:
    name: str
    rate_bps: int
    taxable_minor: int  # the net value of the lines taxed at this class
    tax_minor: int

    def as_json(self) -> dict[str, object]:
        return {
            "name": self.name,
            "rate_bps": self.rate_bps,
            "taxable_minor": self.taxable_minor,
            "tax_minor": self.tax_minor,
        }


@dataclass(frozen=True)
class Totals:
    lines: list[PricedLine]
    subtotal_minor: int
    tax_minor: int
    taxes: list[TaxLine] = field(default_factory=list)
    service_charge_minor: int = 0
    packaging_minor: int = 0
    rounding_minor: int = 0
    total_minor: int = 0
    net_minor: int = 0  # the value before tax (what service charge is counted on)


def price_lines(lines: Sequence[LineInput], *, prices_include_tax: bool) -> list[PricedLine]:
    """Steps 1-2 for each line."""
    priced: list[PricedLine] = []
    for line in lines:
        if line.quantity < 1 or line.unit_price_minor < 0:
            raise ValueError("a line needs a positive quantity and a non-negative price")
        amount = line.unit_price_minor * line.quantity
        priced.append(
            PricedLine(
                amount_minor=amount,
                tax_minor=line_tax(
                    amount, line.tax_rate_bps, prices_include_tax=prices_include_tax
                ),
            )
        )
    return priced


def totals(
    lines: Sequence[LineInput],
    *,
    prices_include_tax: bool,
    service_charge_bps: int = 0,
    packaging_minor: int = 0,
    priced: Sequence[PricedLine] | None = None,
) -> Totals:
    """Steps 1-6 for a set of lines. `priced` reuses line amounts and taxes computed
    earlier (a bill over orders keeps each order line's tax as it was charged)."""
    if priced is None:
        priced = price_lines(lines, prices_include_tax=prices_include_tax)
    if len(priced) != len(lines):
        raise ValueError("one priced line per line")
    if service_charge_bps < 0 or packaging_minor < 0:
        raise ValueError("charges are not negative")
    subtotal = sum(p.amount_minor for p in priced)
    tax = sum(p.tax_minor for p in priced)
    by_class: dict[tuple[str, int], list[int]] = {}
    for line, p in zip(lines, priced, strict=True):
        if line.tax_rate_bps == 0 and p.tax_minor == 0:
            continue
        key = (line.tax_name or "Tax", line.tax_rate_bps)
        taxable = p.amount_minor - p.tax_minor if prices_include_tax else p.amount_minor
        acc = by_class.setdefault(key, [0, 0])
        acc[0] += taxable
        acc[1] += p.tax_minor
    taxes = [
        TaxLine(name=name, rate_bps=rate, taxable_minor=acc[0], tax_minor=acc[1])
        for (name, rate), acc in sorted(by_class.items())
    ]
    net = subtotal - tax if prices_include_tax else subtotal
    service = div_half_up(net * service_charge_bps, BPS) if service_charge_bps else 0
    raw = subtotal + (0 if prices_include_tax else tax) + service + packaging_minor
    total = round_total(raw)
    return Totals(
        lines=list(priced),
        subtotal_minor=subtotal,
        tax_minor=tax,
        taxes=taxes,
        service_charge_minor=service,
        packaging_minor=packaging_minor,
        rounding_minor=total - raw,
        total_minor=total,
        net_minor=net,
    )
