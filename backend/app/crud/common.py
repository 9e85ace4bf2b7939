"""What every domain's queries share: get-or-404, one page of a list, a correlated EXISTS."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Sequence
from functools import cache
from typing import Any, TypeVar

import sqlalchemy as sa
from sqlalchemy.orm import make_transient_to_detached
from sqlmodel import Session, SQLModel

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


Rows = Sequence[tuple[type[SQLModel], dict[str, Any]]]


def insert_together(session: Session, objects: Sequence[SQLModel], *, rows: Rows = ()) -> None:
    """Write new `objects` and plain `rows` (model, values) in ONE statement (an INSERT
    with the others as data-modifying CTEs; foreign keys between them are checked at
    its end), then put the objects in the session as persistent, as a flush would have:
    a later change to one of them is an UPDATE. For hot paths that write several new
    rows at once: one round trip and no unit of work. The objects must be complete (no
    value the database makes for them), new and not added to the session (what is
    pending there is flushed first, as before any statement)."""
    parts = [(type(obj), obj.model_dump()) for obj in objects] + list(rows)
    shape = tuple((model, tuple(values)) for model, values in parts)
    params = {
        f"w{n}_{name}": value
        for n, (_, values) in enumerate(parts)
        for name, value in values.items()
    }
    session.execute(_insert_together(shape), params)
    for obj in objects:
        make_transient_to_detached(obj)
        session.add(obj)


@cache
def _insert_together(shape: tuple[tuple[type[SQLModel], tuple[str, ...]], ...]) -> Any:
    inserts = []
    for n, (model, names) in enumerate(shape):
        table = table_of(model)
        values = {name: sa.bindparam(f"w{n}_{name}", type_=table.c[name].type) for name in names}
        inserts.append(sa.insert(table).values(values))
    *first, last = inserts
    return last.add_cte(*(insert.cte(f"w{n}") for n, insert in enumerate(first)))
