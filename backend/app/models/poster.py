"""Tables of the poster domain."""

from __future__ import annotations
