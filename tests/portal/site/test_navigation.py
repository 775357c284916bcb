from __future__ import annotations

from django.db import connection
from django.test import RequestFactory
from django.test.utils import CaptureQueriesContext

from groups.models import JoinPolicy
from portal.site.context_processors import navigation
from tests.factories import GroupFactory, UserFactory


def _queries_for_navigation(user) -> tuple[int, list[str]]:
    # As portal.backends loads the signed-in user: with the tenant and its group settings.
    user = type(user).objects.select_related("tenant", "tenant__group_settings").get(pk=user.pk)
    request = RequestFactory().get("/my/groups/")
    request.user = user
    with CaptureQueriesContext(connection) as queries:
        context = navigation(request)
        labels = [item["label"] for item in context["nav_items"]]
        context["approvals_count"]()
        context["may_create_group"]()
    return len(queries), labels


def test_it_builds_the_navigation_in_a_constant_number_of_queries(tenant):
    owner = UserFactory(tenant=tenant)
    for _ in range(2):
        GroupFactory(tenant=tenant, join_policy=JoinPolicy.OWNER_APPROVAL, owners=[owner])
    few, labels = _queries_for_navigation(owner)
    assert "Approvals" in labels and "Groups I manage" in labels
    for _ in range(8):
        GroupFactory(tenant=tenant, owners=[owner])
    many, _ = _queries_for_navigation(owner)
    assert many == few


def test_it_leaves_approvals_and_managed_groups_out_for_people_who_own_nothing(tenant):
    _, labels = _queries_for_navigation(UserFactory(tenant=tenant))
    assert "Approvals" not in labels and "Groups I manage" not in labels and "My groups" in labels


def test_members_who_may_invite_see_invite_guests_and_administrators_find_it_on_users(tenant, client):
    tenant.group_settings.allow_invites_from = "adminsGuestInvitersAndAllMembers"
    tenant.group_settings.save()
    _, member_labels = _queries_for_navigation(UserFactory(tenant=tenant))
    assert "Invite guests" in member_labels and "Users" not in member_labels
    admin = UserFactory(tenant=tenant, role="globalAdministrator")
    _, admin_labels = _queries_for_navigation(admin)
    assert "Users" in admin_labels and "Invite guests" not in admin_labels
    client.force_login(admin)
    assert 'href="/users/invite/">Invite guests</a>' in client.get("/users/").content.decode()
    tenant.group_settings.allow_invites_from = "none"
    tenant.group_settings.save()
    assert "Invite guests" not in client.get("/users/").content.decode()
