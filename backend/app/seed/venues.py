"""Demo data: venues of all four kinds around Bengaluru, the people who run them,
their opening hours and menus (a few hundred items). Every venue is verified and
active.

Menus carry tax classes ("Food GST 5%", "Alcohol VAT 20%") and item options (see
`app.seed.menu_options`); QSRs and nightclubs have pickup points; restaurants add a
service charge. Biryani Darbar, Highway Bites and the Forum Food Hall with its QSRs
are open around the clock, so ordering can be tried at any hour.

Business logins (password for all of them, as for the demo admin: `socia-demo-2026`):
- owners: `owner.<group>@demo.socia.app` for the groups `toit`, `koramangala`,
  `skyline`, `southern`, `forum` and `quick` (each owns several venues; `forum`
  owns the Forum Food Hall and the QSRs inside it);
- per venue: `manager.<slug>@demo.socia.app` and `staff.<slug>@demo.socia.app`,
  where `<slug>` is the venue's name in lower case with dashes (e.g.
  `manager.the-brew-yard@demo.socia.app`).

`seed` is idempotent: users, venues and memberships are looked up before being
added, and a venue's menus are only imported when it has none.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass, field
from datetime import time
from functools import lru_cache
from typing import Any

from sqlmodel import Session, col, func, select

from app.core.security import hash_password
from app.crud import membership as membership_crud
from app.crud import menu as menu_crud
from app.crud import pickup_point as pickup_point_crud
from app.crud import venue as venue_crud
from app.models import User, Venue, VenueKind, VenueRole
from app.models.base import utcnow
from app.schema.pickup_point import PickupPointCreate
from app.schema.venue import OpeningHours, VenueCreate, Weekday
from app.seed import images, menu_options, people
from app.services import menu_import

logger = logging.getLogger(__name__)

DEMO_PASSWORD = people.DEMO_PASSWORD
DOMAIN = "demo.socia.app"

# Neighbourhood centres (lat, lng).
AREAS = {
    "Indiranagar": (12.9784, 77.6408),
    "Koramangala": (12.9352, 77.6245),
    "MG Road": (12.9756, 77.6050),
    "Church Street": (12.9752, 77.6020),
    "HSR Layout": (12.9116, 77.6474),
    "Whitefield": (12.9698, 77.7500),
    "Jayanagar": (12.9250, 77.5938),
    "Malleshwaram": (13.0035, 77.5700),
    "JP Nagar": (12.9063, 77.5857),
    "Hebbal": (13.0358, 77.5970),
    "Bellandur": (12.9260, 77.6762),
    "Lavelle Road": (12.9700, 77.5970),
    "Electronic City": (12.8452, 77.6602),
}


@dataclass(frozen=True)
class DemoVenue:
    name: str
    kind: VenueKind
    area: str
    group: str
    # Offset from the area's centre in metres (north, east), so venues do not overlap.
    offset: tuple[int, int] = (0, 0)
    cuisines: tuple[str, ...] = ()
    cost_for_two: int = 1_000  # rupees
    extra: dict[str, Any] = field(default_factory=dict)
    in_food_court: bool = False
    # Open around the clock, so ordering can be tried at any hour of the day.
    always_open: bool = False


VENUES = [
    # Nightclubs
    DemoVenue(
        "Skyline Club",
        VenueKind.NIGHTCLUB,
        "MG Road",
        "skyline",
        (120, 40),
        cost_for_two=3_500,
        extra={
            "min_age": 21,
            "cover_charge_minor": 150_000,
            "dress_code": "Smart casual; no shorts",
        },
    ),
    DemoVenue(
        "Bassline",
        VenueKind.NIGHTCLUB,
        "Church Street",
        "skyline",
        (-80, 60),
        cost_for_two=3_000,
        extra={"min_age": 21, "cover_charge_minor": 100_000, "dress_code": "Smart casual"},
    ),
    DemoVenue(
        "Neon Jungle",
        VenueKind.NIGHTCLUB,
        "Indiranagar",
        "skyline",
        (300, -150),
        cost_for_two=4_000,
        extra={"min_age": 21, "cover_charge_minor": 200_000, "dress_code": "Club wear"},
    ),
    DemoVenue(
        "The Vault",
        VenueKind.NIGHTCLUB,
        "Koramangala",
        "koramangala",
        (-250, 300),
        cost_for_two=2_800,
        extra={"min_age": 21, "cover_charge_minor": 80_000, "dress_code": "No flip-flops"},
    ),
    DemoVenue(
        "Orbit Lounge",
        VenueKind.NIGHTCLUB,
        "Whitefield",
        "skyline",
        (100, 100),
        cost_for_two=3_200,
        extra={"min_age": 21, "cover_charge_minor": 120_000, "dress_code": "Smart casual"},
    ),
    DemoVenue(
        "Studio 12",
        VenueKind.NIGHTCLUB,
        "Lavelle Road",
        "skyline",
        (50, -90),
        cost_for_two=5_000,
        extra={"min_age": 25, "cover_charge_minor": 300_000, "dress_code": "Formal"},
    ),
    # Restaurants
    DemoVenue(
        "The Brew Yard",
        VenueKind.RESTAURANT,
        "Indiranagar",
        "toit",
        (40, 20),
        ("brewpub", "continental"),
        2_000,
    ),
    DemoVenue(
        "Copper Kettle",
        VenueKind.RESTAURANT,
        "Indiranagar",
        "toit",
        (-200, 180),
        ("cafe", "continental"),
        1_200,
    ),
    DemoVenue(
        "Malgudi Mess",
        VenueKind.RESTAURANT,
        "Malleshwaram",
        "southern",
        (60, 30),
        ("south indian",),
        500,
    ),
    DemoVenue(
        "Udupi Upahara",
        VenueKind.RESTAURANT,
        "Jayanagar",
        "southern",
        (-40, 80),
        ("south indian",),
        400,
    ),
    DemoVenue(
        "Coastal Curry House",
        VenueKind.RESTAURANT,
        "JP Nagar",
        "southern",
        (150, -60),
        ("mangalorean", "seafood"),
        1_400,
    ),
    DemoVenue(
        "Punjab Da Dhaba",
        VenueKind.RESTAURANT,
        "Koramangala",
        "koramangala",
        (90, -40),
        ("north indian", "punjabi"),
        900,
    ),
    DemoVenue(
        "Dilli Chaat Co",
        VenueKind.RESTAURANT,
        "Koramangala",
        "koramangala",
        (-120, -220),
        ("north indian", "street food"),
        400,
    ),
    DemoVenue(
        "Sakura Ramen Bar",
        VenueKind.RESTAURANT,
        "HSR Layout",
        "koramangala",
        (200, 90),
        ("japanese", "asian"),
        1_800,
    ),
    DemoVenue(
        "Trattoria Roma",
        VenueKind.RESTAURANT,
        "Lavelle Road",
        "toit",
        (-60, 40),
        ("italian", "pizza"),
        2_400,
    ),
    DemoVenue(
        "Biryani Darbar",
        VenueKind.RESTAURANT,
        "Hebbal",
        "southern",
        (30, 70),
        ("biryani", "hyderabadi"),
        700,
        always_open=True,
    ),
    DemoVenue(
        "Green Leaf Kitchen",
        VenueKind.RESTAURANT,
        "Bellandur",
        "toit",
        (-90, -30),
        ("healthy", "vegan"),
        1_100,
    ),
    DemoVenue(
        "Chettinad Spice",
        VenueKind.RESTAURANT,
        "Whitefield",
        "southern",
        (-150, 250),
        ("chettinad", "south indian"),
        1_000,
    ),
    DemoVenue(
        "Momo Point",
        VenueKind.RESTAURANT,
        "Church Street",
        "toit",
        (30, -40),
        ("tibetan", "asian"),
        500,
    ),
    DemoVenue(
        "Cafe Filter",
        VenueKind.RESTAURANT,
        "Jayanagar",
        "southern",
        (220, -110),
        ("cafe", "south indian"),
        300,
    ),
    # Standalone QSRs
    DemoVenue(
        "Burger Republic",
        VenueKind.QSR,
        "Koramangala",
        "quick",
        (10, 150),
        ("burgers", "fast food"),
        600,
        {"drive_thru": False},
    ),
    DemoVenue(
        "Roll Express",
        VenueKind.QSR,
        "MG Road",
        "quick",
        (-140, -30),
        ("rolls", "north indian"),
        350,
        {"drive_thru": False},
    ),
    DemoVenue(
        "Highway Bites",
        VenueKind.QSR,
        "Hebbal",
        "quick",
        (-300, 120),
        ("burgers", "fast food"),
        500,
        {"drive_thru": True},
        always_open=True,
    ),
    DemoVenue(
        "Dosa Express",
        VenueKind.QSR,
        "Electronic City",
        "quick",
        (0, 0),
        ("south indian",),
        250,
        {"drive_thru": True},
    ),
    DemoVenue(
        "Pizza Slice",
        VenueKind.QSR,
        "Bellandur",
        "quick",
        (120, 160),
        ("pizza",),
        600,
        {"drive_thru": False},
    ),
    # A food court and the QSRs inside it
    DemoVenue(
        "Forum Food Hall",
        VenueKind.FOOD_COURT,
        "Koramangala",
        "forum",
        (350, 350),
        cost_for_two=700,
        extra={"capacity": 400},
        always_open=True,
    ),
    DemoVenue(
        "Wok Street",
        VenueKind.QSR,
        "Koramangala",
        "forum",
        (355, 345),
        ("chinese", "asian"),
        500,
        {"drive_thru": False},
        in_food_court=True,
        always_open=True,
    ),
    DemoVenue(
        "Tandoor Corner",
        VenueKind.QSR,
        "Koramangala",
        "forum",
        (345, 355),
        ("north indian",),
        500,
        {"drive_thru": False},
        in_food_court=True,
        always_open=True,
    ),
    DemoVenue(
        "Idli Factory",
        VenueKind.QSR,
        "Koramangala",
        "forum",
        (350, 360),
        ("south indian",),
        300,
        {"drive_thru": False},
        in_food_court=True,
        always_open=True,
    ),
    DemoVenue(
        "Shake Shack Lane",
        VenueKind.QSR,
        "Koramangala",
        "forum",
        (360, 350),
        ("desserts", "beverages"),
        400,
        {"drive_thru": False},
        in_food_court=True,
        always_open=True,
    ),
    DemoVenue(
        "Burrito Bay",
        VenueKind.QSR,
        "Koramangala",
        "forum",
        (340, 340),
        ("mexican",),
        600,
        {"drive_thru": False},
        in_food_court=True,
        always_open=True,
    ),
]


def slug(name: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")


# --- opening hours ----------------------------------------------------------------------


def _every_day(opens: time, closes: time) -> list[OpeningHours]:
    return [OpeningHours(weekday=day, opens=opens, closes=closes) for day in Weekday]


def hours_for(kind: VenueKind) -> list[OpeningHours]:
    if kind == VenueKind.NIGHTCLUB:
        late = {Weekday.FRIDAY, Weekday.SATURDAY}
        return [
            OpeningHours(
                weekday=day, opens=time(20, 0), closes=time(2, 0) if day in late else time(1, 0)
            )
            for day in (
                Weekday.WEDNESDAY,
                Weekday.THURSDAY,
                Weekday.FRIDAY,
                Weekday.SATURDAY,
                Weekday.SUNDAY,
            )
        ]
    if kind == VenueKind.RESTAURANT:
        return [
            *_every_day(time(12, 0), time(15, 30)),
            *_every_day(time(19, 0), time(23, 30)),
        ]
    if kind == VenueKind.QSR:
        return _every_day(time(10, 0), time(23, 0))
    return _every_day(time(10, 0), time(22, 30))


# --- menus ------------------------------------------------------------------------------


def _items(rows: list[tuple[Any, ...]], *, alcoholic: bool = False) -> list[dict[str, Any]]:
    """(name, rupees, diet[, abv, ibu]) rows as import items."""
    items = []
    for row in rows:
        name, rupees, diet = row[0], row[1], row[2]
        item: dict[str, Any] = {"name": name, "price_minor": rupees * 100, "diet": diet}
        if alcoholic:
            item["is_alcoholic"] = True
            item["abv"] = row[3] if len(row) > 3 else None
            if len(row) > 4:
                item["ibu"] = row[4]
        items.append(item)
    return items


BAR = {
    "name": "Drinks",
    "categories": [
        {
            "name": "Beer",
            "subcategories": [
                {
                    "name": "Craft",
                    "items": _items(
                        [
                            ("Tintin Wit", 420, "vegan", 5.0, 14),
                            ("Hoppy Hour IPA", 480, "vegan", 6.8, 62),
                            ("Basmati Blonde", 440, "vegan", 4.8, 18),
                            ("Stout of Mind", 520, "vegan", 7.2, 40),
                            ("Mango Gose", 460, "vegan", 4.2, 8),
                        ],
                        alcoholic=True,
                    ),
                },
                {
                    "name": "Lager",
                    "items": _items(
                        [
                            ("Kingfisher Premium", 320, "vegan", 4.8, 10),
                            ("Bira White", 360, "vegan", 4.7, 12),
                            ("Budweiser", 380, "vegan", 5.0, 9),
                        ],
                        alcoholic=True,
                    ),
                },
            ],
        },
        {
            "name": "Cocktails",
            "items": _items(
                [
                    ("Old Monk Sour", 550, "veg", 14.0),
                    ("Kokum Margarita", 650, "vegan", 15.0),
                    ("Masala Negroni", 720, "vegan", 24.0),
                    ("Filter Coffee Martini", 690, "veg", 18.0),
                    ("Gin & Tonic", 580, "vegan", 12.0),
                    ("Long Island Iced Tea", 850, "vegan", 22.0),
                ],
                alcoholic=True,
            ),
        },
        {
            "name": "Spirits",
            "items": _items(
                [
                    ("Amrut Fusion (30 ml)", 650, "vegan", 50.0),
                    ("Paul John Brilliance (30 ml)", 600, "vegan", 46.0),
                    ("Greater Than Gin (30 ml)", 420, "vegan", 42.8),
                    ("Old Monk Rum (30 ml)", 250, "vegan", 42.8),
                ],
                alcoholic=True,
            ),
        },
        {
            "name": "Mocktails",
            "items": _items(
                [
                    ("Virgin Mojito", 280, "vegan"),
                    ("Kala Khatta Cooler", 260, "vegan"),
                    ("Fresh Lime Soda", 180, "vegan"),
                    ("Aam Panna", 220, "vegan"),
                ]
            ),
        },
    ],
}

BAR_BITES = {
    "name": "Bar Bites",
    "categories": [
        {
            "name": "Small plates",
            "items": _items(
                [
                    ("Peri Peri Fries", 290, "vegan"),
                    ("Chilli Chicken", 420, "non_veg"),
                    ("Paneer Tikka", 380, "veg"),
                    ("Masala Peanuts", 180, "vegan"),
                    ("Chicken Wings", 450, "non_veg"),
                    ("Nachos Grande", 390, "veg"),
                    ("Egg Bhurji Pav", 260, "egg"),
                    ("Fish Fingers", 480, "non_veg"),
                ]
            ),
        },
    ],
}


def restaurant_menu(cuisine: str) -> dict[str, Any]:
    south = "south indian" in cuisine or "chettinad" in cuisine or "mangalorean" in cuisine
    if south:
        starters = [
            ("Medu Vada", 90, "veg"),
            ("Gobi 65", 180, "veg"),
            ("Chicken 65", 260, "non_veg"),
            ("Rava Fry Fish", 340, "non_veg"),
            ("Mushroom Pepper Fry", 210, "vegan"),
        ]
        mains = {
            "Dosa": [
                ("Masala Dosa", 120, "veg"),
                ("Ghee Roast Dosa", 150, "veg"),
                ("Set Dosa", 110, "veg"),
                ("Neer Dosa", 100, "vegan"),
            ],
            "Rice": [
                ("Bisi Bele Bath", 140, "veg"),
                ("Curd Rice", 110, "veg"),
                ("Chicken Biryani", 280, "non_veg"),
                ("Lemon Rice", 100, "vegan"),
            ],
            "Curries": [
                ("Chettinad Chicken", 320, "non_veg"),
                ("Egg Curry", 220, "egg"),
                ("Avial", 180, "vegan"),
                ("Kori Gassi", 340, "non_veg"),
            ],
        }
        sweets = [("Mysore Pak", 90, "veg"), ("Payasam", 110, "veg"), ("Kesari Bath", 80, "veg")]
        drinks = [
            ("Filter Coffee", 60, "veg"),
            ("Buttermilk", 50, "veg"),
            ("Badam Milk", 90, "veg"),
        ]
    elif (
        "italian" in cuisine
        or "pizza" in cuisine
        or "continental" in cuisine
        or "brewpub" in cuisine
    ):
        starters = [
            ("Bruschetta", 320, "vegan"),
            ("Garlic Bread", 240, "veg"),
            ("Burrata Salad", 520, "veg"),
            ("Calamari Fritti", 560, "non_veg"),
            ("Soup of the Day", 260, "veg"),
        ]
        mains = {
            "Pizza": [
                ("Margherita", 480, "veg"),
                ("Pepperoni", 620, "non_veg"),
                ("Funghi", 540, "veg"),
                ("Quattro Formaggi", 640, "veg"),
            ],
            "Pasta": [
                ("Aglio e Olio", 420, "vegan"),
                ("Penne Arrabbiata", 440, "vegan"),
                ("Spaghetti Carbonara", 560, "egg"),
                ("Lasagne", 580, "non_veg"),
            ],
            "Grills": [
                ("Grilled Chicken", 620, "non_veg"),
                ("Fish & Chips", 640, "non_veg"),
                ("Veg Steak", 480, "veg"),
            ],
        }
        sweets = [
            ("Tiramisu", 380, "egg"),
            ("Panna Cotta", 340, "veg"),
            ("Brownie Sundae", 360, "egg"),
        ]
        drinks = [
            ("Cold Brew", 220, "vegan"),
            ("Iced Tea", 180, "vegan"),
            ("Cappuccino", 200, "veg"),
        ]
    elif "japanese" in cuisine or "tibetan" in cuisine or "asian" in cuisine:
        starters = [
            ("Edamame", 280, "vegan"),
            ("Gyoza", 360, "non_veg"),
            ("Veg Momos", 180, "vegan"),
            ("Chicken Momos", 220, "non_veg"),
            ("Tempura Prawns", 520, "non_veg"),
        ]
        mains = {
            "Ramen": [
                ("Shoyu Ramen", 520, "non_veg"),
                ("Miso Veg Ramen", 460, "vegan"),
                ("Tonkotsu Ramen", 580, "non_veg"),
            ],
            "Rice bowls": [
                ("Chicken Katsu Don", 480, "non_veg"),
                ("Teriyaki Tofu Bowl", 420, "vegan"),
                ("Egg Fried Rice", 260, "egg"),
            ],
            "Noodles": [
                ("Thukpa", 240, "non_veg"),
                ("Hakka Noodles", 220, "vegan"),
                ("Chilli Garlic Noodles", 240, "vegan"),
            ],
        }
        sweets = [("Matcha Ice Cream", 260, "veg"), ("Mochi", 240, "vegan")]
        drinks = [
            ("Jasmine Tea", 120, "vegan"),
            ("Butter Tea", 140, "veg"),
            ("Yuzu Soda", 180, "vegan"),
        ]
    else:
        starters = [
            ("Paneer Tikka", 280, "veg"),
            ("Chicken Tikka", 340, "non_veg"),
            ("Hara Bhara Kebab", 240, "veg"),
            ("Amritsari Fish", 380, "non_veg"),
            ("Papdi Chaat", 140, "veg"),
            ("Pani Puri", 90, "vegan"),
        ]
        mains = {
            "Curries": [
                ("Butter Chicken", 380, "non_veg"),
                ("Dal Makhani", 260, "veg"),
                ("Paneer Butter Masala", 300, "veg"),
                ("Rogan Josh", 420, "non_veg"),
                ("Chana Masala", 220, "vegan"),
            ],
            "Biryani": [
                ("Hyderabadi Chicken Biryani", 320, "non_veg"),
                ("Mutton Biryani", 420, "non_veg"),
                ("Veg Dum Biryani", 240, "veg"),
                ("Egg Biryani", 260, "egg"),
            ],
            "Breads": [
                ("Butter Naan", 60, "veg"),
                ("Garlic Naan", 70, "veg"),
                ("Tandoori Roti", 40, "vegan"),
                ("Lachha Paratha", 70, "veg"),
            ],
        }
        sweets = [("Gulab Jamun", 90, "veg"), ("Rasmalai", 120, "veg"), ("Kulfi", 110, "veg")]
        drinks = [
            ("Sweet Lassi", 120, "veg"),
            ("Masala Chaas", 80, "veg"),
            ("Masala Chai", 60, "veg"),
        ]
    return {
        "name": "Food",
        "categories": [
            {"name": "Starters", "items": _items(starters)},
            {
                "name": "Mains",
                "subcategories": [
                    {"name": name, "items": _items(rows)} for name, rows in mains.items()
                ],
            },
            {"name": "Desserts", "items": _items(sweets)},
            {"name": "Beverages", "items": _items(drinks)},
        ],
    }


def qsr_menu(cuisine: str) -> dict[str, Any]:
    rows: dict[str, list[tuple[Any, ...]]]
    if "burger" in cuisine:
        rows = {
            "Burgers": [
                ("Classic Veg Burger", 129, "veg"),
                ("Crispy Chicken Burger", 179, "non_veg"),
                ("Double Cheese Burger", 219, "veg"),
                ("Egg Burger", 139, "egg"),
            ],
            "Sides": [
                ("Fries", 99, "vegan"),
                ("Onion Rings", 119, "veg"),
                ("Chicken Nuggets", 149, "non_veg"),
            ],
        }
    elif "pizza" in cuisine:
        rows = {
            "Slices": [
                ("Cheese Slice", 99, "veg"),
                ("Pepperoni Slice", 139, "non_veg"),
                ("Veggie Supreme Slice", 119, "veg"),
            ],
            "Sides": [("Garlic Knots", 89, "veg"), ("Potato Wedges", 99, "vegan")],
        }
    elif "chinese" in cuisine:
        rows = {
            "Mains": [
                ("Veg Manchurian Rice", 179, "vegan"),
                ("Chilli Chicken Noodles", 219, "non_veg"),
                ("Schezwan Fried Rice", 189, "vegan"),
                ("Egg Hakka Noodles", 169, "egg"),
            ],
            "Starters": [("Spring Rolls", 129, "vegan"), ("Dragon Chicken", 229, "non_veg")],
        }
    elif "mexican" in cuisine:
        rows = {
            "Burritos": [
                ("Bean Burrito", 199, "vegan"),
                ("Chicken Burrito", 249, "non_veg"),
                ("Paneer Burrito", 229, "veg"),
            ],
            "Bowls": [("Veg Burrito Bowl", 219, "veg"), ("Chicken Burrito Bowl", 269, "non_veg")],
            "Sides": [("Nachos & Salsa", 129, "vegan")],
        }
    elif "desserts" in cuisine:
        rows = {
            "Shakes": [
                ("Chocolate Shake", 169, "veg"),
                ("Strawberry Shake", 159, "veg"),
                ("Oreo Shake", 179, "veg"),
                ("Cold Coffee", 139, "veg"),
            ],
            "Desserts": [("Brownie", 119, "egg"), ("Sundae", 149, "veg")],
        }
    elif "south indian" in cuisine:
        rows = {
            "Tiffin": [
                ("Idli (2)", 50, "vegan"),
                ("Vada (1)", 40, "vegan"),
                ("Masala Dosa", 90, "veg"),
                ("Rava Idli", 70, "veg"),
                ("Pongal", 80, "veg"),
            ],
            "Beverages": [("Filter Coffee", 35, "veg"), ("Tea", 25, "veg")],
        }
    elif "rolls" in cuisine or "north indian" in cuisine:
        rows = {
            "Rolls": [
                ("Paneer Tikka Roll", 149, "veg"),
                ("Chicken Tikka Roll", 179, "non_veg"),
                ("Egg Roll", 119, "egg"),
                ("Aloo Tikki Roll", 109, "veg"),
            ],
            "Combos": [("Chole Kulche", 139, "veg"), ("Rajma Chawal", 149, "veg")],
        }
    else:
        rows = {"Menu": [("House Special", 199, "veg"), ("Chicken Special", 249, "non_veg")]}
    rows["Drinks"] = [("Soft Drink", 60, "vegan"), ("Packaged Water", 20, "vegan")]
    return {
        "name": "Menu",
        "categories": [{"name": name, "items": _items(items)} for name, items in rows.items()],
    }


def menus_for(spec: DemoVenue) -> list[dict[str, Any]]:
    """The venue's import documents, with tax classes and item options."""
    menus: list[dict[str, Any]] = []
    if spec.kind == VenueKind.NIGHTCLUB:
        menus = [BAR, BAR_BITES]
    elif spec.kind == VenueKind.RESTAURANT:
        menus = [restaurant_menu(" ".join(spec.cuisines))]
        if "brewpub" in spec.cuisines or "continental" in spec.cuisines:
            menus.append(BAR)
    elif spec.kind == VenueKind.QSR:
        menus = [qsr_menu(" ".join(spec.cuisines))]
    return [menu_options.with_options(menu) for menu in menus]


def order_settings(spec: DemoVenue) -> dict[str, Any]:
    """How a demo venue takes orders: restaurants add a 5% service charge; QSRs (prices
    include tax, as printed on a counter menu) charge for packaging on pickup."""
    if spec.kind == VenueKind.RESTAURANT:
        return {"service_charge_bps": 500}
    if spec.kind == VenueKind.QSR:
        return {"prices_include_tax": True, "packaging_charge_minor": 1_000}
    return {}


def pickup_points_for(spec: DemoVenue) -> list[str]:
    """Where pickup orders are collected: a QSR's counter, a nightclub's bars, a food
    court's collection point (for carts with items of several of its QSRs)."""
    if spec.kind == VenueKind.QSR:
        return ["Pickup counter"]
    if spec.kind == VenueKind.FOOD_COURT:
        return ["Collection point"]
    if spec.kind == VenueKind.NIGHTCLUB:
        return ["Main bar", "Terrace bar"]
    return []


def _pickup_points(session: Session, venue: Venue, names: list[str]) -> None:
    have = {p.name for p in pickup_point_crud.list_for_venue(session, venue=venue)}
    for name in names:
        if name not in have:
            pickup_point_crud.create(session, venue=venue, data=PickupPointCreate(name=name))


# --- seeding ----------------------------------------------------------------------------


@lru_cache(maxsize=1)
def _password_hash() -> str:
    return hash_password(DEMO_PASSWORD)


def _user(session: Session, email: str, full_name: str) -> User:
    user = session.exec(select(User).where(func.lower(User.email) == email)).first()
    if user is None:
        user = User(
            email=email,
            full_name=full_name,
            password_hash=_password_hash(),
            email_verified_at=utcnow(),
        )
        session.add(user)
        session.flush()
    return user


def _member(session: Session, venue: Venue, user: User, role: VenueRole) -> None:
    if membership_crud.get_role(session, venue_id=venue.id, user_id=user.id) is None:
        membership_crud.add(session, venue_id=venue.id, user_id=user.id, role=role)


def _location(spec: DemoVenue) -> tuple[float, float]:
    lat, lng = AREAS[spec.area]
    north, east = spec.offset
    return round(lat + north / 111_195, 6), round(lng + east / 108_500, 6)


def seed(session: Session) -> None:
    """Idempotent: adds what is missing."""
    food_court: Venue | None = None
    created = 0
    for spec in VENUES:
        owner = _user(
            session, f"owner.{spec.group}@{DOMAIN}", f"{spec.group.title()} Hospitality (owner)"
        )
        lat, lng = _location(spec)
        venue = session.exec(
            select(Venue).where(Venue.name == spec.name, col(Venue.city) == "Bengaluru")
        ).first()
        if venue is None:
            data = VenueCreate(
                kind=spec.kind,
                name=spec.name,
                description=f"{spec.name}, {spec.area}",
                address=f"{abs(spec.offset[0]) // 10 + 1}, {spec.area}, Bengaluru",
                latitude=lat,
                longitude=lng,
                phone="+9180" + f"{41000000 + len(spec.name) * 1000 + created:08d}",
                email=f"hello@{slug(spec.name)}.{DOMAIN}",
                instagram_handle=slug(spec.name).replace("-", "_")[:30],
                google_maps_url=f"https://maps.google.com/?q={lat},{lng}",
                avg_cost_for_two_minor=spec.cost_for_two * 100,
                opening_hours=(
                    _every_day(time(0, 0), time(0, 0)) if spec.always_open else hours_for(spec.kind)
                ),
                cuisines=list(spec.cuisines),
                food_court_id=food_court.id if spec.in_food_court and food_court else None,
                photos=[images.image_url(images.venue_image(spec.name))],
                **spec.extra,
                **order_settings(spec),
            )
            venue = venue_crud.create(session, data=data, creator=owner)
            venue_crud.verify(session, venue=venue, at=utcnow())
            created += 1
        if spec.kind == VenueKind.FOOD_COURT:
            food_court = venue
        _member(session, venue, owner, VenueRole.OWNER)
        _member(
            session,
            venue,
            _user(session, f"manager.{slug(spec.name)}@{DOMAIN}", f"{spec.name} Manager"),
            VenueRole.MANAGER,
        )
        _member(
            session,
            venue,
            _user(session, f"staff.{slug(spec.name)}@{DOMAIN}", f"{spec.name} Staff"),
            VenueRole.STAFF,
        )
        _pickup_points(session, venue, pickup_points_for(spec))
        if not menu_crud.list_menus(session, venue=venue):
            for document in menus_for(spec):
                menu = menu_import.validate(document)
                menu_import.apply(session, venue=venue, menu=menu, replace=False)
    session.flush()
    logger.info("demo venues: %d added, %d in the catalogue", created, len(VENUES))
