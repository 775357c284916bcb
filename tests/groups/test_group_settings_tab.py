from __future__ import annotations

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from groups.models import Group, GroupKind
from portal.models import ExpirationScope, Source, TenantGroupSettings
from tests.factories import GroupFactory, UserFactory

pytestmark = pytest.mark.django_db


def _settings(tenant, **values):
    TenantGroupSettings.objects.filter(tenant=tenant).update(**values)


@pytest.fixture
def owner(tenant):
    return UserFactory(tenant=tenant)


@pytest.fixture
def group(tenant, owner, member):
    return GroupFactory(
        tenant=tenant, display_name="Readers", owners=[owner], members=[member], join_policy="closed"
    )


def _url(group, name="group_edit"):
    return reverse(name, args=[group.pk])


def test_it_lets_owners_and_admins_edit_and_refuses_members_outsiders_and_other_tenants(
    client, group, owner, member, groups_admin, other_tenant
):
    for user, status in [
        (owner, 200),
        (groups_admin, 200),
        (member, 403),
        (UserFactory(tenant=group.tenant), 403),
        (UserFactory(tenant=other_tenant, role="globalAdministrator"), 404),
    ]:
        client.force_login(user)
        assert client.get(_url(group)).status_code == status, user


def test_it_saves_name_description_join_policy_and_visibility(client, group, owner):
    client.force_login(owner)
    response = client.post(
        _url(group),
        {
            "display_name": "Avid readers",
            "description": "Books",
            "join_policy": "open",
            "visibility": "Private",
        },
    )
    assert response.status_code == 302
    group.refresh_from_db()
    assert (group.display_name, group.description, group.join_policy, group.visibility) == (
        "Avid readers",
        "Books",
        "open",
        "Private",
    )


def test_it_renames_under_the_naming_policy_showing_only_the_typed_part(client, tenant, group, owner):
    _settings(tenant, prefix_suffix_naming_requirement="GRP_[GroupName]", custom_blocked_words="secret")
    Group.objects.filter(pk=group.pk).update(display_name="GRP_Readers")
    client.force_login(owner)
    form = client.get(_url(group)).context["form"]
    assert form["display_name"].value() == "Readers"
    response = client.post(
        _url(group), {"display_name": "Secret", "join_policy": "closed", "visibility": "Public"}
    )
    assert "display_name" in response.context["form"].errors
    client.post(_url(group), {"display_name": "Writers", "join_policy": "closed", "visibility": "Public"})
    group.refresh_from_db()
    assert group.display_name == "GRP_Writers"


def test_it_offers_only_the_tenants_classifications(client, tenant, group, groups_admin):
    _settings(tenant, classification_list="General,Confidential")
    client.force_login(groups_admin)
    response = client.post(
        _url(group),
        {
            "display_name": "Readers",
            "classification": "Top secret",
            "join_policy": "closed",
            "visibility": "Public",
        },
    )
    assert "classification" in response.context["form"].errors
    client.post(
        _url(group),
        {
            "display_name": "Readers",
            "classification": "Confidential",
            "join_policy": "closed",
            "visibility": "Public",
        },
    )
    group.refresh_from_db()
    assert group.classification == "Confidential"


def test_it_saves_in_place_with_htmx_and_shows_errors_in_place(client, group, owner):
    client.force_login(owner)
    ok = client.post(
        _url(group),
        {"display_name": "New", "join_policy": "open", "visibility": "Public"},
        HTTP_HX_REQUEST="true",
    )
    assert ok.status_code == 200 and b"Saved" in ok.content and b"<html" not in ok.content
    bad = client.post(
        _url(group),
        {"display_name": "", "join_policy": "open", "visibility": "Public"},
        HTTP_HX_REQUEST="true",
    )
    assert bad.status_code == 200 and b"field-error" in bad.content


def test_it_shows_synced_groups_read_only(client, tenant, groups_admin):
    synced = GroupFactory(tenant=tenant, display_name="HR", source=Source.SYNCED)
    client.force_login(groups_admin)
    response = client.get(_url(synced))
    assert response.status_code == 200 and response.context["form"].read_only
    assert b"synced from your on-premises directory" in response.content and b">Save<" not in response.content
    client.post(_url(synced), {"display_name": "Hacked", "visibility": "Public"})
    synced.refresh_from_db()
    assert synced.display_name == "HR"


def test_it_hides_settings_from_owners_when_users_cant_create_that_kind(client, tenant, group, owner):
    _settings(tenant, users_can_create_security_groups=False)
    client.force_login(owner)
    assert client.get(_url(group)).status_code == 403
    assert client.get(_url(group, "group_members")).status_code == 200  # still manages membership


def test_it_soft_deletes_restores_and_purges(client, group, groups_admin, owner):
    client.force_login(owner)
    assert client.post(_url(group, "group_delete"))["Location"] == reverse("my_groups")
    group.refresh_from_db()
    assert group.is_deleted
    assert client.post(_url(group, "group_restore")).status_code == 403  # owners don't restore
    client.force_login(groups_admin)
    assert client.post(_url(group, "group_restore"))["Location"] == _url(group, "group_detail")
    group.refresh_from_db()
    assert not group.is_deleted and group.memberships.count() == 1 and group.ownerships.count() == 1
    assert client.post(_url(group, "group_purge")).status_code == 302
    assert Group.objects.filter(pk=group.pk).exists()  # not deleted yet: refused, with a message
    client.post(_url(group, "group_delete"))
    client.post(_url(group, "group_purge"))
    assert not Group.objects.filter(pk=group.pk).exists()


def test_it_refuses_get_on_state_changing_urls_and_other_tenants(client, group, groups_admin, other_tenant):
    client.force_login(groups_admin)
    assert client.get(_url(group, "group_delete")).status_code == 405
    client.force_login(UserFactory(tenant=other_tenant, role="globalAdministrator"))
    for name in ("group_delete", "group_restore", "group_purge", "group_renew"):
        assert client.post(_url(group, name)).status_code == 404
    group.refresh_from_db()
    assert not group.is_deleted


def test_it_lets_owners_renew_from_the_group_page(client, tenant, owner, member):
    _settings(tenant, group_lifetime_days=100, expiration_scope=ExpirationScope.ALL)
    soon = timezone.now() + timedelta(days=2)
    group = GroupFactory(
        tenant=tenant,
        kind=GroupKind.MICROSOFT_365,
        owners=[owner],
        members=[member],
        expiration_date_time=soon,
    )
    client.force_login(owner)
    page = client.get(_url(group, "group_detail")).content.decode()
    assert "Renew group" in page and "Summary" in page
    client.post(_url(group, "group_renew"))
    group.refresh_from_db()
    assert group.expiration_date_time > soon + timedelta(days=90)
    client.force_login(member)
    page = client.get(_url(group, "group_detail")).content.decode()
    assert "Renew group" not in page and "Summary" not in page
    assert client.post(_url(group, "group_renew")).status_code == 403


def test_it_lets_admins_pick_groups_for_a_selected_expiration_policy(client, tenant, groups_admin):
    _settings(tenant, group_lifetime_days=60, expiration_scope=ExpirationScope.SELECTED)
    group = GroupFactory(tenant=tenant, kind=GroupKind.MICROSOFT_365, display_name="Team")
    client.force_login(groups_admin)
    client.post(
        _url(group),
        {
            "display_name": "Team",
            "join_policy": "closed",
            "visibility": "Public",
            "expiration_selected": "on",
        },
    )
    group.refresh_from_db()
    assert group.expiration_selected and group.expiration_date_time is not None


def test_it_shows_the_admin_summary_with_counts_and_creator(
    client, tenant, groups_admin, django_assert_num_queries
):
    creator = UserFactory(tenant=tenant, display_name="Creator Person")
    group = GroupFactory(
        tenant=tenant, created_by=creator, members=UserFactory.create_batch(3, tenant=tenant)
    )
    client.force_login(groups_admin)
    content = client.get(_url(group, "group_detail")).content.decode()
    assert "Creator Person" in content and "3 users" in content and "No owner" in content


@pytest.mark.parametrize("members", [1, 30])
def test_it_keeps_the_settings_tab_and_overview_queries_constant(
    client, tenant, groups_admin, django_assert_num_queries, members
):
    group = GroupFactory(tenant=tenant, members=UserFactory.create_batch(members, tenant=tenant))
    client.force_login(groups_admin)
    with django_assert_num_queries(7):
        client.get(_url(group))
    # The overview tab's own queries (waiting requests count; the first members in three: non-user
    # count, users by the name index, the others; the member count is stored; the guest count) plus the
    # admin summary's two and its licences.
    with django_assert_num_queries(18):
        client.get(_url(group, "group_detail"))
