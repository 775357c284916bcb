"""readable_groups: the API's group lists trimmed by a filter instead of a check per group. The matrix
holds it to the one authorization function: for every kind of actor, tenant setting and group, the
filter keeps exactly the groups ``can`` allows, and the API list asks no more queries for more groups."""

from __future__ import annotations

import itertools

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from groups.models import Group, GroupKind, Visibility
from groups.selectors import READ_ACTIONS_AS_FILTERS, readable_groups
from portal.authz import AppActor, can, forget
from portal.models import GuestUserRole, RoleAssignment, TenantGroupSettings, User, UserType
from tests.factories import (
    CustomRoleFactory,
    GroupFactory,
    ServicePrincipalFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db

SETTINGS = list(
    itertools.product(
        [GuestUserRole.SAME_AS_MEMBERS, GuestUserRole.LIMITED, GuestUserRole.RESTRICTED],
        [True, False],  # allow_guests_to_access_groups
        [True, False],  # allow_guests_to_be_group_owner
    )
)


def _world(tenant, other_tenant) -> dict:
    people = {
        "admin": UserFactory(tenant=tenant, role="globalAdministrator"),
        "groups admin": UserFactory(tenant=tenant, role="groupsAdministrator"),
        "member": UserFactory(tenant=tenant),
        "guest": UserFactory(tenant=tenant, user_type=UserType.GUEST),
        "guest owner": UserFactory(tenant=tenant, user_type=UserType.GUEST),
        "scoped": UserFactory(tenant=tenant),
        "disabled": UserFactory(tenant=tenant, account_enabled=False),
    }
    guest, owner, member = people["guest"], people["guest owner"], people["member"]
    [
        GroupFactory(tenant=tenant, display_name="public"),
        GroupFactory(tenant=tenant, display_name="private", visibility=Visibility.PRIVATE),
        GroupFactory(tenant=tenant, display_name="hidden", visibility=Visibility.HIDDEN_MEMBERSHIP),
        GroupFactory(
            tenant=tenant,
            display_name="hidden, guest and member in",
            visibility=Visibility.HIDDEN_MEMBERSHIP,
            members=[guest, member],
        ),
        GroupFactory(tenant=tenant, display_name="guest in", members=[guest]),
        GroupFactory(
            tenant=tenant,
            display_name="hidden, guest owns",
            visibility=Visibility.HIDDEN_MEMBERSHIP,
            owners=[owner, member],
        ),
        GroupFactory(
            tenant=tenant, display_name="deleted", deleted_date_time=timezone.now(), members=[guest]
        ),
        GroupFactory(tenant=tenant, display_name="role-assignable", is_assignable_to_role=True),
        GroupFactory(tenant=tenant, display_name="m365", kind=GroupKind.MICROSOFT_365),
        GroupFactory(tenant=other_tenant, display_name="elsewhere"),
    ]
    scope = GroupFactory(tenant=tenant, display_name="scope", visibility=Visibility.HIDDEN_MEMBERSHIP)
    role = CustomRoleFactory(tenant=tenant, permissions=["microsoft.directory/groups/members/read"])
    RoleAssignment.objects.create(
        tenant=tenant, custom_role=role, principal_user=people["scoped"], scope_group=scope
    )
    apps = {
        "app reader": AppActor(
            service_principal=ServicePrincipalFactory(tenant=tenant), role="directoryReaders"
        ),
        "app nonsense": AppActor(service_principal=ServicePrincipalFactory(tenant=tenant), role="nonsense"),
    }
    return {"people": people, "apps": apps}


@pytest.mark.parametrize("guest_role, guests_access, guests_own", SETTINGS)
def test_the_filter_keeps_exactly_what_the_per_object_check_allows(
    tenant, other_tenant, guest_role, guests_access, guests_own
):
    world = _world(tenant, other_tenant)
    TenantGroupSettings.objects.filter(tenant=tenant).update(
        guest_user_role_id=guest_role,
        allow_guests_to_access_groups=guests_access,
        allow_guests_to_be_group_owner=guests_own,
    )
    actors = {name: User.objects.get(pk=person.pk) for name, person in world["people"].items()}
    actors |= world["apps"]
    every_group = Group.objects.all()
    for (name, actor), action in itertools.product(actors.items(), READ_ACTIONS_AS_FILTERS):
        forget(actor)
        allowed = {g.display_name for g in every_group.select_related("tenant") if can(actor, action, g)}
        filtered = {g.display_name for g in readable_groups(actor, every_group, action)}
        assert filtered == allowed, (name, action)


def test_the_group_list_asks_as_many_queries_for_many_groups(
    tenant, member, api_as, django_assert_num_queries
):
    api = api_as(member)
    GroupFactory(tenant=tenant)
    api.get("/v1.0/groups")
    with CaptureQueriesContext(connection) as few:
        api.get("/v1.0/groups")
    for _ in range(30):
        GroupFactory(tenant=tenant, visibility=Visibility.HIDDEN_MEMBERSHIP)
    with django_assert_num_queries(len(few.captured_queries)):
        response = api.get("/v1.0/groups")
    assert len(response.json()["value"]) == 31
