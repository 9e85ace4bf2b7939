"""Stored first answers of money-moving requests (`Idempotency-Key`); see
`app.api.idempotency` for the rules."""

from __future__ import annotations

import hashlib
from datetime import datetime

import sqlalchemy as sa
from sqlmodel import Session, col, select

from app.models.payment import IdempotencyKey


def lock_id(*, scope: str, operation: str, key: str) -> int:
    """The advisory lock number of one key: 64 bits of a hash of all three parts."""
    digest = hashlib.blake2b(
        "\x00".join((scope, operation, key)).encode(), digest_size=8, person=b"idem-key"
    ).digest()
    return int.from_bytes(digest, "big", signed=True)


def try_lock(session: Session, *, scope: str, operation: str, key: str) -> bool:
    """Take the key's advisory lock for the rest of the session's transaction, without
    waiting: False when another transaction holds it (its request is still running)."""
    taken = session.execute(
        sa.select(
            sa.func.pg_try_advisory_xact_lock(lock_id(scope=scope, operation=operation, key=key))
        )
    ).scalar_one()
    return bool(taken)


def get(session: Session, *, scope: str, operation: str, key: str) -> IdempotencyKey | None:
    """The stored answer for this key, however old (hold the key's lock first)."""
    return session.exec(
        select(IdempotencyKey).where(
            col(IdempotencyKey.scope) == scope,
            col(IdempotencyKey.operation) == operation,
            col(IdempotencyKey.key) == key,
        )
    ).first()


def delete(session: Session, *, row: IdempotencyKey) -> None:
    session.delete(row)
    session.flush()


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
) -> IdempotencyKey:
    row = IdempotencyKey(
        scope=scope,
        operation=operation,
        key=key,
        request_hash=request_hash,
        response_status=status,
        response_body=body,
        response_headers=headers,
    )
    session.add(row)
    session.flush()
    return row


def delete_expired(session: Session, *, before: datetime) -> int:
    """Delete the answers stored before `before`; returns how many went."""
    result = session.execute(
        sa.delete(IdempotencyKey).where(col(IdempotencyKey.created_at) < before)
    )
    return int(result.rowcount)  # type: ignore[attr-defined]
