"""Demo images served by the app itself, so the demo data loads offline.

Each demo venue and each kind of demo event has a simple SVG poster with its name,
at `/demo/images/{name}.svg` (app/web/demo.py). The names come only from the demo
catalogue (`venues.VENUES`, `places` event plans): the route cannot be made to draw
arbitrary text. Seed data points at them through `PUBLIC_BASE_URL`.
"""

from __future__ import annotations

import zlib
from functools import lru_cache
from html import escape

from app.core.links import public_url

WIDTH, HEIGHT = 800, 600
MAX_LINE = 16
MAX_LINES = 3


# For venues and events that are not in the demo catalogue.
GENERIC = {"venue": ("Socia", "A place near you"), "event": ("Tonight on Socia", "Near you")}


def venue_image(venue_name: str) -> str:
    """The demo image of a venue: its own for a demo venue, a generic one otherwise."""
    from app.seed.venues import slug

    name = f"venue-{slug(venue_name)}"
    return name if name in _catalogue() else "venue"


def event_image(plan_slug: str) -> str:
    return f"event-{plan_slug}"


def event_image_for(title: str) -> str:
    """The demo image of an event: its plan's for a demo event, a generic one otherwise."""
    from app.seed.places import EVENT_PLANS

    plan = next((plan for plan in EVENT_PLANS if plan.title == title), None)
    return event_image(plan.image) if plan is not None else "event"


def image_url(name: str) -> str:
    """The absolute URL of a demo image (as stored in the demo data)."""
    return public_url(f"/demo/images/{name}.svg")


def _lines(title: str) -> list[str]:
    lines: list[str] = []
    for word in title.split():
        if lines and len(lines[-1]) + 1 + len(word) <= MAX_LINE:
            lines[-1] += f" {word}"
        else:
            lines.append(word)
    if len(lines) > MAX_LINES:
        lines = [*lines[: MAX_LINES - 1], " ".join(lines[MAX_LINES - 1 :])]
    return lines


def poster_svg(title: str, subtitle: str) -> str:
    """A simple poster: the title on a gradient of a colour derived from it."""
    hue = zlib.crc32(title.encode()) % 360
    lines = _lines(title)
    size = 72 if max(len(line) for line in lines) <= MAX_LINE else 52
    top = HEIGHT // 2 - (len(lines) - 1) * size // 2
    text = "".join(
        f'<text x="60" y="{top + i * size}" font-size="{size}" font-weight="700">'
        f"{escape(line)}</text>"
        for i, line in enumerate(lines)
    )
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="{HEIGHT}" '
        f'viewBox="0 0 {WIDTH} {HEIGHT}" role="img" aria-label="{escape(title)}">'
        f"<title>{escape(title)}</title>"
        '<defs><linearGradient id="g" x1="0" y1="0" x2="1" y2="1">'
        f'<stop offset="0" stop-color="hsl({hue},70%,42%)"/>'
        f'<stop offset="1" stop-color="hsl({(hue + 60) % 360},75%,22%)"/>'
        "</linearGradient></defs>"
        f'<rect width="{WIDTH}" height="{HEIGHT}" fill="url(#g)"/>'
        f'<g fill="#fff" font-family="Helvetica, Arial, sans-serif">{text}'
        f'<text x="60" y="{HEIGHT - 60}" font-size="28" opacity=".85">{escape(subtitle)}</text>'
        f'<text x="{WIDTH - 60}" y="80" font-size="24" text-anchor="end" opacity=".7">'
        "Socia demo</text></g></svg>"
    )


@lru_cache(maxsize=1)
def _catalogue() -> dict[str, tuple[str, str]]:
    from app.seed import places, venues

    kinds = {
        "nightclub": "Nightclub",
        "restaurant": "Restaurant",
        "qsr": "Quick bites",
        "food_court": "Food court",
    }
    found: dict[str, tuple[str, str]] = dict(GENERIC)
    for spec in venues.VENUES:
        subtitle = f"{kinds[spec.kind.value]} · {spec.area}"
        found[f"venue-{venues.slug(spec.name)}"] = (spec.name, subtitle)
    for plan in places.EVENT_PLANS:
        found[event_image(plan.image)] = (plan.title, places.WEEKDAYS[plan.weekday])
    return found


def names() -> list[str]:
    return sorted(_catalogue())


@lru_cache(maxsize=128)
def demo_image(name: str) -> str | None:
    """The SVG of a demo image, or None for a name that is not in the catalogue."""
    entry = _catalogue().get(name)
    return poster_svg(*entry) if entry is not None else None
