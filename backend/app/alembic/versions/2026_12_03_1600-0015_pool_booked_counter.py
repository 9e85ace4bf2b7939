"""capacity_pool_booked: the places of a pool's held and confirmed bookings, kept by triggers

Counting a pool's taken places summed every line of every booking of its event: each
booking read all the bookings before it (a night of 3,000 bookings sold 20% slower at
the end than at the start). `capacity_pool_booked.booked` (a row per pool, made with
the pool) holds that sum, expired holds included until
they are marked expired; the count then only subtracts the holds that have expired and
are not marked yet (a range of `ix_booking_held_hold_expires_at`, as short as the
expiry job's lag).

Triggers keep it, so no write path (services, the expiry job's bulk update, seeds,
tests) can forget it: a line inserted, changed or deleted, a booking's status moving in
or out of held/confirmed, a booking deleted, an offering's draw added, changed or
removed (recounted). A trigger updates pools in id order, the order `lock_pools`
takes; writers that take places lock the pools first. `booked >= 0` is checked. The
count is not a column of the pool: bookings queue on the pool's row lock, and that
queue stays in order only while the locked row itself is not updated.

Revision ID: 0015_pool_booked_counter
Revises: 0014_cover_credit_revoked
Create Date: 2026-12-03 16:00:00+00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0015_pool_booked_counter"
down_revision: str | None = "0014_cover_credit_revoked"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

FUNCTIONS = """
CREATE FUNCTION capacity_pool_shift(p_offering_id uuid, p_quantity integer)
RETURNS void LANGUAGE plpgsql AS $$
DECLARE draw record;
BEGIN
    FOR draw IN
        SELECT pool_id, places_per_pass FROM offering_pool
        WHERE offering_id = p_offering_id ORDER BY pool_id
    LOOP
        UPDATE capacity_pool_booked SET booked = booked + p_quantity * draw.places_per_pass
        WHERE pool_id = draw.pool_id;
    END LOOP;
END
$$;

CREATE FUNCTION capacity_pool_recount(p_pool_id uuid) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
    UPDATE capacity_pool_booked SET booked = coalesce((
        SELECT sum(i.quantity * d.places_per_pass)
        FROM offering_pool d
        JOIN booking_item i ON i.offering_id = d.offering_id
        JOIN booking b ON b.id = i.booking_id
        WHERE d.pool_id = p_pool_id AND b.status IN ('held', 'confirmed')
    ), 0)
    WHERE pool_id = p_pool_id;
END
$$;

CREATE FUNCTION booking_item_books() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP IN ('UPDATE', 'DELETE') AND EXISTS (
        SELECT 1 FROM booking WHERE id = OLD.booking_id AND status IN ('held', 'confirmed')
    ) THEN
        PERFORM capacity_pool_shift(OLD.offering_id, -OLD.quantity);
    END IF;
    IF TG_OP IN ('INSERT', 'UPDATE') AND EXISTS (
        SELECT 1 FROM booking WHERE id = NEW.booking_id AND status IN ('held', 'confirmed')
    ) THEN
        PERFORM capacity_pool_shift(NEW.offering_id, NEW.quantity);
    END IF;
    RETURN NULL;
END
$$;

CREATE FUNCTION booking_books() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    was boolean := OLD.status IN ('held', 'confirmed');
    now_taking boolean := false;
    places record;
BEGIN
    IF TG_OP = 'UPDATE' THEN
        now_taking := NEW.status IN ('held', 'confirmed');
    END IF;
    IF was IS DISTINCT FROM now_taking THEN
        FOR places IN
            SELECT d.pool_id, sum(i.quantity * d.places_per_pass) AS n
            FROM booking_item i JOIN offering_pool d ON d.offering_id = i.offering_id
            WHERE i.booking_id = OLD.id
            GROUP BY d.pool_id ORDER BY d.pool_id
        LOOP
            UPDATE capacity_pool_booked
            SET booked = booked + CASE WHEN now_taking THEN places.n ELSE -places.n END
            WHERE pool_id = places.pool_id;
        END LOOP;
    END IF;
    IF TG_OP = 'DELETE' THEN
        RETURN OLD;
    END IF;
    RETURN NEW;
END
$$;

CREATE FUNCTION capacity_pool_counted() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO capacity_pool_booked (pool_id) VALUES (NEW.id);
    RETURN NULL;
END
$$;

CREATE FUNCTION offering_pool_recounts() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP IN ('UPDATE', 'DELETE') THEN
        PERFORM capacity_pool_recount(OLD.pool_id);
    END IF;
    IF TG_OP IN ('INSERT', 'UPDATE') AND (TG_OP = 'INSERT' OR NEW.pool_id <> OLD.pool_id) THEN
        PERFORM capacity_pool_recount(NEW.pool_id);
    END IF;
    RETURN NULL;
END
$$;
"""

TRIGGERS = """
CREATE TRIGGER capacity_pool_counted
    AFTER INSERT ON capacity_pool FOR EACH ROW EXECUTE FUNCTION capacity_pool_counted();
CREATE TRIGGER booking_item_books
    AFTER INSERT OR DELETE OR UPDATE OF booking_id, offering_id, quantity ON booking_item
    FOR EACH ROW EXECUTE FUNCTION booking_item_books();
CREATE TRIGGER booking_books_on_status
    AFTER UPDATE OF status ON booking
    FOR EACH ROW WHEN (OLD.status IS DISTINCT FROM NEW.status)
    EXECUTE FUNCTION booking_books();
CREATE TRIGGER booking_books_on_delete
    BEFORE DELETE ON booking FOR EACH ROW EXECUTE FUNCTION booking_books();
CREATE TRIGGER offering_pool_recounts
    AFTER INSERT OR DELETE OR UPDATE OF pool_id, places_per_pass ON offering_pool
    FOR EACH ROW EXECUTE FUNCTION offering_pool_recounts();
"""


def upgrade() -> None:
    op.create_table(
        "capacity_pool_booked",
        sa.Column("pool_id", sa.Uuid(), nullable=False),
        sa.Column("booked", sa.Integer(), server_default="0", nullable=False),
        sa.CheckConstraint("booked >= 0", name=op.f("ck_capacity_pool_booked_booked_non_negative")),
        sa.ForeignKeyConstraint(
            ["pool_id"],
            ["capacity_pool.id"],
            name=op.f("fk_capacity_pool_booked_pool_id_capacity_pool"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("pool_id", name=op.f("pk_capacity_pool_booked")),
    )
    op.execute(FUNCTIONS)
    op.execute(TRIGGERS)
    op.execute("INSERT INTO capacity_pool_booked (pool_id) SELECT id FROM capacity_pool")
    op.execute("SELECT capacity_pool_recount(id) FROM capacity_pool")


def downgrade() -> None:
    for trigger, table in (
        ("capacity_pool_counted", "capacity_pool"),
        ("offering_pool_recounts", "offering_pool"),
        ("booking_books_on_delete", "booking"),
        ("booking_books_on_status", "booking"),
        ("booking_item_books", "booking_item"),
    ):
        op.execute(f"DROP TRIGGER {trigger} ON {table}")
    for function in (
        "capacity_pool_counted()",
        "offering_pool_recounts()",
        "booking_books()",
        "booking_item_books()",
        "capacity_pool_recount(uuid)",
        "capacity_pool_shift(uuid, integer)",
    ):
        op.execute(f"DROP FUNCTION {function}")
    op.drop_table("capacity_pool_booked")
