"""The authorization matrix for split bills.

A session's bill (asking for it, reading it, removing its service charge, paying a
share) is for the members of that session only: the venue's team, other consumers
and platform admins get 404, anonymous callers 401; so does a consumer who sat at
the same table in an earlier session. The staff routes (issue and read a session's
bill under `/venues/{venue_id}`) are for the venue's staff and above (and platform
admins); a session of another venue addressed through this one is a 404 for all.
"""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from app.models.order import SessionCloseReason, TableSessionStatus
from tests.authz import Actor, Case, World, check, expect
from tests.authz import world as world  # the fixture
from tests.factories.bills import (
    AWKWARD_LINES,
    Tab,
    add_order,
    issue,
    join,
    make_tab,
    make_table_session,
)
from tests.factories.places import make_table

MEMBER = expect(
    owner=404, manager=404, staff=404, other_owner=404, consumer=200, anonymous=401, admin=404
)
MEMBER_CREATES = expect(
    owner=404, manager=404, staff=404, other_owner=404, consumer=201, anonymous=401, admin=404
)
NOBODY = expect(
    owner=404, manager=404, staff=404, other_owner=404, consumer=404, anonymous=401, admin=404
)
STAFF_READS = expect(
    owner=200, manager=200, staff=200, other_owner=404, consumer=404, anonymous=401
)
STAFF_CREATES = expect(
    owner=201, manager=201, staff=201, other_owner=404, consumer=404, anonymous=401
)
NOT_HERE = expect(owner=404, manager=404, staff=404, other_owner=404, consumer=404, anonymous=401)


def _tab(w: World, *, other_venue: bool = False, consumer_is_member: bool = True) -> Tab:
    venue = w.other_venue if other_venue else w.venue
    consumer = w.users[Actor.CONSUMER]
    assert consumer is not None
    tab = make_tab(w.session, members=1, venue=venue)
    if consumer_is_member:
        tab.members.insert(0, consumer)
        join(w.session, table_session=tab.table_session, user=consumer)
    add_order(w.session, tab=tab, lines=AWKWARD_LINES, by=tab.members[-1])
    w.ids.update(session_id=tab.table_session.id)
    return tab


def _session(w: World) -> None:
    _tab(w)


def _billed(w: World) -> None:
    tab = _tab(w)
    w.ids.update(bill_id=issue(w.session, tab=tab).id)


def _billed_for_others(w: World) -> None:
    tab = _tab(w, consumer_is_member=False)
    w.ids.update(bill_id=issue(w.session, tab=tab).id)


def _billed_at_another_venue(w: World) -> None:
    tab = _tab(w, other_venue=True, consumer_is_member=False)
    w.ids.update(bill_id=issue(w.session, tab=tab).id)


def _same_table_earlier_session(w: World) -> None:
    """The consumer sat at this table in a session now closed; the table's new session
    (with its bill) is someone else's."""
    consumer = w.users[Actor.CONSUMER]
    assert consumer is not None
    table = make_table(w.session, venue=w.venue)
    earlier = make_table_session(w.session, venue=w.venue, table=table, members=[consumer])
    earlier.status = TableSessionStatus.CLOSED
    earlier.close_reason = SessionCloseReason.STAFF
    earlier.closed_at = earlier.opened_at
    w.session.add(earlier)
    w.session.flush()
    tab = make_tab(w.session, members=1, venue=w.venue)
    tab.table_session.table_id = table.id
    w.session.add(tab.table_session)
    w.session.flush()
    add_order(w.session, tab=tab, lines=AWKWARD_LINES)
    w.ids.update(session_id=tab.table_session.id, bill_id=issue(w.session, tab=tab).id)


TS = "/api/v1/table-sessions/{session_id}/bill"
B = "/api/v1/bills/{bill_id}"
STAFF = "/api/v1/venues/{venue_id}/table-sessions/{session_id}/bill"
FULL = {"method": "full"}

CASES = [
    # Members of the session
    Case("POST", TS, MEMBER_CREATES, setup=_session),
    Case("GET", TS, MEMBER, setup=_billed),
    Case("GET", B, MEMBER, setup=_billed),
    Case("DELETE", B + "/service-charge", MEMBER, setup=_billed),
    Case("POST", B + "/shares", MEMBER_CREATES, body=FULL, setup=_billed),
    # A session the consumer is not a member of
    Case("POST", TS, NOBODY, setup=_billed_for_others),
    Case("GET", TS, NOBODY, setup=_billed_for_others),
    Case("GET", B, NOBODY, setup=_billed_for_others),
    Case("DELETE", B + "/service-charge", NOBODY, setup=_billed_for_others),
    Case("POST", B + "/shares", NOBODY, body=FULL, setup=_billed_for_others),
    # ... nor of the table's new session, having sat at the same table before
    Case("GET", TS, NOBODY, setup=_same_table_earlier_session),
    Case("GET", B, NOBODY, setup=_same_table_earlier_session),
    Case("POST", B + "/shares", NOBODY, body=FULL, setup=_same_table_earlier_session),
    # The venue's staff
    Case("POST", STAFF, STAFF_CREATES, setup=_session),
    Case("GET", STAFF, STAFF_READS, setup=_billed),
    # Another venue's session, addressed through this venue
    Case("POST", STAFF, NOT_HERE, setup=_billed_at_another_venue),
    Case("GET", STAFF, NOT_HERE, setup=_billed_at_another_venue),
]


@pytest.mark.parametrize("case", CASES, ids=str)
@pytest.mark.parametrize("actor", list(Actor), ids=str)
def test_matrix(world: World, client: TestClient, case: Case, actor: Actor) -> None:
    check(client, world, case, actor)
