"""The /connections/ pages: who may see them (navigation, 403), what they show (the nesting picture as
SVG, who can see an item and why, can this user see it), the forms (through the services), the user page
section, and constant query counts."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from groups.connections.models import ExternalConnection, ExternalGroupMember
from portal.models import AuditEvent
from tests import factories

pytestmark = pytest.mark.django_db


@pytest.fixture
def signed_in(client, search_admin):
    client.force_login(search_admin)
    return client


def test_the_navigation_offers_connections_to_those_who_manage_them(
    client, search_admin, member, groups_admin
):
    for user, shown in ((search_admin, True), (member, False), (groups_admin, False)):
        client.force_login(user)
        page = client.get(reverse("my_groups") if not shown else reverse("connection_list"))
        assert (f'href="{reverse("connection_list")}"' in page.content.decode()) == shown
    client.force_login(member)
    assert client.get(reverse("connection_list")).status_code == 403


def test_a_connection_is_added_with_groups_and_members_through_the_forms(signed_in, tenant):
    response = signed_in.post(
        reverse("connection_list"), {"connection_id": "contosohr", "name": "Contoso HR"}
    )
    connection = ExternalConnection.objects.get(tenant=tenant, connection_id="contosohr")
    assert response.status_code == 302
    detail = reverse("connection_detail", args=[connection.pk])
    assert signed_in.post(detail, {"group_id": "support"}).status_code == 302
    assert signed_in.post(detail, {"group_id": "escalations"}).status_code == 302
    bad = signed_in.post(detail, {"group_id": "no spaces allowed"})
    assert bad.status_code == 400 and "URL-safe base64" in bad.content.decode()
    escalations = connection.external_groups.get(group_id="escalations")
    alice = factories.UserFactory(tenant=tenant)
    factories.GroupFactory(tenant=tenant, display_name="Tier 1")
    page = reverse("external_group_detail", args=[connection.pk, escalations.pk])
    for kind, value in (
        ("externalGroup", "support"),
        ("user", alice.user_principal_name),
        ("group", "Tier 1"),
    ):
        assert signed_in.post(page, {"kind": kind, "value": value}).status_code == 302
    assert ExternalGroupMember.objects.filter(group=escalations).count() == 3
    assert signed_in.post(page, {"kind": "user", "value": "nobody@nowhere.test"}).status_code == 400
    remove = reverse("external_group_member_remove", args=[connection.pk, escalations.pk])
    assert signed_in.post(remove, {"member": "support"}).status_code == 302
    assert ExternalGroupMember.objects.filter(group=escalations).count() == 2
    assert AuditEvent.objects.filter(tenant=tenant, category="ExternalConnections").count() == 7


def test_the_connection_page_draws_the_nesting_in_svg(signed_in, world, tenant):
    alice = factories.UserFactory(tenant=tenant)
    world.group("support", alice, factories.GroupFactory(tenant=tenant, display_name="Tier 1"))
    world.group("escalations", "support")
    html = signed_in.get(reverse("connection_detail", args=[world.connection.pk])).content.decode()
    assert "<svg" in html and '<title id="nesting-title">' in html
    assert html.count('class="nest-line"') == 3  # escalations → support → Tier 1 and → 1 person
    assert "Tier 1" in html and "1 person" in html


def test_the_item_page_says_who_can_see_it_and_why(signed_in, world, tenant):
    alice = factories.UserFactory(tenant=tenant, display_name="Alice")
    bob = factories.UserFactory(tenant=tenant, display_name="Bob")
    contractors = factories.GroupFactory(tenant=tenant, display_name="Contractors", members=[bob])
    world.group("support", alice, bob)
    item = world.item("i1", ("grant", "externalGroup", "support"), ("deny", "group", contractors))
    url = reverse("external_item_detail", args=[world.connection.pk, item.pk])
    html = signed_in.get(url).content.decode()
    assert "Who can see this?" in html and "Alice" in html and "Removed by the deny on" in html
    assert "Contractors" in html
    checked = signed_in.get(url, {"user": bob.user_principal_name}).content.decode()
    assert "can&#x27;t see it" in checked or "can't see it" in checked
    assert signed_in.get(url, {"user": "nobody@x.test"}).status_code == 200


def test_the_user_page_lists_the_items_they_reach(client, admin_user, world, tenant):
    alice = factories.UserFactory(tenant=tenant)
    world.group("support", alice)
    world.item("i1", ("grant", "externalGroup", "support"), title="Payment gateway")
    client.force_login(admin_user)
    html = client.get(reverse("user_detail", args=[alice.pk])).content.decode()
    assert "External items they can see" in html and "Payment gateway" in html
    groups_admin = factories.UserFactory(tenant=tenant, role="groupsAdministrator")
    client.force_login(groups_admin)
    assert (
        "External items they can see"
        not in client.get(reverse("user_detail", args=[alice.pk])).content.decode()
    )


def test_the_pages_take_a_constant_number_of_queries(signed_in, world, tenant):
    def grow(n):
        for i in range(n):
            user = factories.UserFactory(tenant=tenant)
            world.group(f"g{n}-{i}", user, factories.GroupFactory(tenant=tenant, members=[user]))
            world.item(f"i{n}-{i}", ("grant", "externalGroup", f"g{n}-{i}"), ("grant", "user", user))

    def count(url):
        with CaptureQueriesContext(connection) as queries:
            assert signed_in.get(url).status_code == 200
        return len(queries)

    grow(2)
    item = world.connection.items.first()
    urls = [
        reverse("connection_list"),
        reverse("connection_detail", args=[world.connection.pk]),
        reverse("external_item_detail", args=[world.connection.pk, item.pk]),
    ]
    few = [count(u) for u in urls]
    grow(6)
    assert [count(u) for u in urls] == few
