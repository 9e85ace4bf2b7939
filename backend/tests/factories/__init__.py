"""Typed factories (`make_venue(session, owner=...)`), one module per domain.

The core ones (users, venues, memberships, tokens) are re-exported here; import
the others from their module (`from tests.factories.menus import make_item`).
"""

from tests.factories.core import (
    DEFAULT_PASSWORD,
    add_member,
    auth_headers,
    make_consumer,
    make_user,
    make_venue,
)

__all__ = [
    "DEFAULT_PASSWORD",
    "add_member",
    "auth_headers",
    "make_consumer",
    "make_user",
    "make_venue",
]
