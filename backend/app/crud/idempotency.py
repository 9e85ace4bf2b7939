"""Stored first answers of money-moving requests (`Idempotency-Key`); see
`app.api.idempotency` for the rules."""

from __future__ import annotations

import hashlib
from datetime import datetime
from functools import cache
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session, col, select

from app.crud.common import table_of
from app.models.base import utcnow
from app.models.payment import IdempotencyKey


def lock_id(*, scope: str, operation: str, key: str) -> int:
    """The advisory lock number of one key: 64 bits of a hash of all three parts."""
    digest = hashlib.blake2b(
        "\x00".join((scope, operation, key)).encode(), digest_size=8, person=b"idem-key"
    ).digest()
    return int.from_bytes(digest, "big", signed=True)


# Built once: these run on every money-moving request.
@cache
def _try_lock() -> Any:
    lock = sa.bindparam("lock_id", type_=sa.BigInteger)
    return sa.select(sa.func.pg_try_advisory_xact_lock(lock))


@cache
def _stored() -> Any:
    return select(IdempotencyKey).where(
        col(IdempotencyKey.scope) == sa.bindparam("scope"),
        col(IdempotencyKey.operation) == sa.bindparam("operation"),
        col(IdempotencyKey.key) == sa.bindparam("key"),
    )


def try_lock(session: Session, *, scope: str, operation: str, key: str) -> bool:
    """Take the key's advisory lock for the rest of the session's transaction, without
    waiting: False when another transaction holds it (its request is still running)."""
    lock = lock_id(scope=scope, operation=operation, key=key)
    return bool(session.execute(_try_lock(), {"lock_id": lock}).scalar_one())


def get(session: Session, *, scope: str, operation: str, key: str) -> IdempotencyKey | None:
    """The stored answer for this key, however old (hold the key's lock first)."""
    where = {"scope": scope, "operation": operation, "key": key}
    row: IdempotencyKey | None = session.execute(_stored(), where).scalars().first()
    return row


def delete(session: Session, *, row: IdempotencyKey) -> None:
    session.delete(row)
    session.flush()


@cache
def _insert() -> Any:
    return sa.insert(table_of(IdempotencyKey))


def store(
    session: Session,
    *,
    scope: str,
    operation: str,
    key: str,
    request_hash: str,
    status: int,
    body: bytes,
    headers: dict[str, str],
) -> None:
    """Store the answer: one INSERT (nothing reads the row back in this request)."""
    row = {
        "scope": scope,
        "operation": operation,
        "key": key,
        "request_hash": request_hash,
        "response_status": status,
        "response_body": body,
        "response_headers": headers,
        "created_at": utcnow(),
    }
    session.execute(_insert(), row)


def delete_expired(session: Session, *, before: datetime) -> int:
    """Delete the answers stored before `before`; returns how many went."""
    result = session.execute(
        sa.delete(IdempotencyKey).where(col(IdempotencyKey.created_at) < before)
    )
    return int(result.rowcount)  # type: ignore[attr-defined]
