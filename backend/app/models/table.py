"""Tables of the table domain."""

from __future__ import annotations
