"""Tables of the auth domain."""

from __future__ import annotations
