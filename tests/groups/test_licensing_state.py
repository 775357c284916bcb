"""Random sequences of everything that moves licences (joins and leaves through the writer, nesting, group
licences with disabled plans, direct assignments, seats up and down, guests excluded, groups deleted and
restored) leave the incremental state equal to the one recomputed from scratch (the licence checker).
Runs on whichever database the suite uses: SQLite by default, PostgreSQL with DATABASE_URL."""

from __future__ import annotations

import os
import uuid
from contextlib import suppress

from django.core.exceptions import PermissionDenied
from django.db.models import F
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from groups.licensing.checker import check_licenses
from groups.licensing.models import AssignmentState, LicenseSeat, SubscribedSku
from groups.licensing.services import (
    PlanSpec,
    group_licenses_assign,
    group_licenses_exclude_guests,
    subscribed_sku_add,
    subscribed_sku_set_units,
    user_licenses_assign,
)
from groups.models import Group, LicenseAssignment
from groups.services import group_restore, group_soft_delete, membership_add, membership_remove
from portal.errors import ServiceError
from tests.factories import GroupFactory, TenantFactory, UserFactory

PLANS = [uuid.UUID(int=n + 1) for n in range(3)]
USERS, GROUPS, SKUS = 5, 3, 2

op = st.one_of(
    st.tuples(st.just("join"), st.integers(0, USERS - 1), st.integers(0, GROUPS - 1)),
    st.tuples(st.just("leave"), st.integers(0, USERS - 1), st.integers(0, GROUPS - 1)),
    st.tuples(st.just("nest"), st.integers(0, GROUPS - 1), st.integers(0, GROUPS - 1)),
    st.tuples(
        st.just("license"),
        st.integers(0, GROUPS - 1),
        st.integers(0, SKUS - 1),
        st.sets(st.sampled_from(PLANS)),
    ),
    st.tuples(st.just("unlicense"), st.integers(0, GROUPS - 1), st.integers(0, SKUS - 1)),
    st.tuples(st.just("direct"), st.integers(0, USERS - 1), st.integers(0, SKUS - 1), st.booleans()),
    st.tuples(st.just("units"), st.integers(0, SKUS - 1), st.integers(0, 4)),
    st.tuples(st.just("guests"), st.integers(0, GROUPS - 1), st.booleans()),
    st.tuples(st.just("delete"), st.integers(0, GROUPS - 1), st.booleans()),
)


class World:
    def __init__(self) -> None:
        self.tenant = TenantFactory()
        self.admin = UserFactory(tenant=self.tenant, role="globalAdministrator")
        self.users = [
            UserFactory(tenant=self.tenant, user_type="Guest" if n == USERS - 1 else "Member")
            for n in range(USERS)
        ]
        self.groups = [GroupFactory(tenant=self.tenant) for _ in range(GROUPS)]
        self.skus = [
            subscribed_sku_add(
                actor=self.admin,
                sku_part_number=f"SKU{n}",
                prepaid_units=2,
                service_plans=[PlanSpec(p, f"PLAN{p.int}", "svc") for p in PLANS],
            )
            for n in range(SKUS)
        ]

    def group(self, n: int) -> Group:
        return Group.objects.get(pk=self.groups[n].pk)

    def sku(self, n: int) -> SubscribedSku:
        return SubscribedSku.objects.get(pk=self.skus[n].pk)

    def apply(self, step: tuple) -> None:
        kind, *args = step
        getattr(self, f"do_{kind}")(*args)

    def do_join(self, u: int, g: int) -> None:
        membership_add(actor=self.admin, group=self.group(g), member=self.users[u])

    def do_leave(self, u: int, g: int) -> None:
        membership_remove(actor=self.admin, group=self.group(g), member=self.users[u])

    def do_nest(self, parent: int, child: int) -> None:
        membership_add(actor=self.admin, group=self.group(parent), member=self.group(child))

    def do_license(self, g: int, s: int, disabled: set) -> None:
        group_licenses_assign(actor=self.admin, group=self.group(g), add=[(self.sku(s), disabled)])

    def do_unlicense(self, g: int, s: int) -> None:
        group_licenses_assign(actor=self.admin, group=self.group(g), remove=[self.sku(s)])

    def do_direct(self, u: int, s: int, add: bool) -> None:
        changes = {"add": [(self.sku(s), [])]} if add else {"remove": [self.sku(s)]}
        user_licenses_assign(actor=self.admin, user=self.users[u], **changes)

    def do_units(self, s: int, units: int) -> None:
        subscribed_sku_set_units(actor=self.admin, sku=self.sku(s), prepaid_units=units)

    def do_guests(self, g: int, exclude: bool) -> None:
        group_licenses_exclude_guests(actor=self.admin, group=self.group(g), exclude=exclude)

    def do_delete(self, g: int, delete: bool) -> None:
        (group_soft_delete if delete else group_restore)(actor=self.admin, group=self.group(g))


@settings(
    max_examples=int(os.environ.get("LICENSING_EXAMPLES", "15")),
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(steps=st.lists(op, min_size=1, max_size=20))
def test_random_sequences_leave_the_state_equal_to_the_recomputed_one(db, steps):
    world = World()
    for step in steps:
        # Refused (already a member, no seat for a direct assignment, a deleted group...): no change.
        with suppress(ServiceError, PermissionDenied):
            world.apply(step)
        assert list(check_licenses(world.tenant)) == [], step
    # And the facts that make the state Entra's:
    for sku in SubscribedSku.objects.filter(tenant=world.tenant):
        active = LicenseSeat.objects.filter(sku=sku, state=AssignmentState.ACTIVE).count()
        assert active <= sku.prepaid_units
    # Only direct members hold a licence from a group.
    from_groups = LicenseAssignment.objects.filter(user__tenant=world.tenant, group__isnull=False)
    assert not from_groups.exclude(user__memberships__group=F("group")).exists()
