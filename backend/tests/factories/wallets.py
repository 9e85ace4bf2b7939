"""Groups with wallets, topped up through the real rails (the test gateway)."""

from __future__ import annotations

from dataclasses import dataclass

from sqlmodel import Session

from app.models import User
from app.models.group import Group, GroupMember, GroupRole, GroupWallet
from app.services import payments, wallets
from tests.factories import make_consumer
from tests.factories.jobs import run_jobs


@dataclass
class Crew:
    group: Group
    admin: User
    members: list[User]  # the admin first

    @property
    def others(self) -> list[User]:
        return self.members[1:]


def make_crew(
    session: Session,
    *,
    members: int = 3,
    currency: str = "INR",
    cap_minor: int | None = None,
    approval_above_minor: int | None = None,
) -> Crew:
    """A group with its wallet (empty), an admin and `members - 1` more members."""
    people = [make_consumer(session) for _ in range(members)]
    group = Group(
        name="Friday crew",
        admin_id=people[0].id,
        currency=currency,
        cap_minor=cap_minor,
        approval_above_minor=approval_above_minor,
    )
    session.add(group)
    session.flush()
    session.add(GroupWallet(group_id=group.id, currency=currency))
    for i, person in enumerate(people):
        session.add(
            GroupMember(
                group_id=group.id,
                user_id=person.id,
                role=GroupRole.ADMIN if i == 0 else GroupRole.MEMBER,
            )
        )
    session.flush()
    return Crew(group=group, admin=people[0], members=people)


def top_up(
    session: Session,
    *,
    member: User,
    amount: int,
    crew: Crew | None = None,
    group: Group | None = None,
) -> None:
    """Top the wallet up and pay it on the test gateway (its webhook job runs)."""
    group = group or (crew.group if crew is not None else None)
    assert group is not None
    made = wallets.start_top_up(session, group=group, member=member, amount=amount)
    payments.complete_test_checkout(session, order_id=made.order.order_id, succeed=True)
    run_jobs(session)
    session.expire_all()
