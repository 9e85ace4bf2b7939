"""Tables of the menu domain."""

from __future__ import annotations
