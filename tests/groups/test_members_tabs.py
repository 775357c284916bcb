from __future__ import annotations

import csv
import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from groups.models import MAX_OWNERS, GroupKind, Membership, MembershipType, Ownership
from portal.models import AuditEvent, OwnerAssigners, Source
from tests.factories import DeviceFactory, GroupFactory, UserFactory

pytestmark = pytest.mark.django_db

HX = {"HTTP_HX_REQUEST": "true"}


@pytest.fixture
def owner(tenant):
    return UserFactory(tenant=tenant)


@pytest.fixture
def group(tenant, owner, member):
    return GroupFactory(tenant=tenant, display_name="Falcon", owners=[owner], members=[member])


def _url(name, group):
    return reverse(name, args=[group.id])


def test_the_tabs_open_for_owner_admin_member_and_not_other_tenants(
    client, group, owner, admin_user, member, other_tenant
):
    for user in (owner, admin_user, member):
        client.force_login(user)
        assert client.get(_url("group_members", group)).status_code == 200
        assert client.get(_url("group_owners", group)).status_code == 200
    client.force_login(member)
    assert "Add members" not in client.get(_url("group_members", group)).content.decode()
    client.force_login(owner)
    assert "Add members" in client.get(_url("group_members", group)).content.decode()
    client.force_login(UserFactory(tenant=other_tenant, role="globalAdministrator"))
    assert client.get(_url("group_members", group)).status_code == 404
    assert client.post(_url("group_member_add", group), {"q": "x@y.test"}).status_code == 404


def test_members_and_outsiders_can_not_change_members(client, tenant, group, member):
    outsider = UserFactory(tenant=tenant)
    for user in (member, outsider):
        client.force_login(user)
        response = client.post(_url("group_member_add", group), {"member": f"user:{outsider.id}"})
        assert response.status_code == 403
    assert not Membership.objects.filter(group=group, member_user=outsider).exists()


def test_an_owner_adds_and_removes_a_member_in_place(client, tenant, group, owner):
    newcomer = UserFactory(tenant=tenant, display_name="Newcomer")
    client.force_login(owner)
    response = client.post(_url("group_member_add", group), {"member": f"user:{newcomer.id}"}, **HX)
    body = response.content.decode()
    assert response.status_code == 200 and body.lstrip().startswith('<div id="members-panel"')
    assert "Newcomer was added" in body
    assert AuditEvent.objects.filter(activity="Add member to group", target_id=str(group.id)).exists()
    response = client.post(_url("group_member_remove", group), {"member": f"user:{newcomer.id}"})
    assert response.status_code == 302
    assert not Membership.objects.filter(group=group, member_user=newcomer).exists()


def test_it_adds_by_upn_without_javascript_and_explains_a_refusal(client, tenant, group, owner, other_tenant):
    stranger = UserFactory(tenant=other_tenant)
    client.force_login(owner)
    response = client.post(_url("group_member_add", group), {"q": stranger.user_principal_name})
    assert response.status_code == 400 and "No user, group, device or app" in response.content.decode()
    colleague = UserFactory(tenant=tenant)
    response = client.post(_url("group_member_add", group), {"q": colleague.user_principal_name.upper()})
    assert response.status_code == 302 and group.memberships.filter(member_user=colleague).exists()


def test_it_refuses_a_nesting_cycle_with_the_path(client, tenant, admin_user):
    a = GroupFactory(tenant=tenant, display_name="A")
    b = GroupFactory(tenant=tenant, display_name="B", members=[a])
    c = GroupFactory(tenant=tenant, display_name="C", members=[b])
    client.force_login(admin_user)
    response = client.post(_url("group_member_add", a), {"member": f"group:{c.id}"}, **HX)
    assert "cycle: A → C → B → A" in response.content.decode()
    assert not Membership.objects.filter(group=a, member_group=c).exists()


def test_security_groups_take_devices_and_microsoft_365_groups_users_only(client, tenant, admin_user):
    device = DeviceFactory(tenant=tenant)
    security = GroupFactory(tenant=tenant)
    unified = GroupFactory(tenant=tenant, kind=GroupKind.MICROSOFT_365)
    client.force_login(admin_user)
    assert "group,device" in client.get(_url("group_members", security)).content.decode()
    client.post(_url("group_member_add", security), {"member": f"device:{device.id}"})
    assert security.memberships.filter(member_device=device).exists()
    response = client.post(_url("group_member_add", unified), {"member": f"device:{device.id}"}, **HX)
    assert "hold users and groups only" in response.content.decode()


def test_dynamic_groups_refuse_manual_members_and_synced_groups_are_read_only(
    client, tenant, admin_user, owner
):
    dynamic = GroupFactory(tenant=tenant, membership_type=MembershipType.DYNAMIC, owners=[owner])
    synced = GroupFactory(tenant=tenant, source=Source.SYNCED, owners=[owner])
    person = UserFactory(tenant=tenant)
    client.force_login(admin_user)
    page = client.get(_url("group_members", dynamic)).content.decode()
    assert "set by its dynamic membership rule" in page and "Add members" not in page
    response = client.post(_url("group_member_add", dynamic), {"member": f"user:{person.id}"}, **HX)
    assert "set by its rule" in response.content.decode()
    client.force_login(owner)
    assert client.post(_url("group_member_add", synced), {"member": f"user:{person.id}"}).status_code == 403
    assert "Add members" not in client.get(_url("group_members", synced)).content.decode()


def test_it_shows_direct_and_transitive_members(client, tenant, admin_user):
    deep = UserFactory(tenant=tenant, display_name="Deep Person")
    inner = GroupFactory(tenant=tenant, display_name="Inner", members=[deep])
    outer = GroupFactory(tenant=tenant, members=[inner])
    client.force_login(admin_user)
    direct = client.get(_url("group_members", outer)).content.decode()
    assert "Inner" in direct and "Deep Person" not in direct
    transitive = client.get(_url("group_members", outer), {"view": "transitive"}).content.decode()
    assert "Deep Person" in transitive and "Through nesting" in transitive


def test_the_members_tab_keeps_a_constant_number_of_queries(
    client, tenant, group, owner, django_assert_num_queries
):
    client.force_login(owner)
    url = _url("group_members", group)
    client.get(url)
    with django_assert_num_queries(10) as ctx:
        client.get(url)
    direct_count = len(ctx.captured_queries)
    for _ in range(30):
        Membership.objects.create(group=group, member_user=UserFactory(tenant=tenant))
    Membership.objects.create(group=group, member_group=GroupFactory(tenant=tenant))
    Membership.objects.create(group=group, member_device=DeviceFactory(tenant=tenant))
    with django_assert_num_queries(direct_count):
        client.get(url)
    # The direct page reads the count stored on the group and pages in three queries (non-user count,
    # users, others); the transitive one counts, plus the recursive nesting query, the nested groups
    # (whose members may the reader see? the read rule as SQL, and the few groups it can't settle loaded
    # to be asked one by one) and "who is direct".
    with django_assert_num_queries(direct_count + 3):
        client.get(url, {"view": "transitive"})


def test_bulk_add_reports_every_line_it_could_not_add(client, tenant, other_tenant, group, owner, member):
    fine = UserFactory(tenant=tenant, user_principal_name="fine@example.test")
    UserFactory(tenant=tenant, user_principal_name="off@example.test", account_enabled=False)
    UserFactory(tenant=tenant, user_principal_name="gone@example.test", deleted_date_time=timezone.now())
    UserFactory(tenant=other_tenant, user_principal_name="other@example.test")
    text = "\n".join(
        [
            "userPrincipalName",
            "FINE@example.test",
            "nobody@example.test",
            "off@example.test",
            "gone@example.test",
            "other@example.test",
            member.user_principal_name,
            "fine@example.test",
            "not-an-upn",
            "",
        ]
    )
    client.force_login(owner)
    upload = SimpleUploadedFile("members.csv", text.encode(), content_type="text/csv")
    response = client.post(_url("group_members_import", group), {"file": upload}, **HX)
    body = response.content.decode()
    assert "1 added, 7 not added" in body
    for reason in (
        "no such user in this organization",
        "the account is disabled",
        "the user is deleted",
        "already a member",
        "already listed on line 2",
        "not a userPrincipalName",
    ):
        assert reason in body
    assert group.memberships.filter(member_user=fine).exists()
    assert body.count("no such user in this organization") == 2  # nobody@ and the other tenant's user


def test_bulk_add_refuses_a_file_that_is_not_text(client, group, owner):
    client.force_login(owner)
    upload = SimpleUploadedFile("members.csv", b"\xff\xfe\x00bad", content_type="text/csv")
    response = client.post(_url("group_members_import", group), {"file": upload})
    assert response.status_code == 400 and "not UTF-8" in response.content.decode()
    assert client.post(_url("group_members_import", group)).status_code == 400


def test_it_exports_members_as_csv(client, tenant, group, owner, member):
    device = DeviceFactory(tenant=tenant, display_name="=HACK")
    Membership.objects.create(group=group, member_device=device)
    client.force_login(owner)
    response = client.get(_url("group_members_export", group))
    rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode())))
    assert rows[0][:3] == ["id", "displayName", "userPrincipalName"]
    assert {r[1] for r in rows[1:]} == {member.display_name, "'=HACK"}


def test_owners_add_and_remove_but_never_the_last(client, tenant, group, owner, admin_user):
    colleague = UserFactory(tenant=tenant, display_name="Colleague")
    client.force_login(owner)
    page = client.get(_url("group_owners", group)).content.decode()
    assert "is the only owner" in page
    response = client.post(_url("group_owner_add", group), {"owner": f"user:{colleague.id}"}, **HX)
    assert "Colleague is now an owner" in response.content.decode()
    client.force_login(admin_user)
    client.post(_url("group_owner_remove", group), {"owner": f"user:{owner.id}"})
    response = client.post(_url("group_owner_remove", group), {"owner": f"user:{colleague.id}"}, **HX)
    # Graph's rule, the same service on every path: the last owner stays.
    assert "at least one owner, hence this owner cannot be removed" in response.content.decode()
    assert list(Ownership.objects.filter(group=group).values_list("user", flat=True)) == [colleague.pk]


def test_a_microsoft_365_group_is_refused_as_a_member_on_the_page_too(client, tenant, group, owner):
    team = GroupFactory(tenant=tenant, display_name="Team", kind=GroupKind.MICROSOFT_365)
    client.force_login(owner)
    response = client.post(_url("group_member_add", group), {"member": f"group:{team.id}"}, **HX)
    assert "A Microsoft 365 group can&#x27;t be a member of another group." in response.content.decode()
    assert not Membership.objects.filter(group=group, member_group=team).exists()


def test_guests_become_owners_only_when_the_tenant_allows(client, tenant, group, owner):
    guest = UserFactory(tenant=tenant, user_type="Guest")
    client.force_login(owner)
    response = client.post(_url("group_owner_add", group), {"owner": f"user:{guest.id}"}, **HX)
    assert "Guests can&#x27;t be group owners" in response.content.decode()
    tenant.group_settings.allow_guests_to_be_group_owner = True
    tenant.group_settings.save()
    client.post(_url("group_owner_add", group), {"owner": f"user:{guest.id}"})
    assert group.ownerships.filter(user=guest).exists()


def test_owners_who_can_assign_owners_is_respected(client, tenant, group, owner):
    tenant.group_settings.owners_who_can_assign_owners = OwnerAssigners.NONE
    tenant.group_settings.save()
    colleague = UserFactory(tenant=tenant)
    client.force_login(owner)
    assert "Add owners" not in client.get(_url("group_owners", group)).content.decode()
    assert client.post(_url("group_owner_add", group), {"owner": f"user:{colleague.id}"}).status_code == 403


def test_a_group_has_at_most_100_owners(client, tenant, admin_user):
    group = GroupFactory(tenant=tenant)
    Ownership.objects.bulk_create(
        Ownership(group=group, user=UserFactory(tenant=tenant)) for _ in range(MAX_OWNERS)
    )
    client.force_login(admin_user)
    response = client.post(_url("group_owner_add", group), {"owner": f"user:{admin_user.id}"}, **HX)
    assert "at most 100 owners" in response.content.decode()


def test_owners_still_manage_members_when_users_may_not_create_security_groups(client, tenant, group, owner):
    """Seed 002: with the setting off, owners can't change their groups but still manage memberships."""
    tenant.group_settings.users_can_create_security_groups = False
    tenant.group_settings.save()
    newcomer = UserFactory(tenant=tenant)
    client.force_login(owner)
    response = client.post(_url("group_member_add", group), {"member": f"user:{newcomer.id}"})
    assert response.status_code == 302 and group.memberships.filter(member_user=newcomer).exists()


def test_the_group_page_links_the_usage_guidelines(client, tenant, group, member):
    client.force_login(member)
    assert "Group usage guidelines" not in client.get(_url("group_members", group)).content.decode()
    tenant.group_settings.usage_guidelines_url = "https://example.test/guidelines"
    tenant.group_settings.save()
    page = client.get(_url("group_members", group)).content.decode()
    assert 'href="https://example.test/guidelines"' in page


def test_bulk_insert_falls_back_row_by_row_when_someone_added_a_member_meanwhile(tenant, admin_user):
    from groups.services.membership import members_add_many

    group = GroupFactory(tenant=tenant)
    raced, fresh = UserFactory(tenant=tenant), UserFactory(tenant=tenant)
    Membership.objects.create(group=group, member_user=raced)  # added after the file was checked
    outcome = members_add_many(actor=admin_user, group=group, users=[raced, fresh])
    assert outcome.added == [fresh] and outcome.refused == [(raced, "already a member")]
    assert group.memberships.count() == 2


def test_bulk_add_audits_each_member_and_licenses_once(tenant, admin_user, monkeypatch):
    from groups.services import memberships_bulk_add

    calls = []
    monkeypatch.setattr(
        "groups.services.membership.consequences.licenses_after_membership_change",
        lambda tenant, **kw: calls.append(tenant),
    )
    group = GroupFactory(tenant=tenant)
    people = UserFactory.create_batch(3, tenant=tenant)
    report = memberships_bulk_add(
        actor=admin_user, group=group, lines=[(i + 1, p.user_principal_name) for i, p in enumerate(people)]
    )
    assert len(report.added) == 3 and calls == [tenant]
    assert AuditEvent.objects.filter(activity="Add member to group", target_id=str(group.id)).count() == 3
