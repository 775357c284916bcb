"""The official Microsoft Graph Python SDK, pointed at a live server, runs an admin's script unchanged:
group settings, the authorization policy, role definitions and assignments, delta rounds and $batch.

One scenario, each call asserting its result; the database is checked afterwards (the same values the
settings and roles pages show).
"""

from __future__ import annotations

import asyncio

import pytest

from groups.models import Group, Membership
from portal.models import AuditEvent, CustomRole, RoleAssignment, TenantGroupSettings, User
from portal.services import SYSTEM, user_update
from portal.site.api.views.roles import BUILTIN_IDS
from portal.site.api.views.settings import GROUP_UNIFIED_TEMPLATE_ID
from portal.tokens import api_token_create
from tests import factories

try:
    from kiota_abstractions.api_error import APIError
    from kiota_abstractions.base_request_configuration import RequestConfiguration
    from msgraph.generated.groups.delta.delta_request_builder import DeltaRequestBuilder as GroupDelta
    from msgraph.generated.models.allow_invites_from import AllowInvitesFrom
    from msgraph.generated.models.authorization_policy import AuthorizationPolicy
    from msgraph.generated.models.default_user_role_permissions import DefaultUserRolePermissions
    from msgraph.generated.models.group import Group as GraphGroup
    from msgraph.generated.models.group_setting import GroupSetting
    from msgraph.generated.models.reference_create import ReferenceCreate
    from msgraph.generated.models.setting_value import SettingValue
    from msgraph.generated.models.unified_role_assignment import UnifiedRoleAssignment
    from msgraph.generated.models.unified_role_definition import UnifiedRoleDefinition
    from msgraph.generated.models.unified_role_permission import UnifiedRolePermission
    from msgraph.generated.role_management.directory.role_assignments.role_assignments_request_builder import (
        RoleAssignmentsRequestBuilder,
    )
    from msgraph.generated.role_management.directory.role_definitions.role_definitions_request_builder import (
        RoleDefinitionsRequestBuilder,
    )
    from msgraph.generated.users.delta.delta_request_builder import DeltaRequestBuilder as UserDelta
    from msgraph_core.requests.batch_request_content import BatchRequestContent
    from msgraph_core.requests.batch_request_item import BatchRequestItem

    SDK_MISSING = ""
except ImportError as exc:  # pragma: no cover - the dev extra installs it
    SDK_MISSING = f"msgraph-sdk isn't installed ({exc}): pip install -e '.[dev]'"

pytestmark = [
    pytest.mark.skipif(bool(SDK_MISSING), reason=SDK_MISSING or "-"),
    pytest.mark.django_db(transaction=True),
    pytest.mark.filterwarnings("ignore::DeprecationWarning"),
]

GROUPS_ADMIN = BUILTIN_IDS["groupsAdministrator"]
GUEST_TEMPLATE_ID = "08d542b9-071f-4e16-94b0-74abb372e3d9"
MEMBERS_UPDATE = "microsoft.directory/groups/members/update"


def values(setting) -> dict[str, str]:
    return {v.name: v.value for v in setting.values}


async def settings_calls(client, tenant, creators) -> str:
    templates = await client.group_setting_templates.get()
    unified = next(t for t in templates.value if t.display_name == "Group.Unified")
    assert unified.id == GROUP_UNIFIED_TEMPLATE_ID
    assert {v.name for v in unified.values} >= {"EnableGroupCreation", "AllowToAddGuests", "EnableMIPLabels"}
    template = await client.group_setting_templates.by_group_setting_template_id(
        GROUP_UNIFIED_TEMPLATE_ID
    ).get()
    defaults = {v.name: v.default_value for v in template.values}
    assert defaults["EnableGroupCreation"] == "true" and defaults["AllowGuestsToBeGroupOwner"] == "false"

    assert (await client.group_settings.get()).value == []
    created = await client.group_settings.post(
        GroupSetting(
            template_id=GROUP_UNIFIED_TEMPLATE_ID,
            values=[
                SettingValue(name="EnableGroupCreation", value="false"),
                SettingValue(name="GroupCreationAllowedGroupId", value=str(creators.pk)),
                SettingValue(name="UsageGuidelinesUrl", value="https://contoso.example/rules"),
            ],
        )
    )
    assert created.id and created.display_name == "Group.Unified"
    assert values(created)["EnableGroupCreation"] == "false"
    listed = await client.group_settings.get()
    assert [s.id for s in listed.value] == [created.id]
    setting = client.group_settings.by_group_setting_id(created.id)
    await setting.patch(GroupSetting(values=[SettingValue(name="AllowToAddGuests", value="false")]))
    read = await setting.get()
    assert values(read)["AllowToAddGuests"] == "false" and values(read)["GroupCreationAllowedGroupId"] == str(
        creators.pk
    )

    with pytest.raises(APIError) as twice:
        await client.group_settings.post(GroupSetting(template_id=GROUP_UNIFIED_TEMPLATE_ID, values=[]))
    assert twice.value.response_status_code == 400 and twice.value.error.code == "Request_BadRequest"

    # A group's own settings object (Group.Unified.Guest).
    on_group = client.groups.by_group_id(str(creators.pk)).settings
    assert (await on_group.get()).value == []
    guest_setting = await on_group.post(
        GroupSetting(
            template_id=GUEST_TEMPLATE_ID, values=[SettingValue(name="AllowToAddGuests", value="false")]
        )
    )
    assert values(guest_setting) == {"AllowToAddGuests": "false"}
    read_back = await on_group.by_group_setting_id(guest_setting.id).get()
    assert read_back.display_name == "Group.Unified.Guest" and read_back.template_id == GUEST_TEMPLATE_ID
    return created.id


async def policy_calls(client) -> None:
    policy = await client.policies.authorization_policy.get()
    assert policy.allow_invites_from == AllowInvitesFrom.Everyone
    assert policy.default_user_role_permissions.allowed_to_read_other_users is True
    await client.policies.authorization_policy.patch(
        AuthorizationPolicy(allow_invites_from=AllowInvitesFrom.AdminsAndGuestInviters)
    )
    await client.policies.authorization_policy.patch(
        AuthorizationPolicy(
            default_user_role_permissions=DefaultUserRolePermissions(allowed_to_create_security_groups=False)
        )
    )
    again = await client.policies.authorization_policy.get()
    assert again.allow_invites_from == AllowInvitesFrom.AdminsAndGuestInviters
    assert again.default_user_role_permissions.allowed_to_create_security_groups is False


async def role_calls(client, helper, falcon) -> tuple[str, str]:
    definitions = await client.role_management.directory.role_definitions.get()
    names = {d.display_name for d in definitions.value}
    assert {"Global Administrator", "Groups Administrator", "Directory Readers"} <= names
    builtin = await client.role_management.directory.role_definitions.by_unified_role_definition_id(
        GROUPS_ADMIN
    ).get()
    assert (
        builtin.is_built_in is True and MEMBERS_UPDATE in builtin.role_permissions[0].allowed_resource_actions
    )

    custom = await client.role_management.directory.role_definitions.post(
        UnifiedRoleDefinition(
            display_name="Falcon helpers",
            description="Add and remove members",
            is_enabled=True,
            role_permissions=[UnifiedRolePermission(allowed_resource_actions=[MEMBERS_UPDATE])],
        )
    )
    assert custom.id and custom.is_built_in is False and custom.template_id == custom.id
    definition = client.role_management.directory.role_definitions.by_unified_role_definition_id(custom.id)
    await definition.patch(UnifiedRoleDefinition(description="Members of Falcon only"))
    assert (await definition.get()).description == "Members of Falcon only"
    config = RequestConfiguration(
        query_parameters=RoleDefinitionsRequestBuilder.RoleDefinitionsRequestBuilderGetQueryParameters(
            filter="isBuiltIn eq false"
        )
    )
    customs = await client.role_management.directory.role_definitions.get(request_configuration=config)
    assert [d.display_name for d in customs.value] == ["Falcon helpers"]

    assignment = await client.role_management.directory.role_assignments.post(
        UnifiedRoleAssignment(
            role_definition_id=custom.id, principal_id=str(helper.pk), directory_scope_id=f"/{falcon.pk}"
        )
    )
    assert assignment.id and assignment.directory_scope_id == f"/{falcon.pk}"
    config = RequestConfiguration(
        query_parameters=RoleAssignmentsRequestBuilder.RoleAssignmentsRequestBuilderGetQueryParameters(
            filter=f"principalId eq '{helper.pk}'", expand=["principal"]
        )
    )
    found = await client.role_management.directory.role_assignments.get(request_configuration=config)
    assert [a.id for a in found.value] == [assignment.id]
    assert found.value[0].principal.id == str(helper.pk)
    single = await client.role_management.directory.role_assignments.by_unified_role_assignment_id(
        assignment.id
    ).get()
    assert single.role_definition_id == custom.id
    tenant_wide = await client.role_management.directory.role_assignments.post(
        UnifiedRoleAssignment(
            role_definition_id=GROUPS_ADMIN, principal_id=str(helper.pk), directory_scope_id="/"
        )
    )
    await client.role_management.directory.role_assignments.by_unified_role_assignment_id(
        tenant_wide.id
    ).delete()
    return custom.id, assignment.id


async def delta_calls(client, admin_id, falcon, newcomer) -> None:
    config = RequestConfiguration(
        query_parameters=UserDelta.DeltaRequestBuilderGetQueryParameters(select=["displayName", "department"])
    )
    first = await client.users.delta.get(request_configuration=config)
    assert first.odata_delta_link and len(first.value) >= 3
    group_config = RequestConfiguration(
        query_parameters=GroupDelta.DeltaRequestBuilderGetQueryParameters(select=["displayName", "members"])
    )
    groups_first = await client.groups.delta.get(request_configuration=group_config)
    assert str(falcon.pk) in {g.id for g in groups_first.value} and groups_first.odata_delta_link

    # Changes between the rounds, made through the API as a script would.
    await client.groups.by_group_id(str(falcon.pk)).members.ref.post(
        ReferenceCreate(odata_id=f"https://graph.microsoft.com/v1.0/directoryObjects/{newcomer.pk}")
    )
    await client.groups.by_group_id(str(falcon.pk)).patch(GraphGroup(description="Renamed in between"))
    await asyncio.to_thread(_change_department, newcomer.pk, admin_id)

    users_next = await client.users.delta.with_url(first.odata_delta_link).get()
    assert [(u.id, u.department) for u in users_next.value] == [(str(newcomer.pk), "Flight")]
    groups_next = await client.groups.delta.with_url(groups_first.odata_delta_link).get()
    changed = {g.id: g for g in groups_next.value}
    assert set(changed) == {str(falcon.pk)}
    members_delta = changed[str(falcon.pk)].additional_data["members@delta"]
    # (The SDK parses the ids of untyped data into UUIDs.)
    assert [(m["@odata.type"], str(m["id"])) for m in members_delta] == [
        ("#microsoft.graph.user", str(newcomer.pk))
    ]
    quiet = await client.users.delta.with_url(users_next.odata_delta_link).get()
    assert quiet.value == []


def _change_department(user_id, admin_id) -> None:
    user_update(
        actor=User.objects.get(pk=admin_id),
        user=User.objects.get(pk=user_id),
        changes={"department": "Flight"},
    )


async def batch_calls(client, adapter, falcon, newcomer) -> None:
    content = BatchRequestContent()
    read_group = BatchRequestItem(
        client.groups.by_group_id(str(falcon.pk)).to_get_request_information(), id="group"
    )
    missing = BatchRequestItem(
        client.groups.by_group_id("00000000-0000-0000-0000-000000000000").to_get_request_information(),
        id="missing",
    )
    after = BatchRequestItem(
        client.users.by_user_id(str(newcomer.pk)).to_get_request_information(), id="after"
    )
    after.set_depends_on(["missing"])
    for item in (read_group, missing, after):
        content.add_request(item.id, item)
    result = await client.batch.post(batch_request_content=content)
    statuses = result.get_response_status_codes()
    assert statuses == {"group": 200, "missing": 404, "after": 424}
    assert result.get_response_by_id("group").status == 200


def test_it_runs_an_admin_script_of_settings_roles_delta_and_batch_through_the_sdk(graph_sdk):
    tenant = factories.TenantFactory()
    admin = factories.UserFactory(tenant=tenant, role="globalAdministrator", display_name="Admin")
    helper = factories.UserFactory(tenant=tenant, display_name="Helper")
    newcomer = factories.UserFactory(tenant=tenant, display_name="Newcomer")
    creators = factories.GroupFactory(tenant=tenant, display_name="Creators")
    falcon = factories.GroupFactory(tenant=tenant, display_name="Falcon")
    _, secret = api_token_create(tenant=tenant, actor=SYSTEM, user=admin)
    client, adapter, http = graph_sdk.client(secret)

    async def scenario():
        async with http:
            setting_id = await settings_calls(client, tenant, creators)
            await policy_calls(client)
            role_id, assignment_id = await role_calls(client, helper, falcon)
            await delta_calls(client, admin.pk, falcon, newcomer)
            await batch_calls(client, adapter, falcon, newcomer)
            # The clean-up calls, last: what the pages see afterwards is checked below.
            await client.role_management.directory.role_definitions.by_unified_role_definition_id(
                role_id
            ).delete()
            await client.group_settings.by_group_setting_id(setting_id).delete()
            return role_id, assignment_id

    role_id, assignment_id = graph_sdk.run(scenario())

    stored = TenantGroupSettings.objects.get(tenant=tenant)
    assert stored.group_unified_setting_id is None and stored.users_can_create_m365_groups is True
    assert (
        stored.allow_invites_from == "adminsAndGuestInviters"
        and stored.users_can_create_security_groups is False
    )
    assert not CustomRole.objects.filter(pk=role_id).exists()
    assert Group.objects.get(pk=creators.pk).allows_guests is False
    assert not RoleAssignment.objects.filter(pk=assignment_id).exists()
    assert Membership.objects.filter(group=falcon, member_user=newcomer).exists()
    assert Group.objects.get(pk=falcon.pk).description == "Renamed in between"
    activities = set(AuditEvent.objects.filter(tenant=tenant).values_list("activity", flat=True))
    assert {
        "Add group settings",
        "Update group settings",
        "Delete group settings",
        "Update authorization policy",
        "Add role definition",
        "Update role definition",
        "Delete role definition",
        "Add member to role",
        "Remove member from role",
    } <= activities
