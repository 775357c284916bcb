"""Settings and roles as Graph objects: /groupSettingTemplates, /groupSettings, /groups/{id}/settings,
/policies/authorizationPolicy, /roleManagement/directory/roleDefinitions and roleAssignments.

The values are those of /settings/groups/ and /roles/, changed through the same services: the same
rights, the same audit events, each tenant's own.
"""

from __future__ import annotations

import pytest

from portal import roles
from portal.authz import can
from portal.models import AuditEvent, CustomRole, GuestUserRole, RoleAssignment, TenantGroupSettings, User
from portal.site.api.views.roles import BUILTIN_IDS
from portal.site.api.views.settings import GROUP_UNIFIED_TEMPLATE_ID
from tests import factories
from tests.portal.site.api.conftest import error_of

pytestmark = pytest.mark.django_db

V = "/v1.0"
GROUPS_ADMIN_ID = BUILTIN_IDS["groupsAdministrator"]


@pytest.fixture
def tenant():
    return factories.TenantFactory()


@pytest.fixture
def admin(tenant):
    return factories.UserFactory(tenant=tenant, role="globalAdministrator")


def settings_of(tenant) -> TenantGroupSettings:
    return TenantGroupSettings.objects.get_or_create(tenant=tenant)[0]


def values_of(body) -> dict[str, str]:
    return {v["name"]: v["value"] for v in body["values"]}


# --- templates and the Group.Unified settings object ------------------------------------------------


def test_the_group_unified_template_lists_the_settings_with_graph_names_types_and_defaults(api_as, admin):
    body = api_as(admin).get(f"{V}/groupSettingTemplates").json()
    unified = next(t for t in body["value"] if t["displayName"] == "Group.Unified")
    assert unified["id"] == GROUP_UNIFIED_TEMPLATE_ID
    by_name = {v["name"]: v for v in unified["values"]}
    assert {
        "EnableGroupCreation", "GroupCreationAllowedGroupId", "AllowGuestsToBeGroupOwner",
        "AllowGuestsToAccessGroups", "AllowToAddGuests", "GuestUsageGuidelinesUrl", "UsageGuidelinesUrl",
        "ClassificationList", "DefaultClassification", "ClassificationDescriptions",
        "PrefixSuffixNamingRequirement", "CustomBlockedWordsList", "EnableMIPLabels",
    } == set(by_name)  # fmt: skip
    assert by_name["EnableGroupCreation"] == {
        "name": "EnableGroupCreation",
        "type": "System.Boolean",
        "defaultValue": "true",
        "description": "Flag indicating if group creation feature is on.",
    }
    assert by_name["GroupCreationAllowedGroupId"]["type"] == "System.Guid"
    single = api_as(admin).get(f"{V}/groupSettingTemplates/{GROUP_UNIFIED_TEMPLATE_ID}")
    assert single.status_code == 200 and single.json()["displayName"] == "Group.Unified"
    assert api_as(admin).get(f"{V}/groupSettingTemplates/nope").status_code == 404


def test_a_setting_created_patched_and_deleted_through_the_api_is_what_the_settings_page_edits(
    api_as, admin, tenant
):
    api = api_as(admin)
    allowed = factories.GroupFactory(tenant=tenant, display_name="Creators")
    assert api.get(f"{V}/groupSettings").json()["value"] == []  # the template's defaults, no object
    created = api.post(
        f"{V}/groupSettings",
        {
            "templateId": GROUP_UNIFIED_TEMPLATE_ID,
            "values": [
                {"name": "EnableGroupCreation", "value": "false"},
                {"name": "GroupCreationAllowedGroupId", "value": str(allowed.pk)},
                {"name": "UsageGuidelinesUrl", "value": "https://contoso.example/rules"},
                {"name": "ClassificationList", "value": "Low,Medium,High"},
                {"name": "DefaultClassification", "value": "Low"},
            ],
        },
    )
    assert created.status_code == 201, created.content
    setting_id = created.json()["id"]
    stored = settings_of(tenant)
    assert str(stored.group_unified_setting_id) == setting_id
    assert stored.users_can_create_m365_groups is False and stored.group_creation_allowed_group == allowed
    assert stored.usage_guidelines_url == "https://contoso.example/rules"
    assert stored.classifications == ["Low", "Medium", "High"] and stored.default_classification == "Low"
    event = AuditEvent.objects.get(tenant=tenant, activity="Add group settings")
    assert event.actor_id == str(admin.pk) and event.after["users_can_create_m365_groups"] is False

    again = api.post(f"{V}/groupSettings", {"templateId": GROUP_UNIFIED_TEMPLATE_ID, "values": []})
    assert error_of(again) == (400, "Request_BadRequest")  # one Group.Unified object per tenant

    patched = api.patch(
        f"{V}/groupSettings/{setting_id}",
        {
            "values": [
                {"name": "AllowToAddGuests", "value": "False"},
                {"name": "EnableMIPLabels", "value": "true"},
            ]
        },
    )
    assert patched.status_code == 204
    read = values_of(api.get(f"{V}/groupSettings/{setting_id}").json())
    assert read["AllowToAddGuests"] == "false" and read["EnableMIPLabels"] == "true"
    assert read["EnableGroupCreation"] == "false" and read["GroupCreationAllowedGroupId"] == str(allowed.pk)
    assert AuditEvent.objects.filter(tenant=tenant, activity="Update group settings").count() == 1

    assert api.delete(f"{V}/groupSettings/{setting_id}").status_code == 204
    stored = settings_of(tenant)
    assert stored.group_unified_setting_id is None and stored.users_can_create_m365_groups is True
    assert stored.allow_to_add_guests is True and stored.usage_guidelines_url == ""
    assert stored.group_creation_allowed_group is None
    assert api.get(f"{V}/groupSettings").json()["value"] == []
    assert AuditEvent.objects.filter(tenant=tenant, activity="Delete group settings").count() == 1


def test_a_change_on_the_settings_page_creates_the_settings_object_graph_lists(client, api_as, admin, tenant):
    client.force_login(admin)
    response = client.post(
        "/settings/groups/",
        {"section": "guidance", "usage_guidelines_url": "https://contoso.example/g", "classification_list": "",
         "default_classification": "", "guest_usage_guidelines_url": "", "classification_descriptions": "",
         "enable_mip_labels": "False"},
    )  # fmt: skip
    assert response.status_code == 302, response.content
    listed = api_as(admin).get(f"{V}/groupSettings").json()["value"]
    assert len(listed) == 1 and values_of(listed[0])["UsageGuidelinesUrl"] == "https://contoso.example/g"


def test_bad_setting_values_are_refused_and_change_nothing(api_as, admin, tenant):
    api = api_as(admin)
    other = factories.GroupFactory()  # another tenant's
    for values in (
        [{"name": "EnableGroupCreation", "value": "perhaps"}],
        [{"name": "NoSuchSetting", "value": "1"}],
        [{"name": "GroupCreationAllowedGroupId", "value": str(other.pk)}],
        [{"name": "DefaultClassification", "value": "Secret"}],  # not in the (empty) list
        [{"name": "PrefixSuffixNamingRequirement", "value": "GRP_[Nope]_[GroupName]"}],
    ):
        response = api.post(f"{V}/groupSettings", {"templateId": GROUP_UNIFIED_TEMPLATE_ID, "values": values})
        assert response.status_code == 400, (values, response.content)
    assert settings_of(tenant).group_unified_setting_id is None
    wrong_template = api.post(f"{V}/groupSettings", {"templateId": "08d542b9-071f-4e16-94b0-74abb372e3d9"})
    assert error_of(wrong_template) == (400, "Request_BadRequest")


def test_who_reads_and_who_changes_the_settings(api_as, tenant):
    reader = factories.UserFactory(tenant=tenant, role="directoryReaders")
    member = factories.UserFactory(tenant=tenant)
    groups_admin = factories.UserFactory(tenant=tenant, role="groupsAdministrator")
    body = {
        "templateId": GROUP_UNIFIED_TEMPLATE_ID,
        "values": [{"name": "AllowToAddGuests", "value": "false"}],
    }
    assert api_as(reader).get(f"{V}/groupSettings").status_code == 200
    assert error_of(api_as(member).get(f"{V}/groupSettings")) == (403, "Authorization_RequestDenied")
    assert error_of(api_as(reader).post(f"{V}/groupSettings", body)) == (403, "Authorization_RequestDenied")
    # The refused attempt is audited, as every refused change is.
    assert AuditEvent.objects.filter(tenant=tenant, result="failure", actor_id=str(reader.pk)).exists()
    assert api_as(groups_admin).post(f"{V}/groupSettings", body).status_code == 201
    app = api_as(app="Settings bot", role="groupsAdministrator", tenant=tenant)
    setting_id = settings_of(tenant).group_unified_setting_id
    patched = app.patch(
        f"{V}/groupSettings/{setting_id}", {"values": [{"name": "AllowToAddGuests", "value": "true"}]}
    )
    assert patched.status_code == 204 and settings_of(tenant).allow_to_add_guests is True


def test_another_tenants_setting_is_not_found(api_as, admin, tenant):
    other_admin = factories.UserFactory(role="globalAdministrator")
    theirs = api_as(other_admin).post(
        f"{V}/groupSettings", {"templateId": GROUP_UNIFIED_TEMPLATE_ID, "values": []}
    )
    their_id = theirs.json()["id"]
    api = api_as(admin)
    assert api.get(f"{V}/groupSettings").json()["value"] == []
    assert error_of(api.get(f"{V}/groupSettings/{their_id}"))[0] == 404
    assert error_of(api.delete(f"{V}/groupSettings/{their_id}"))[0] == 404
    assert TenantGroupSettings.objects.get(tenant=other_admin.tenant).group_unified_setting_id is not None


def test_a_groups_own_settings_are_an_empty_list_and_creating_one_says_why_not(api_as, admin, tenant):
    group = factories.GroupFactory(tenant=tenant)
    api = api_as(admin)
    body = api.get(f"{V}/groups/{group.pk}/settings").json()
    assert body["value"] == []
    refused = api.post(
        f"{V}/groups/{group.pk}/settings", {"templateId": GROUP_UNIFIED_TEMPLATE_ID, "values": []}
    )
    assert error_of(refused) == (400, "Request_BadRequest")
    assert "DirectoryObjectClass 'Group'" in refused.json()["error"]["message"]
    assert error_of(api.get(f"{V}/groups/{factories.GroupFactory().pk}/settings"))[0] == 404


# --- the authorization policy ---------------------------------------------------------------------


def test_the_authorization_policy_reads_and_changes_the_directory_read_policy(api_as, admin, tenant):
    api = api_as(admin)
    policy = api.get(f"{V}/policies/authorizationPolicy").json()
    assert policy["id"] == "authorizationPolicy" and policy["allowInvitesFrom"] == "everyone"
    assert policy["guestUserRoleId"] == GuestUserRole.LIMITED
    assert policy["defaultUserRolePermissions"]["allowedToReadOtherUsers"] is True
    assert policy["defaultUserRolePermissions"]["allowedToCreateSecurityGroups"] is True
    response = api.patch(
        f"{V}/policies/authorizationPolicy",
        {
            "allowInvitesFrom": "adminsAndGuestInviters",
            "guestUserRoleId": GuestUserRole.RESTRICTED,
            "defaultUserRolePermissions": {
                "allowedToReadOtherUsers": False,
                "allowedToCreateSecurityGroups": False,
            },
        },
    )
    assert response.status_code == 204, response.content
    stored = settings_of(tenant)
    assert stored.allow_invites_from == "adminsAndGuestInviters"
    assert stored.guest_user_role_id == GuestUserRole.RESTRICTED
    assert stored.allowed_to_read_other_users is False and stored.users_can_create_security_groups is False
    # Enforced at once: a member without a role no longer lists the users.
    member = factories.UserFactory(tenant=tenant)
    assert error_of(api_as(member).get(f"{V}/users"))[0] == 403
    assert not can(User.objects.get(pk=member.pk), roles.USERS_READ)
    assert AuditEvent.objects.filter(
        tenant=tenant, activity="Update group settings", target_id=str(tenant.pk)
    ).exists()


def test_the_authorization_policy_refuses_what_it_cant_keep_and_who_may_not_change_it(api_as, admin, tenant):
    api = api_as(admin)
    assert error_of(api.patch(f"{V}/policies/authorizationPolicy", {"allowInvitesFrom": "anyone"}))[0] == 400
    assert error_of(api.patch(f"{V}/policies/authorizationPolicy", {"blockMsolPowerShell": True}))[0] == 400
    groups_admin = factories.UserFactory(tenant=tenant, role="groupsAdministrator")
    refused = api_as(groups_admin).patch(f"{V}/policies/authorizationPolicy", {"allowInvitesFrom": "none"})
    assert error_of(refused) == (403, "Authorization_RequestDenied")
    member = factories.UserFactory(tenant=tenant)
    assert error_of(api_as(member).get(f"{V}/policies/authorizationPolicy"))[0] == 403
    assert settings_of(tenant).allow_invites_from == "everyone"


# --- role definitions and assignments -------------------------------------------------------------


def test_role_definitions_list_the_built_in_roles_with_entra_ids_and_the_custom_ones(api_as, admin, tenant):
    custom = factories.CustomRoleFactory(
        tenant=tenant, display_name="Helpdesk", permissions=["microsoft.directory/groups/members/update"]
    )
    factories.CustomRoleFactory(display_name="Elsewhere")  # another tenant's
    body = api_as(admin).get(f"{V}/roleManagement/directory/roleDefinitions").json()
    by_name = {d["displayName"]: d for d in body["value"]}
    assert set(by_name) == {r.display_name for r in roles.BUILTIN_ROLES.values()} | {"Helpdesk"}
    groups_admin = by_name["Groups Administrator"]
    assert groups_admin["id"] == GROUPS_ADMIN_ID and groups_admin["isBuiltIn"] is True
    actions = groups_admin["rolePermissions"][0]["allowedResourceActions"]
    assert (
        "microsoft.directory/groups/members/update" in actions
        and "microsoft.directory/groupSettings/allProperties/update" in actions
    )
    assert by_name["Helpdesk"] == {
        "id": str(custom.pk),
        "description": custom.description,
        "displayName": "Helpdesk",
        "isBuiltIn": False,
        "isEnabled": True,
        "resourceScopes": ["/"],
        "templateId": str(custom.pk),
        "version": None,
        "rolePermissions": [
            {"allowedResourceActions": ["microsoft.directory/groups/members/update"], "condition": None}
        ],
    }
    filtered = api_as(admin).get(
        f"{V}/roleManagement/directory/roleDefinitions", **{"$filter": "isBuiltIn eq false"}
    )
    assert [d["displayName"] for d in filtered.json()["value"]] == ["Helpdesk"]


def test_a_custom_role_and_its_assignment_made_through_the_api_show_on_the_roles_page_and_are_enforced(
    client, api_as, admin, tenant
):
    api = api_as(admin)
    target = factories.GroupFactory(tenant=tenant, display_name="Falcon")
    helper = factories.UserFactory(tenant=tenant)
    created = api.post(
        f"{V}/roleManagement/directory/roleDefinitions",
        {
            "displayName": "Falcon members",
            "description": "Adds and removes members",
            "isEnabled": True,
            "rolePermissions": [{"allowedResourceActions": ["microsoft.directory/groups/members/update"]}],
        },
    )
    assert created.status_code == 201, created.content
    role_id = created.json()["id"]
    assert not can(helper, "members/update", target)
    assigned = api.post(
        f"{V}/roleManagement/directory/roleAssignments",
        {"roleDefinitionId": role_id, "principalId": str(helper.pk), "directoryScopeId": f"/{target.pk}"},
    )
    assert assigned.status_code == 201, assigned.content
    assignment = assigned.json()
    assert assignment["directoryScopeId"] == f"/{target.pk}" and assignment["principalId"] == str(helper.pk)
    fresh = User.objects.get(pk=helper.pk)
    assert can(fresh, "members/update", target)
    assert not can(fresh, "members/update", factories.GroupFactory(tenant=tenant))  # scoped to one group
    client.force_login(admin)
    page = client.get("/roles/").content.decode()
    assert "Falcon members" in page
    assert {"Add role definition", "Add member to role"} <= set(
        AuditEvent.objects.filter(tenant=tenant, category="RoleManagement").values_list("activity", flat=True)
    )
    listed = api.get(
        f"{V}/roleManagement/directory/roleAssignments",
        **{"$filter": f"principalId eq '{helper.pk}'", "$expand": "principal"},
    ).json()["value"]
    assert [a["id"] for a in listed] == [assignment["id"]]
    assert listed[0]["principal"]["@odata.type"] == "#microsoft.graph.user"
    assert api.delete(f"{V}/roleManagement/directory/roleAssignments/{assignment['id']}").status_code == 204
    assert not can(User.objects.get(pk=helper.pk), "members/update", target)
    assert api.delete(f"{V}/roleManagement/directory/roleDefinitions/{role_id}").status_code == 204
    assert not CustomRole.objects.filter(pk=role_id).exists()


def test_a_built_in_role_is_assigned_tenant_wide_by_its_entra_id(api_as, admin, tenant):
    helper = factories.UserFactory(tenant=tenant)
    response = api_as(admin).post(
        f"{V}/roleManagement/directory/roleAssignments",
        {"roleDefinitionId": GROUPS_ADMIN_ID, "principalId": str(helper.pk), "directoryScopeId": "/"},
    )
    assert response.status_code == 201
    assert RoleAssignment.objects.get(pk=response.json()["id"]).builtin_role == "groupsAdministrator"
    assert can(User.objects.get(pk=helper.pk), roles.SETTINGS_UPDATE)
    again = api_as(admin).post(
        f"{V}/roleManagement/directory/roleAssignments",
        {"roleDefinitionId": GROUPS_ADMIN_ID, "principalId": str(helper.pk), "directoryScopeId": "/"},
    )
    assert error_of(again) == (400, "Request_BadRequest")


def test_who_reads_and_who_changes_roles(api_as, tenant):
    reader = factories.UserFactory(tenant=tenant, role="directoryReaders")
    member = factories.UserFactory(tenant=tenant)
    helper = factories.UserFactory(tenant=tenant)
    assert api_as(reader).get(f"{V}/roleManagement/directory/roleAssignments").status_code == 200
    assert error_of(api_as(member).get(f"{V}/roleManagement/directory/roleDefinitions"))[0] == 403
    refused = api_as(reader).post(
        f"{V}/roleManagement/directory/roleAssignments",
        {"roleDefinitionId": GROUPS_ADMIN_ID, "principalId": str(helper.pk)},
    )
    assert error_of(refused) == (403, "Authorization_RequestDenied")
    assert not RoleAssignment.objects.filter(principal_user=helper).exists()
    refused_role = api_as(reader).post(
        f"{V}/roleManagement/directory/roleDefinitions",
        {
            "displayName": "Sneaky",
            "rolePermissions": [{"allowedResourceActions": ["microsoft.directory/groups/delete"]}],
        },
    )
    assert error_of(refused_role)[0] == 403
    builtin = api_as(factories.UserFactory(tenant=tenant, role="globalAdministrator")).delete(
        f"{V}/roleManagement/directory/roleDefinitions/{GROUPS_ADMIN_ID}"
    )
    assert error_of(builtin) == (400, "Request_BadRequest")


def test_another_tenants_roles_and_principals_are_not_found(api_as, admin, tenant):
    away_admin = factories.UserFactory(role="globalAdministrator")
    away_role = factories.CustomRoleFactory(tenant=away_admin.tenant)
    away_assignment = RoleAssignment.objects.get(principal_user=away_admin)
    api = api_as(admin)
    assert error_of(api.get(f"{V}/roleManagement/directory/roleDefinitions/{away_role.pk}"))[0] == 404
    assert error_of(api.get(f"{V}/roleManagement/directory/roleAssignments/{away_assignment.pk}"))[0] == 404
    assert (
        error_of(api.delete(f"{V}/roleManagement/directory/roleAssignments/{away_assignment.pk}"))[0] == 404
    )
    for body in (
        {"roleDefinitionId": GROUPS_ADMIN_ID, "principalId": str(away_admin.pk)},
        {"roleDefinitionId": str(away_role.pk), "principalId": str(admin.pk)},
        {
            "roleDefinitionId": GROUPS_ADMIN_ID,
            "principalId": str(admin.pk),
            "directoryScopeId": f"/{factories.GroupFactory().pk}",
        },
    ):
        assert error_of(api.post(f"{V}/roleManagement/directory/roleAssignments", body))[0] == 404
    listed = api.get(f"{V}/roleManagement/directory/roleAssignments").json()["value"]
    assert str(away_assignment.pk) not in {a["id"] for a in listed}
    assert RoleAssignment.objects.filter(tenant=away_admin.tenant).count() == 1
