"""`socia serve` shares DB_CONNECTION_BUDGET between its workers (core/db.py plan_server)."""

from __future__ import annotations

from typing import Any

import pytest

from app.core.config import Settings
from app.core.db import (
    LISTENER_CONNECTIONS,
    MIN_CONNECTIONS_PER_WORKER,
    ConnectionBudgetError,
    default_workers,
    plan_server,
)


def make(**values: Any) -> Settings:
    return Settings(_env_file=None, **values)


@pytest.mark.parametrize("budget", [2, 3, 4, 7, 20, 60, 61, 100, 500])
@pytest.mark.parametrize("cpu_count", [None, 1, 2, 4, 16, 64])
def test_derived_plan_stays_within_the_budget(budget: int, cpu_count: int | None) -> None:
    plan = plan_server(make(DB_CONNECTION_BUDGET=budget), cpu_count=cpu_count)
    assert 1 <= plan.workers <= default_workers(cpu_count)
    assert plan.connections <= budget
    assert plan.pool_size >= 1
    assert plan.max_overflow >= 0
    # core/db.py: a request holding a database slot always finds a thread.
    assert plan.threadpool_size > plan.connections_per_worker
    if budget >= MIN_CONNECTIONS_PER_WORKER + LISTENER_CONNECTIONS:
        assert plan.connections_per_worker >= MIN_CONNECTIONS_PER_WORKER


def test_the_default_budget_on_one_cpu_keeps_the_former_defaults() -> None:
    # One connection of each worker's share is its live-stream listener.
    plan = plan_server(make(), cpu_count=1)
    assert (plan.workers, plan.pool_size, plan.max_overflow) == (2, 20, 9)
    assert plan.connections == 60
    assert plan.threadpool_size == 48


def test_more_cpus_mean_more_workers_with_smaller_pools() -> None:
    plan = plan_server(make(DB_CONNECTION_BUDGET=60), cpu_count=4)
    assert plan.workers == 8
    assert (plan.pool_size, plan.max_overflow) == (4, 2)


def test_few_connections_mean_few_workers() -> None:
    plan = plan_server(make(DB_CONNECTION_BUDGET=10), cpu_count=8)
    assert plan.workers == 2
    assert plan.connections_per_worker == 4


def test_workers_given_share_the_budget() -> None:
    plan = plan_server(make(DB_CONNECTION_BUDGET=40), workers=3, cpu_count=8)
    assert plan.workers == 3
    assert plan.connections_per_worker == 12
    assert plan.connections == 39


def test_explicit_pool_settings_are_kept_when_they_fit() -> None:
    cfg = make(DB_CONNECTION_BUDGET=40, DB_POOL_SIZE=6, DB_MAX_OVERFLOW=2)
    plan = plan_server(cfg, workers=4)
    assert (plan.pool_size, plan.max_overflow, plan.connections) == (6, 2, 36)


def test_explicit_pool_settings_over_the_budget_are_refused() -> None:
    cfg = make(DB_CONNECTION_BUDGET=60, DB_POOL_SIZE=20, DB_MAX_OVERFLOW=10)
    with pytest.raises(ConnectionBudgetError, match="93 connections, more than"):
        plan_server(cfg, workers=3)


def test_more_workers_than_connections_are_refused() -> None:
    with pytest.raises(ConnectionBudgetError, match="cannot give each of 5 workers"):
        plan_server(make(DB_CONNECTION_BUDGET=4), workers=5)


def test_threads_follow_a_large_share() -> None:
    plan = plan_server(make(DB_CONNECTION_BUDGET=200), workers=2)
    assert plan.connections_per_worker == 99
    assert plan.threadpool_size == 115
    assert plan.environment() == {
        "DB_POOL_SIZE": "66",
        "DB_MAX_OVERFLOW": "33",
        "THREADPOOL_SIZE": "115",
    }


def test_an_explicit_threadpool_too_small_for_the_share_is_refused() -> None:
    cfg = make(DB_CONNECTION_BUDGET=200, THREADPOOL_SIZE=48)
    with pytest.raises(ConnectionBudgetError, match="THREADPOOL_SIZE=48"):
        plan_server(cfg, workers=2)


def test_a_budget_of_one_leaves_no_room_beside_the_live_listener() -> None:
    with pytest.raises(ConnectionBudgetError, match="cannot give each of 1 workers"):
        plan_server(make(DB_CONNECTION_BUDGET=1))
