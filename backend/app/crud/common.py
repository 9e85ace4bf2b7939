"""What every domain's queries share: get-or-404, one page of a list, a correlated EXISTS."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any, TypeVar

import sqlalchemy as sa
from sqlmodel import Session

from app.core.errors import NotFound
from app.schema.common import Page, PageParams

M = TypeVar("M")
T = TypeVar("T")

_PAGE_TOTAL = "page_total"

AnyRow = sa.Row[*tuple[Any, ...]]
AnySelect = sa.Select[*tuple[Any, ...]]


def get_or_404(
    session: Session,
    model: type[M],
    ident: uuid.UUID,
    *,
    what: str,
    **belongs_to: Any,
) -> M:
    """The row of `model` with this primary key, or `NotFound(what)`. With `belongs_to`
    (e.g. `venue_id=venue.id`), a row whose attributes differ is not found either: an
    object of another venue gets the same answer as one that does not exist."""
    row = session.get(model, ident)
    if row is None or any(getattr(row, name) != value for name, value in belongs_to.items()):
        raise NotFound(what)
    return row


def _first(row: AnyRow) -> Any:
    return row[0]


def paginate(
    session: Session,
    statement: AnySelect,
    *,
    page: PageParams,
    item: Callable[[AnyRow], T] = _first,
) -> Page[T]:
    """One page of `statement` (ordered by the caller, with a unique last sort key) and the
    number of all the rows it matches.

    One query: the total is a window count over the matching rows, computed before the
    page is cut. Only a page past the end (no rows) needs a second, plain count. Each
    row becomes an item through `item` (by default the row's first column: the
    entity of `select(Model)`); the window column is the row's last.
    """
    total_column = sa.func.count().over().label(_PAGE_TOTAL)
    rows = session.execute(
        statement.add_columns(total_column).limit(page.limit).offset(page.offset)
    ).all()
    if rows:
        total = int(rows[0]._mapping[_PAGE_TOTAL])
    elif page.offset:
        counted = statement.order_by(None).subquery()
        total = int(session.execute(sa.select(sa.func.count()).select_from(counted)).scalar_one())
    else:
        total = 0
    return Page(
        items=[item(row) for row in rows], total=total, limit=page.limit, offset=page.offset
    )


def row_exists(statement: AnySelect) -> sa.Exists:
    """EXISTS over `statement` (correlated to rows of the enclosing query), evaluated
    for each of those rows with the statement's own indexes.

    `OFFSET 0` keeps PostgreSQL from flattening it into a join or a hashed subplan
    over the whole table (an EXISTS correlated by one equality is a candidate): for the
    poster feed that plan summed every event's bookings to answer for the few
    posters around one caller."""
    return statement.offset(sa.literal_column("0")).exists()


def table_of(model: type[Any]) -> sa.Table:
    """The Core table of a table model: an INSERT of plain rows into it skips the ORM's
    bulk-insert machinery (for hot paths that track no objects)."""
    table = model.__table__
    if not isinstance(table, sa.Table):  # pragma: no cover - every table model has one
        raise TypeError(f"{model!r} is not a table model")
    return table
