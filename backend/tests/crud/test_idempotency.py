"""The key's advisory lock, on two real connections."""

from __future__ import annotations

import pytest
from sqlalchemy import Engine
from sqlmodel import Session

from app.crud import idempotency as idempotency_crud

KEY = {"scope": "user-1", "operation": "POST /bookings", "key": "k"}


@pytest.mark.slow
def test_one_transaction_at_a_time_holds_a_key(engine: Engine) -> None:
    with Session(engine) as first, Session(engine) as second:
        assert idempotency_crud.try_lock(first, **KEY)
        assert idempotency_crud.try_lock(first, **KEY)  # its own lock again
        assert not idempotency_crud.try_lock(second, **KEY)
        # Another caller, operation or key is another lock.
        assert idempotency_crud.try_lock(second, **{**KEY, "scope": "user-2"})
        assert idempotency_crud.try_lock(second, **{**KEY, "operation": "POST /refunds"})
        assert idempotency_crud.try_lock(second, **{**KEY, "key": "k2"})
        second.rollback()
        first.commit()  # the lock goes with the transaction
        assert idempotency_crud.try_lock(second, **KEY)
        assert not idempotency_crud.try_lock(first, **KEY)
        second.rollback()
        first.rollback()


def test_lock_ids_are_64_bit_and_keep_the_parts_apart() -> None:
    ids = {
        idempotency_crud.lock_id(scope="a", operation="b", key="c"),
        idempotency_crud.lock_id(scope="a", operation="bc", key=""),
        idempotency_crud.lock_id(scope="ab", operation="", key="c"),
    }
    assert len(ids) == 3
    assert all(-(2**63) <= i < 2**63 for i in ids)
