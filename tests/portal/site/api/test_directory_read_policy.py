"""Issue 10, item 4, the API: the same directory read policy as the pages (portal.directory_policy)."""

from __future__ import annotations

import pytest

from portal.models import GuestUserRole, TenantGroupSettings
from tests import factories
from tests.portal.site.api.conftest import error_of

pytestmark = pytest.mark.django_db

DENIED = (403, "Authorization_RequestDenied")


def _policy(tenant, **values) -> None:
    TenantGroupSettings.objects.filter(tenant=tenant).update(**values)


@pytest.fixture
def colleague(tenant):
    return factories.UserFactory(
        tenant=tenant,
        display_name="Cleo Colleague",
        job_title="Analyst",
        department="Finance",
        employee_id="EMP-4711",
        mobile_phone="+33 6 00 00 00 00",
        usage_location="FR",
        extension_attribute_1="secret-ext",
    )


def test_a_member_reads_the_basic_profile_and_gets_null_for_the_rest(member, colleague, api_as):
    api = api_as(member)
    body = api.get(f"/v1.0/users/{colleague.pk}").json()
    assert (body["displayName"], body["jobTitle"], body["department"]) == (
        "Cleo Colleague",
        "Analyst",
        "Finance",
    )
    for hidden in (
        "employeeId",
        "mobilePhone",
        "usageLocation",
        "onPremisesExtensionAttributes",
        "accountEnabled",
    ):
        assert body[hidden] is None, hidden
    selected = api.get(f"/v1.0/users/{colleague.pk}", **{"$select": "id,employeeId"}).json()
    assert selected["employeeId"] is None and selected["id"] == str(colleague.pk)
    listed = api.get("/v1.0/users", **{"$select": "displayName,employeeId"}).json()["value"]
    assert {"displayName": "Cleo Colleague", "employeeId": None} in listed
    via_object = api.get(f"/v1.0/directoryObjects/{colleague.pk}").json()
    assert via_object["employeeId"] is None
    # Their own account: everything.
    assert api.get("/v1.0/me").json()["employeeId"] == member.employee_id


def test_a_member_cant_filter_on_what_they_cant_read(member, colleague, api_as):
    api = api_as(member)
    assert error_of(api.get("/v1.0/users", **{"$filter": "employeeId eq 'EMP-4711'"})) == DENIED
    ext = "onPremisesExtensionAttributes/extensionAttribute1 eq 'secret-ext'"
    assert error_of(api.get("/v1.0/users", **{"$filter": ext})) == DENIED
    found = api.get("/v1.0/users", **{"$filter": "department eq 'Finance'"}).json()["value"]
    assert [u["id"] for u in found] == [str(colleague.pk)]


def test_group_member_lists_follow_the_same_policy(tenant, member, colleague, api_as):
    group = factories.GroupFactory(tenant=tenant, members=[colleague])
    api = api_as(member)
    members = api.get(f"/v1.0/groups/{group.pk}/members").json()["value"]
    assert members[0]["displayName"] == "Cleo Colleague" and members[0]["employeeId"] is None
    filtered = api.get(f"/v1.0/groups/{group.pk}/members", **{"$filter": "employeeId eq 'EMP-4711'"})
    assert error_of(filtered) == DENIED


def test_role_holders_and_apps_with_users_read_get_every_attribute(tenant, colleague, api_as):
    reader = factories.UserFactory(tenant=tenant, role="directoryReaders")
    body = api_as(reader).get(f"/v1.0/users/{colleague.pk}").json()
    assert body["employeeId"] == "EMP-4711"
    assert body["onPremisesExtensionAttributes"]["extensionAttribute1"] == "secret-ext"
    app = api_as(app="Sync", role="userAdministrator", tenant=tenant)
    assert app.get(f"/v1.0/users/{colleague.pk}").json()["employeeId"] == "EMP-4711"
    assert error_of(api_as(app="Reports", role="reportsReader", tenant=tenant).get("/v1.0/users")) == DENIED


def test_with_reading_other_users_off_members_read_only_themselves(tenant, member, colleague, api_as):
    _policy(tenant, allowed_to_read_other_users=False)
    api = api_as(member)
    assert error_of(api.get("/v1.0/users")) == DENIED
    assert error_of(api.get(f"/v1.0/users/{colleague.pk}")) == DENIED
    assert error_of(api.get(f"/v1.0/users/{colleague.user_principal_name}")) == DENIED
    assert api.get("/v1.0/me").status_code == 200
    assert api.get(f"/v1.0/users/{member.pk}").json()["employeeId"] == member.employee_id


def test_guests_read_by_their_access_level(tenant, member, colleague, api_as):
    guest = factories.UserFactory(tenant=tenant, user_type="Guest")
    api = api_as(guest)
    # Limited (the default): a named user's name, mail, UPN and type; never the list.
    body = api.get(f"/v1.0/users/{colleague.pk}").json()
    assert body["displayName"] == "Cleo Colleague" and body["department"] is None
    assert error_of(api.get("/v1.0/users")) == DENIED
    # Restricted: nobody but themselves.
    _policy(tenant, guest_user_role_id=GuestUserRole.RESTRICTED)
    assert error_of(api.get(f"/v1.0/users/{colleague.pk}")) == DENIED
    assert api.get("/v1.0/me").json()["userType"] == "Guest"
    # Same as members.
    _policy(tenant, guest_user_role_id=GuestUserRole.SAME_AS_MEMBERS)
    assert api.get("/v1.0/users").status_code == 200
    assert api.get(f"/v1.0/users/{colleague.pk}").json()["department"] == "Finance"


def test_a_restricted_guest_sees_only_their_groups_and_no_members(tenant, member, api_as):
    guest = factories.UserFactory(tenant=tenant, user_type="Guest")
    own = factories.GroupFactory(tenant=tenant, members=[guest, member])
    other = factories.GroupFactory(tenant=tenant)
    _policy(tenant, guest_user_role_id=GuestUserRole.RESTRICTED)
    api = api_as(guest)
    assert [g["id"] for g in api.get("/v1.0/groups").json()["value"]] == [str(own.pk)]
    assert api.get(f"/v1.0/groups/{own.pk}").status_code == 200
    assert error_of(api.get(f"/v1.0/groups/{other.pk}")) == DENIED
    for relation in ("members", "owners", "transitiveMembers"):
        assert error_of(api.get(f"/v1.0/groups/{own.pk}/{relation}")) == DENIED, relation
    # A limited guest reads the members of a non-hidden group.
    _policy(tenant, guest_user_role_id=GuestUserRole.LIMITED)
    assert api.get(f"/v1.0/groups/{own.pk}/members").status_code == 200
