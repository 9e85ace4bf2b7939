"""Text helpers shared by the queries."""

from __future__ import annotations


def contains_pattern(text: str) -> str:
    """A LIKE/ILIKE pattern matching `text` anywhere, its own `%`, `_` and `\\` taken
    literally (use it with `escape="\\\\"`)."""
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"
