"""Bulk add and remove from a CSV file: Entra's bulk template, object ids, a per-line report."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from groups.models import Membership, MembershipType
from groups.services import ServiceError, memberships_bulk_remove, parse_member_csv
from portal.models import AuditEvent
from tests.factories import DeviceFactory, GroupFactory, UserFactory

pytestmark = pytest.mark.django_db

HX = {"HTTP_HX_REQUEST": "true"}
ENTRA_HEADER = "Member object ID or user principal name [memberObjectIdOrUpn] Required"


@pytest.fixture
def owner(tenant):
    return UserFactory(tenant=tenant)


@pytest.fixture
def group(tenant, owner):
    return GroupFactory(tenant=tenant, display_name="Falcon", owners=[owner])


def _upload(client, group, url_name, text, **extra):
    upload = SimpleUploadedFile("members.csv", text.encode(), content_type="text/csv")
    return client.post(reverse(url_name, args=[group.id]), {"file": upload}, **extra)


def test_it_reads_entras_bulk_template_and_object_ids():
    one = "1f9f6f4c-3f3b-4b8e-9a3e-6c2f1d2e3a4b"
    text = f"version:v1.0\n{ENTRA_HEADER}\nExample: user@contoso.com\nadele@example.test\n\n{one.upper()},\n"
    assert parse_member_csv(text) == [(4, "adele@example.test"), (6, one.upper())]
    assert parse_member_csv("userPrincipalName\nadele@example.test\n") == [(2, "adele@example.test")]
    assert parse_member_csv(f"{one}\nadele@example.test") == [(1, one), (2, "adele@example.test")]


def test_it_adds_the_users_of_entras_template_by_upn_and_object_id(client, tenant, group, owner):
    by_upn = UserFactory(tenant=tenant, user_principal_name="adele@example.test")
    by_id = UserFactory(tenant=tenant)
    text = f"version:v1.0\n{ENTRA_HEADER}\nADELE@example.test\n{str(by_id.id).upper()}\n{by_id.user_principal_name}\nFalcon\n"
    client.force_login(owner)
    body = _upload(client, group, "group_members_import", text, **HX).content.decode()
    assert "Bulk add: 2 added, 2 not added" in body
    assert "already listed on line 4" in body and "not a userPrincipalName or object id" in body
    assert set(group.memberships.values_list("member_user", flat=True)) == {by_upn.id, by_id.id}


def test_it_removes_the_members_a_file_names_with_a_report_per_line(
    client, tenant, group, owner, monkeypatch
):
    calls = []
    monkeypatch.setattr(
        "groups.services.membership.consequences.licenses_after_membership_change",
        lambda tenant, **kw: calls.append(tenant),
    )
    person, kept, stranger = (UserFactory(tenant=tenant) for _ in range(3))
    inner, device = GroupFactory(tenant=tenant), DeviceFactory(tenant=tenant)
    for member in (
        {"member_user": person},
        {"member_user": kept},
        {"member_group": inner},
        {"member_device": device},
    ):
        Membership.objects.create(group=group, **member)
    lines = [
        "version:v1.0",
        ENTRA_HEADER,
        person.user_principal_name.upper(),
        str(inner.id),
        str(device.id),
        str(person.id),
        stranger.user_principal_name,
        "not an id",
    ]
    client.force_login(owner)
    body = _upload(client, group, "group_members_remove_import", "\n".join(lines), **HX).content.decode()
    assert "Bulk remove: 3 removed, 3 not removed" in body
    for reason in (
        "already listed on line 3",
        "not a direct member of this group",
        "not a userPrincipalName",
    ):
        assert reason in body
    assert [m.member for m in group.memberships.all()] == [kept]
    removed = AuditEvent.objects.filter(activity="Remove member from group", target_id=str(group.id))
    assert sorted(e.before["memberType"] for e in removed) == ["device", "group", "user"]
    assert {e.reason for e in removed} == {"Bulk remove from a CSV file"} and calls == [tenant]


def test_bulk_remove_is_for_those_who_may_update_members_and_not_for_dynamic_groups(
    client, tenant, group, member, admin_user
):
    Membership.objects.create(group=group, member_user=member)
    client.force_login(member)
    response = _upload(client, group, "group_members_remove_import", member.user_principal_name)
    assert response.status_code == 403 and group.memberships.count() == 1
    dynamic = GroupFactory(tenant=tenant, membership_type=MembershipType.DYNAMIC)
    client.force_login(admin_user)
    response = _upload(client, dynamic, "group_members_remove_import", member.user_principal_name)
    assert response.status_code == 400 and "set by its rule" in response.content.decode()
    with pytest.raises(ServiceError, match="set by its rule"):
        memberships_bulk_remove(actor=admin_user, group=dynamic, lines=[(1, member.user_principal_name)])


def test_the_members_tab_offers_bulk_remove(client, group, owner):
    client.force_login(owner)
    page = client.get(reverse("group_members", args=[group.id])).content.decode()
    assert "Bulk remove from a CSV file" in page
    assert f'action="{reverse("group_members_remove_import", args=[group.id])}"' in page
