"""Date windows of reports: `date_from` to `date_to`, both ends included."""

from __future__ import annotations

from datetime import date, timedelta

from app.core.errors import DateRangeTooLong, InvalidDateRange

DEFAULT_WINDOW_DAYS = 30
MAX_WINDOW_DAYS = 366


def date_window(
    date_from: date | None,
    date_to: date | None,
    *,
    today: date,
    default_days: int = DEFAULT_WINDOW_DAYS,
    max_days: int = MAX_WINDOW_DAYS,
) -> tuple[date, date]:
    """The window asked for, by default the last `default_days` days up to `today` (the
    venue's own today); a reversed window or one longer than `max_days` is a 422."""
    date_to = date_to or today
    if date_from is None:
        span = timedelta(days=default_days - 1)
        date_from = date_to - span if date_to - date.min > span else date.min
    if date_from > date_to:
        raise InvalidDateRange("date_from must be on or before date_to", loc=("query", "date_from"))
    if (date_to - date_from).days + 1 > max_days:
        raise DateRangeTooLong(
            f"Ask for at most {max_days} days at a time", loc=("query", "date_from")
        )
    return date_from, date_to
