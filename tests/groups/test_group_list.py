from __future__ import annotations

import pytest
from django.urls import reverse
from django.utils import timezone

from groups.models import GroupKind
from portal.models import Source, TenantGroupSettings
from tests.factories import GroupFactory, UserFactory

pytestmark = pytest.mark.django_db

URL = reverse("group_list")


def _names(response) -> list[str]:
    return [g.display_name for g in response.context["page"].object_list]


def test_it_lists_every_group_of_the_tenant_for_administrators_with_counts(
    client, tenant, groups_admin, other_tenant
):
    owner = UserFactory(tenant=tenant)
    GroupFactory(
        tenant=tenant,
        display_name="Alpha",
        owners=[owner],
        members=UserFactory.create_batch(3, tenant=tenant),
    )
    GroupFactory(tenant=tenant, display_name="Beta")
    GroupFactory(tenant=other_tenant, display_name="Elsewhere")
    client.force_login(groups_admin)
    response = client.get(URL)
    assert response.status_code == 200 and _names(response) == ["Alpha", "Beta"]
    alpha = response.context["page"].object_list[0]
    assert (alpha.member_count, alpha.owner_count) == (3, 1)
    assert b"No owner" in response.content


def test_it_shows_owners_only_their_groups_and_refuses_plain_members(client, tenant):
    owner, member = UserFactory(tenant=tenant), UserFactory(tenant=tenant)
    GroupFactory(tenant=tenant, display_name="Mine", owners=[owner], members=[member])
    GroupFactory(tenant=tenant, display_name="Not mine")
    client.force_login(owner)
    assert _names(client.get(URL)) == ["Mine"]
    client.force_login(member)
    assert client.get(URL).status_code == 403


def test_it_refuses_users_of_another_tenant_and_sends_anonymous_visitors_to_sign_in(
    client, tenant, other_tenant
):
    GroupFactory(tenant=tenant)
    client.force_login(UserFactory(tenant=other_tenant, role="groupsAdministrator"))
    response = client.get(URL)
    assert response.status_code == 200 and _names(response) == []
    client.logout()
    response = client.get(URL)
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("kind=microsoft365", ["Book club"]),
        ("membership_type=dynamic", ["Everyone"]),
        ("source=synced", ["HR synced"]),
        ("join_policy=open", ["Book club"]),
        ("visibility=Private", ["Book club"]),
        ("classification=Confidential", ["Everyone"]),
        ("no_owner=on", ["Everyone", "HR synced"]),
        ("q=novels", ["Book club"]),
        ("q=hr-", ["HR synced"]),
        ("view=deleted", ["Gone"]),
        ("view=deleted&q=nothing", []),
    ],
)
def test_it_filters_by_every_property(client, tenant, groups_admin, query, expected):
    TenantGroupSettings.objects.filter(tenant=tenant).update(classification_list="General,Confidential")
    owner = UserFactory(tenant=tenant)
    GroupFactory(
        tenant=tenant,
        display_name="Book club",
        mail_nickname="books",
        kind=GroupKind.MICROSOFT_365,
        join_policy="open",
        visibility="Private",
        description="We read novels",
        owners=[owner],
    )
    GroupFactory(
        tenant=tenant,
        display_name="Everyone",
        membership_type="dynamic",
        classification="Confidential",
        membership_rule="user.accountEnabled -eq true",
    )
    GroupFactory(tenant=tenant, display_name="HR synced", mail_nickname="hr-staff", source=Source.SYNCED)
    GroupFactory(tenant=tenant, display_name="Gone", deleted_date_time=timezone.now(), owners=[owner])
    client.force_login(groups_admin)
    assert _names(client.get(f"{URL}?{query}")) == expected


def test_it_sorts_by_member_count_both_ways_and_keeps_filters_in_sort_links(client, tenant, groups_admin):
    GroupFactory(tenant=tenant, display_name="Two", members=UserFactory.create_batch(2, tenant=tenant))
    GroupFactory(tenant=tenant, display_name="Zero")
    GroupFactory(tenant=tenant, display_name="One", members=[UserFactory(tenant=tenant)])
    GroupFactory(tenant=tenant, display_name="Also zero")
    client.force_login(groups_admin)
    assert _names(client.get(f"{URL}?o=members")) == ["Also zero", "Zero", "One", "Two"]  # ties by name
    response = client.get(f"{URL}?o=-members&kind=security")
    assert _names(response) == ["Two", "One", "Also zero", "Zero"]
    assert response.context["columns"]["members"]["url"] == "?o=members&kind=security"
    assert response.context["columns"]["members"]["aria_sort"] == "descending"


def test_it_ignores_bad_filter_values_instead_of_failing(client, tenant, groups_admin):
    GroupFactory(tenant=tenant)
    client.force_login(groups_admin)
    response = client.get(f"{URL}?kind=nonsense&o=password&page=x&no_owner=maybe")
    assert response.status_code == 200


def test_it_paginates(client, tenant, groups_admin):
    GroupFactory.create_batch(30, tenant=tenant)
    client.force_login(groups_admin)
    first, second = client.get(URL), client.get(f"{URL}?page=2")
    assert len(_names(first)) == 25 and len(_names(second)) == 5
    assert b"page=2" in first.content


def test_it_answers_htmx_with_the_table_only_and_history_restores_with_the_page(client, tenant, groups_admin):
    GroupFactory(tenant=tenant, display_name="Alpha")
    client.force_login(groups_admin)
    partial = client.get(f"{URL}?q=alp", HTTP_HX_REQUEST="true")
    assert b'id="group-results"' in partial.content and b"<html" not in partial.content
    assert b"Alpha" in partial.content
    restore = client.get(f"{URL}?q=alp", HTTP_HX_REQUEST="true", HTTP_HX_HISTORY_RESTORE_REQUEST="true")
    assert b"<html" in restore.content
    assert "HX-Request" in partial["Vary"]


def test_it_offers_restore_and_permanent_delete_in_deleted_groups(client, tenant, groups_admin):
    owner = UserFactory(tenant=tenant)
    gone = GroupFactory(tenant=tenant, display_name="Gone", deleted_date_time=timezone.now(), owners=[owner])
    client.force_login(groups_admin)
    content = client.get(f"{URL}?view=deleted").content.decode()
    assert reverse("group_restore", args=[gone.pk]) in content and "Delete permanently" in content
    client.force_login(owner)  # owners see their deleted group, but only administrators restore it
    content = client.get(f"{URL}?view=deleted").content.decode()
    assert "Gone" in content and reverse("group_restore", args=[gone.pk]) not in content


def _populate(tenant, groups: int, members_each: int) -> None:
    users = UserFactory.create_batch(members_each, tenant=tenant)
    for i in range(groups):
        GroupFactory(
            tenant=tenant,
            members=users,
            owners=users[:2],
            deleted_date_time=timezone.now() if i % 2 else None,
        )


@pytest.mark.parametrize(("groups", "members_each"), [(2, 1), (40, 6)])
def test_it_keeps_a_constant_number_of_queries(
    client, tenant, groups_admin, django_assert_num_queries, groups, members_each
):
    _populate(tenant, groups, members_each)
    client.force_login(groups_admin)
    # session, user (with tenant and settings), the actor's grants (3), the approvals badge, count, page
    with django_assert_num_queries(8):
        response = client.get(f"{URL}?o=-members&no_owner=")
    assert response.status_code == 200
    with django_assert_num_queries(8):
        client.get(f"{URL}?view=deleted")
