"""Demo menu options: tax classes for every item, and variants and add-on groups where a
real menu would have them (30 ml / 60 ml spirits with mixers, half / full curries,
regular / large pizzas and drinks, toppings, burger extras, a required chutney
choice on dosas). Applied to the import documents of `app.seed.venues`."""

from __future__ import annotations

import copy
from typing import Any

FOOD_TAX: dict[str, Any] = {"name": "Food GST 5%", "rate_bps": 500}
ALCOHOL_TAX: dict[str, Any] = {"name": "Alcohol VAT 20%", "rate_bps": 2000}


def _paise(rupees: float) -> int:
    """Rupees rounded to the nearest 10, in paise."""
    return round(rupees / 10) * 10 * 100


def _variants(*rows: tuple[str, int]) -> list[dict[str, Any]]:
    return [{"name": name, "price_minor": price} for name, price in rows]


def _group(name: str, low: int, high: int, *add_ons: tuple[str, int]) -> dict[str, Any]:
    return {
        "name": name,
        "min_choices": low,
        "max_choices": high,
        "add_ons": [{"name": a, "price_minor": rupees * 100} for a, rupees in add_ons],
    }


MIXERS = _group("Mixers", 0, 2, ("Coke", 60), ("Soda", 40), ("Tonic water", 90), ("Ginger ale", 90))
TOPPINGS = _group(
    "Toppings", 0, 3, ("Olives", 40), ("Jalapeños", 40), ("Mushrooms", 40), ("Extra cheese", 60)
)
BURGER_EXTRAS = _group("Extras", 0, 2, ("Cheese slice", 30), ("Extra patty", 70), ("Bacon", 60))
CHUTNEYS = _group("Chutney", 1, 2, ("Coconut", 0), ("Tomato", 0), ("Mint", 0))
HALF_FULL = ("Curries", "Biryani", "Rice", "Grills")


def _options_for(category: str, item: dict[str, Any]) -> None:
    price = item["price_minor"]
    name = item["name"]
    if category == "Spirits":
        item["name"] = name.removesuffix(" (30 ml)")
        item["variants"] = _variants(("30 ml", price), ("60 ml", _paise(price / 100 * 1.9)))
        item["add_on_groups"] = [copy.deepcopy(MIXERS)]
    elif category in HALF_FULL:
        item["variants"] = _variants(("Half", _paise(price / 100 * 0.6)), ("Full", price))
    elif category == "Pizza":
        item["variants"] = _variants(("Regular", price), ("Large", _paise(price / 100 * 1.4)))
        item["add_on_groups"] = [copy.deepcopy(TOPPINGS)]
    elif category == "Slices":
        item["add_on_groups"] = [copy.deepcopy(TOPPINGS)]
    elif category == "Burgers":
        item["add_on_groups"] = [copy.deepcopy(BURGER_EXTRAS)]
    elif category == "Dosa" or "Dosa" in name:
        item["add_on_groups"] = [copy.deepcopy(CHUTNEYS)]
    elif category in ("Shakes", "Drinks") and name != "Packaged Water":
        item["variants"] = _variants(("Regular", price), ("Large", _paise(price / 100 * 1.3)))


def with_options(document: dict[str, Any]) -> dict[str, Any]:
    """A copy of an import document whose items have a tax class (alcohol or food) and,
    by category, variants and add-on groups; with the tax classes it names."""
    doc = copy.deepcopy(document)
    used: dict[str, dict[str, Any]] = {}
    holders = [
        holder
        for category in doc["categories"]
        for holder in [category, *category.get("subcategories", [])]
    ]
    for holder in holders:
        for item in holder.get("items", []):
            tax = ALCOHOL_TAX if item.get("is_alcoholic") else FOOD_TAX
            used[tax["name"]] = tax
            item["tax_class"] = tax["name"]
            _options_for(holder["name"], item)
    doc["tax_classes"] = [dict(t) for t in used.values()]
    return doc
