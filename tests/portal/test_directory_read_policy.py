"""Issue 10, item 4, the pages: the directory read policy (portal.directory_policy) on /users/,
/users/<id>/, /users/search/, the guests' group pages, and its two settings on /settings/groups/."""

from __future__ import annotations

import html

import pytest
from django.urls import reverse

from groups.models import JoinPolicy
from portal.authz import AppActor, user_read_access, user_read_access_for_each
from portal.models import AuditEvent, GuestUserRole, TenantGroupSettings, User, UserType
from tests.factories import GroupFactory, ServicePrincipalFactory, UserFactory

pytestmark = pytest.mark.django_db


def _policy(tenant, **values) -> None:
    TenantGroupSettings.objects.filter(tenant=tenant).update(**values)


def _page(client, name, *args, **params):
    response = client.get(reverse(name, args=args), params)
    return response.status_code, html.unescape(response.content.decode())


@pytest.fixture
def colleague(tenant):
    return UserFactory(
        tenant=tenant,
        display_name="Cleo Colleague",
        job_title="Analyst",
        department="Finance",
        office_location="Lyon 4",
        employee_id="EMP-4711",
        country="France",
        usage_location="FR",
        extension_attribute_1="secret-ext",
    )


def test_a_member_reads_a_colleagues_basic_profile_and_nothing_more(client, member, colleague):
    client.force_login(member)
    status, page = _page(client, "user_detail", colleague.pk)
    assert status == 200
    for shown in ("Cleo Colleague", colleague.user_principal_name, "Analyst", "Finance", "Lyon 4"):
        assert shown in page
    for hidden in ("EMP-4711", "France", "secret-ext", "Edit attributes"):
        assert hidden not in page


def test_an_administrator_still_reads_every_attribute(client, tenant, colleague):
    client.force_login(UserFactory(tenant=tenant, role="directoryReaders"))
    status, page = _page(client, "user_detail", colleague.pk)
    assert status == 200 and "EMP-4711" in page and "France" in page


def test_a_member_lists_users_without_filtering_on_what_they_cant_read(client, tenant, member, colleague):
    UserFactory(tenant=tenant, display_name="Dora Elsewhere", country="Spain")
    client.force_login(member)
    status, page = _page(client, "user_list")
    assert status == 200 and "Cleo Colleague" in page and "Country or region" not in page
    # A country filter would test an attribute the member can't read: it's ignored, not applied.
    _, filtered = _page(client, "user_list", country="France")
    assert "Dora Elsewhere" in filtered
    _, by_department = _page(client, "user_list", department="finance")
    assert "Cleo Colleague" in by_department and "Dora Elsewhere" not in by_department


def test_with_reading_other_users_off_members_read_only_themselves(client, tenant, member, colleague):
    _policy(tenant, allowed_to_read_other_users=False)
    client.force_login(member)
    assert _page(client, "user_list")[0] == 403
    assert _page(client, "user_detail", colleague.pk)[0] == 403
    assert _page(client, "user_search", q="Cleo")[0] == 403
    status, own = _page(client, "user_detail", member.pk)
    assert status == 200 and member.user_principal_name in own
    # Administrators are not affected.
    client.force_login(UserFactory(tenant=tenant, role="userAdministrator"))
    assert _page(client, "user_detail", colleague.pk)[0] == 200


def test_guests_read_by_their_access_level(client, tenant, colleague):
    guest = UserFactory(tenant=tenant, user_type="Guest")
    client.force_login(guest)
    # Limited (the default): a named user's name, mail, UPN and type; no list, no typeahead.
    status, page = _page(client, "user_detail", colleague.pk)
    assert status == 200 and "Cleo Colleague" in page and "Finance" not in page and "Analyst" not in page
    assert _page(client, "user_list")[0] == 403
    assert _page(client, "user_search", q="Cleo")[0] == 403
    # Restricted: only themselves.
    _policy(tenant, guest_user_role_id=GuestUserRole.RESTRICTED)
    assert _page(client, "user_detail", colleague.pk)[0] == 403
    assert _page(client, "user_detail", guest.pk)[0] == 200
    # Same as members: the basic profile, and the list.
    _policy(tenant, guest_user_role_id=GuestUserRole.SAME_AS_MEMBERS)
    status, page = _page(client, "user_detail", colleague.pk)
    assert status == 200 and "Finance" in page and "EMP-4711" not in page
    assert _page(client, "user_list")[0] == 200


def test_a_restricted_guest_sees_only_their_own_groups_and_none_of_their_members(client, tenant, member):
    guest = UserFactory(tenant=tenant, user_type="Guest")
    own = GroupFactory(tenant=tenant, display_name="Guest Project", members=[guest, member])
    other = GroupFactory(tenant=tenant, display_name="Open Elsewhere", join_policy=JoinPolicy.OPEN)
    _policy(tenant, guest_user_role_id=GuestUserRole.RESTRICTED)
    client.force_login(guest)
    assert _page(client, "group_members", own.pk)[0] == 403
    assert _page(client, "group_owners", own.pk)[0] == 403
    assert _page(client, "group_members", other.pk)[0] == 403
    status, discover = _page(client, "discover")
    assert status == 200 and "Open Elsewhere" not in discover
    status, mine = _page(client, "my_groups")
    assert status == 200 and "Guest Project" in mine
    # A limited guest still reads members of non-hidden groups, as in Entra.
    _policy(tenant, guest_user_role_id=GuestUserRole.LIMITED)
    assert _page(client, "group_members", own.pk)[0] == 200


def test_the_settings_page_shows_and_saves_the_two_switches_audited(client, tenant, admin_user, groups_admin):
    client.force_login(admin_user)
    status, page = _page(client, "group_settings")
    assert status == 200 and "Members can read other users' basic profile" in page
    assert "Guest user access" in page
    data = {
        "section": "directory",
        "allowed_to_read_other_users": "False",
        "guest_user_role_id": GuestUserRole.RESTRICTED,
    }
    assert client.post(reverse("group_settings"), data).status_code == 302
    settings = TenantGroupSettings.objects.get(tenant=tenant)
    assert settings.allowed_to_read_other_users is False
    assert settings.guest_user_role_id == GuestUserRole.RESTRICTED
    event = AuditEvent.objects.get(tenant=tenant, activity="Update authorization policy")
    assert event.before == {"allowed_to_read_other_users": True, "guest_user_role_id": GuestUserRole.LIMITED}
    # A Groups Administrator edits group settings, not the directory read policy (as in Entra).
    client.force_login(groups_admin)
    data["guest_user_role_id"] = GuestUserRole.SAME_AS_MEMBERS
    assert client.post(reverse("group_settings"), data).status_code == 403
    assert TenantGroupSettings.objects.get(tenant=tenant).guest_user_role_id == GuestUserRole.RESTRICTED


@pytest.mark.parametrize("others_readable", [True, False])
@pytest.mark.parametrize(
    "guest_role", [GuestUserRole.SAME_AS_MEMBERS, GuestUserRole.LIMITED, GuestUserRole.RESTRICTED]
)
def test_a_lists_access_per_row_is_the_one_functions_answer_for_each_row(
    tenant, other_tenant, member, colleague, others_readable, guest_role
):
    """user_read_access_for_each decides once what a list's rows share; each row's answer stays exactly
    user_read_access(actor, row): oneself, a colleague, a guest, another tenant's user, for every kind
    of actor and policy."""
    _policy(tenant, allowed_to_read_other_users=others_readable, guest_user_role_id=guest_role)
    guest = UserFactory(tenant=tenant, user_type=UserType.GUEST)
    stranger = UserFactory(tenant=other_tenant)
    actors = [
        User.objects.get(pk=person.pk)
        for person in (
            member,
            guest,
            UserFactory(tenant=tenant, role="directoryReaders"),
            UserFactory(tenant=tenant, account_enabled=False),
        )
    ]
    actors += [
        AppActor(service_principal=ServicePrincipalFactory(tenant=tenant), role=role)
        for role in ("directoryReaders", "groupsAdministrator")
    ]
    for actor in actors:
        each = user_read_access_for_each(actor)
        for subject in (member, guest, colleague, stranger, *[a for a in actors if isinstance(a, User)]):
            assert each(subject) == user_read_access(actor, subject), (actor, subject)
