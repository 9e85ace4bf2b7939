"""The whole menu of a venue as the API serves it: serialised once per version,
kept in a small per-process cache keyed by (venue, version of the snapshot it was
read from), so an entry is always exactly the menu of its key; and its ETag.
"""

from __future__ import annotations

import threading
import uuid
from collections import OrderedDict

import orjson
from sqlmodel import Session

from app.crud import menu as menu_crud
from app.models import Venue


def etag(*, venue_id: uuid.UUID, version: int) -> str:
    return f'"{venue_id.hex}-{version}"'


def etag_matches(if_none_match: str | None, current: str) -> bool:
    """RFC 9110 weak comparison against an If-None-Match header."""
    if not if_none_match:
        return False
    if if_none_match.strip() == "*":
        return True
    return any(
        tag.strip().removeprefix("W/") == current for tag in if_none_match.split(",") if tag.strip()
    )


class _MenuCache:
    """A small LRU of serialised menus keyed by (venue id, menu version)."""

    def __init__(self, size: int = 512) -> None:
        self.size = size
        self._data: OrderedDict[tuple[uuid.UUID, int], bytes] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: tuple[uuid.UUID, int]) -> bytes | None:
        with self._lock:
            body = self._data.get(key)
            if body is not None:
                self._data.move_to_end(key)
            return body

    def put(self, key: tuple[uuid.UUID, int], body: bytes) -> None:
        with self._lock:
            self._data[key] = body
            self._data.move_to_end(key)
            while len(self._data) > self.size:
                self._data.popitem(last=False)

    def clear(self) -> None:
        with self._lock:
            self._data.clear()


menu_cache = _MenuCache()


def whole_menu_json(session: Session, *, venue: Venue) -> tuple[int, bytes]:
    """The serialised whole menu and the version it is (the one to tag it with).

    The body cached for the version the guard read is served as is; otherwise the
    menu is read from one snapshot and cached under the version of that snapshot,
    which is newer than the guard's when a change committed in between."""
    cached = menu_cache.get((venue.id, venue.menu_version))
    if cached is not None:
        return venue.menu_version, cached
    tree = menu_crud.build_tree(session, venue=venue)
    body = orjson.dumps(tree)
    menu_cache.put((venue.id, tree["version"]), body)
    return tree["version"], body
