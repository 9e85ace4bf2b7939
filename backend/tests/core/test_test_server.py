"""The suite's own PostgreSQL: a throwaway embedded server runs without durability
(it is deleted afterwards), and a server the suite does not own is left as it is."""

from __future__ import annotations

from sqlalchemy import Engine, text

from app.core.config import settings


def test_only_a_throwaway_server_runs_without_durability(engine: Engine) -> None:
    with engine.connect() as conn:
        found = {
            name: conn.execute(text(f"SHOW {name}")).scalar()
            for name in ("fsync", "synchronous_commit", "full_page_writes")
        }
    if settings.DATABASE_URL:  # the machine's server: never changed by the tests
        assert found == {"fsync": "on", "synchronous_commit": "on", "full_page_writes": "on"}
    else:
        assert found == {"fsync": "off", "synchronous_commit": "off", "full_page_writes": "off"}
