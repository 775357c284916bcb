from __future__ import annotations

import pytest

from portal.models import AuditEvent, MultiValueAttribute, Source, UserMultiValue
from portal.site.api.serializers import PROPERTIES, user_json
from tests import factories
from tests.portal.site.api.conftest import error_of

pytestmark = pytest.mark.django_db


def test_it_lists_the_tenants_users_as_graph_does(member, api_as, other_tenant):
    factories.UserFactory(tenant=other_tenant)
    body = api_as(member).get("/v1.0/users").json()
    assert body["@odata.context"] == "http://testserver/v1.0/$metadata#users"
    assert [u["id"] for u in body["value"]] == [str(member.pk)]
    user = body["value"][0]
    assert user["userPrincipalName"] == member.user_principal_name
    assert user["accountEnabled"] is True and user["userType"] == "Member"
    assert user["businessPhones"] == [] and user["createdDateTime"].endswith("Z")
    assert "extensionAttribute1" in user["onPremisesExtensionAttributes"]


def test_the_select_table_matches_what_users_look_like(member):
    UserMultiValue.objects.create(user=member, attribute=MultiValueAttribute.OTHER_MAILS, value="a@b.test")
    # Every property a user is answered with is a v1.0 property of user ($select may name them all).
    assert set(user_json(member)) <= PROPERTIES["user"]


def test_it_reads_a_user_by_id_or_user_principal_name(member, api_as):
    other = factories.UserFactory(tenant=member.tenant, department="Legal")
    api = api_as(member)
    assert api.get(f"/v1.0/users/{other.pk}").json()["department"] == "Legal"
    by_upn = api.get(f"/v1.0/users/{other.user_principal_name.upper()}").json()
    assert by_upn["id"] == str(other.pk)
    assert by_upn["@odata.context"].endswith("#users/$entity")


def test_it_selects_properties(member, api_as):
    body = api_as(member).get(f"/beta/users/{member.pk}", **{"$select": "displayName,jobTitle"}).json()
    assert body == {
        "@odata.context": "http://testserver/beta/$metadata#users(displayName,jobTitle)/$entity",
        "displayName": member.display_name,
        "jobTitle": None,
    }


def test_it_refuses_an_unknown_selected_property(member, api_as):
    response = api_as(member).get("/v1.0/users", **{"$select": "displayName,shoeSize"})
    assert error_of(response) == (400, "BadRequest")
    assert "shoeSize" in response.json()["error"]["message"]


def test_it_answers_me_for_a_guest_but_not_the_user_list(tenant, api_as):
    guest = factories.UserFactory(tenant=tenant, user_type="Guest")
    api = api_as(guest)
    assert api.get("/v1.0/me").json()["userType"] == "Guest"
    assert error_of(api.get("/v1.0/users")) == (403, "Authorization_RequestDenied")
    # A guest of the default (limited) level reads a user it names, as Entra's guests do: name, mail,
    # sign-in name and user type only (portal.directory_policy).
    other = factories.UserFactory(tenant=tenant, employee_id="E-1")
    body = api.get(f"/v1.0/users/{other.pk}").json()
    assert body["displayName"] == other.display_name
    assert body["employeeId"] is None and body["department"] is None


def test_it_hides_other_tenants_users(member, api_as, other_tenant):
    stranger = factories.UserFactory(tenant=other_tenant)
    api = api_as(member)
    for path in (f"/v1.0/users/{stranger.pk}", f"/v1.0/users/{stranger.user_principal_name}"):
        assert error_of(api.get(path)) == (404, "Request_ResourceNotFound")
    assert error_of(api.get(f"/v1.0/users/{stranger.pk}/memberOf")) == (404, "Request_ResourceNotFound")


def test_it_updates_a_user_through_the_user_service(tenant, api_as):
    admin = factories.UserFactory(tenant=tenant, role="userAdministrator")
    user = factories.UserFactory(tenant=tenant, department="Sales")
    response = api_as(admin).patch(
        f"/v1.0/users/{user.pk}",
        {
            "@odata.type": "#microsoft.graph.user",
            "department": "Finance",
            "jobTitle": "Controller",
            "businessPhones": ["+1 555 0100"],
            "accountEnabled": False,
            "onPremisesExtensionAttributes": {"extensionAttribute3": "cost-42"},
        },
    )
    assert response.status_code == 204
    user.refresh_from_db()
    assert (user.department, user.job_title, user.business_phone) == ("Finance", "Controller", "+1 555 0100")
    assert (user.account_enabled, user.extension_attribute_3) == (False, "cost-42")
    event = AuditEvent.objects.get(activity="Update user", target_id=str(user.pk))
    assert (event.before["department"], event.after["department"]) == ("Sales", "Finance")
    assert event.actor_name == admin.user_principal_name


@pytest.mark.parametrize(
    "body, words",
    [
        ({"shoeSize": 42}, "shoeSize"),
        ({"userPrincipalName": "x@y.test"}, "read-only"),
        ({"accountEnabled": "yes"}, "true or false"),
        ({"displayName": ""}, "display name"),
        ({"otherMails": ["a@b.test"]}, "otherMails"),
        ({"department": "x" * 65}, "longer than 64"),
        ({"businessPhones": ["1", "2"]}, "at most one"),
        ({"userType": "Boss"}, "Member or Guest"),
        ({"employeeHireDate": "last tuesday"}, "employeeHireDate"),
        ({"employeeHireDate": "2024-02-30T00:00:00Z"}, "employeeHireDate"),  # no such day: not a 500
        ({"mail": "not-an-address"}, "email"),
    ],
)
def test_it_refuses_bad_user_changes_and_keeps_the_user(tenant, api_as, body, words):
    admin = factories.UserFactory(tenant=tenant, role="userAdministrator")
    user = factories.UserFactory(tenant=tenant, department="Sales")
    response = api_as(admin).patch(f"/v1.0/users/{user.pk}", {"department": "Changed", **body})
    assert error_of(response)[0] == 400
    assert words in response.json()["error"]["message"]
    user.refresh_from_db()
    assert user.department == "Sales"
    assert not AuditEvent.objects.filter(activity="Update user").exists()


def test_it_refuses_to_change_what_on_premises_masters(tenant, api_as):
    admin = factories.UserFactory(tenant=tenant, role="userAdministrator")
    synced = factories.UserFactory(tenant=tenant, source=Source.SYNCED)
    api = api_as(admin)
    response = api.patch(f"/v1.0/users/{synced.pk}", {"department": "X"})
    assert error_of(response) == (400, "Request_BadRequest")
    assert api.patch(f"/v1.0/users/{synced.pk}", {"accountEnabled": False}).status_code == 204


def test_it_refuses_user_changes_without_the_right(tenant, api_as, groups_admin):
    user = factories.UserFactory(tenant=tenant)
    for actor in (groups_admin, user):
        response = api_as(actor).patch(f"/v1.0/users/{user.pk}", {"department": "X"})
        assert error_of(response) == (403, "Authorization_RequestDenied")


@pytest.mark.parametrize("raw", ["{not json", "[1, 2]", '"text"'])
def test_it_refuses_a_body_that_is_not_a_json_object(tenant, api_as, raw):
    admin = factories.UserFactory(tenant=tenant, role="userAdministrator")
    response = api_as(admin).patch(f"/v1.0/users/{admin.pk}", raw=raw)
    assert error_of(response) == (400, "BadRequest")


def test_it_refuses_an_unsupported_method(member, api_as):
    assert error_of(api_as(member).post(f"/v1.0/users/{member.pk}"))[0] == 405


def test_a_user_change_through_the_api_updates_dynamic_groups_at_once(tenant, api_as):
    from groups.models import GroupKind, MembershipType

    admin = factories.UserFactory(tenant=tenant, role="userAdministrator")
    user = factories.UserFactory(tenant=tenant, department="Sales")
    legal = factories.GroupFactory(
        tenant=tenant,
        kind=GroupKind.SECURITY,
        membership_type=MembershipType.DYNAMIC,
        membership_rule='user.department -eq "Legal"',
    )
    api = api_as(admin)
    assert api.patch(f"/v1.0/users/{user.pk}", {"department": "Legal"}).status_code == 204
    assert legal.memberships.filter(member_user=user).exists()
    member_of = api.get(f"/v1.0/users/{user.pk}/memberOf").json()
    assert [g["id"] for g in member_of["value"]] == [str(legal.pk)]
    assert api.patch(f"/v1.0/users/{user.pk}", {"department": "Sales"}).status_code == 204
    assert not legal.memberships.filter(member_user=user).exists()
