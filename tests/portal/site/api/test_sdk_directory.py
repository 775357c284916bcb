"""Issue 11 part 1, through the official Microsoft Graph SDK against a live server, as a new user's
script would call it: casts, properties, query options, the directory endpoints and Graph's errors.
Each call asserts its result (``CALLS`` counts them: the test says how many distinct calls it made)."""

from __future__ import annotations

import asyncio

import pytest

from groups.models import GroupKind, MembershipType, RuleChangeHold
from portal.models import User
from portal.services import SYSTEM
from portal.tokens import api_token_create
from tests import factories
from tests.portal.site.api.conftest import SDK_MISSING

if not SDK_MISSING:
    from kiota_abstractions.api_error import APIError
    from kiota_abstractions.base_request_configuration import RequestConfiguration
    from msgraph.generated.directory_objects.get_by_ids.get_by_ids_post_request_body import (
        GetByIdsPostRequestBody,
    )
    from msgraph.generated.groups.groups_request_builder import GroupsRequestBuilder
    from msgraph.generated.groups.item.group_item_request_builder import GroupItemRequestBuilder
    from msgraph.generated.models.group import Group as GraphGroup
    from msgraph.generated.models.password_profile import PasswordProfile
    from msgraph.generated.models.reference_create import ReferenceCreate
    from msgraph.generated.models.reference_update import ReferenceUpdate
    from msgraph.generated.models.user import User as GraphUser
    from msgraph.generated.users.item.check_member_objects.check_member_objects_post_request_body import (
        CheckMemberObjectsPostRequestBody,
    )
    from msgraph.generated.users.item.get_member_groups.get_member_groups_post_request_body import (
        GetMemberGroupsPostRequestBody,
    )
    from msgraph.generated.users.item.get_member_objects.get_member_objects_post_request_body import (
        GetMemberObjectsPostRequestBody,
    )
    from msgraph.generated.users.item.user_item_request_builder import UserItemRequestBuilder
    from msgraph.generated.users.users_request_builder import UsersRequestBuilder
    from msgraph_core.tasks.page_iterator import PageIterator

pytestmark = [
    pytest.mark.skipif(bool(SDK_MISSING), reason=SDK_MISSING or "-"),
    pytest.mark.django_db(transaction=True),
    pytest.mark.filterwarnings("ignore::DeprecationWarning"),
]

PASSWORD = "xWwvJ]6NMw+bWH-d"


def _config(query=None, *, eventual=False):
    config = RequestConfiguration(query_parameters=query)
    if eventual:
        config.headers.add("ConsistencyLevel", "eventual")
    return config


def _users_query(**kwargs):
    return UsersRequestBuilder.UsersRequestBuilderGetQueryParameters(**kwargs)


class Calls:
    """Counts the SDK calls the scenario makes (each followed by its assertion)."""

    def __init__(self) -> None:
        self.names: list[str] = []

    def __call__(self, name: str, awaitable):
        self.names.append(name)
        return awaitable


async def _raises(awaitable) -> APIError:
    try:
        await awaitable
    except APIError as exc:
        return exc
    raise AssertionError("the call succeeded; a Graph error was expected")


def _world():
    tenant = factories.TenantFactory()
    admin = factories.UserFactory(tenant=tenant, role="globalAdministrator", display_name="Admin")
    alex = factories.UserFactory(
        tenant=tenant, display_name="Alex Wilber", user_principal_name=f"alexw@{tenant.default_domain}"
    )
    megan = factories.UserFactory(tenant=tenant, display_name="Megan Bowen", manager=alex)
    device = factories.DeviceFactory(tenant=tenant, display_name="LAPTOP-1")
    app = factories.ServicePrincipalFactory(tenant=tenant, display_name="Payroll")
    inner = factories.GroupFactory(tenant=tenant, display_name="Inner", members=[megan])
    outer = factories.GroupFactory(
        tenant=tenant, display_name="Outer", members=[alex, inner, device, app], owners=[alex]
    )
    unified = factories.GroupFactory(tenant=tenant, display_name="Unified", kind=GroupKind.MICROSOFT_365)
    dynamic = factories.GroupFactory(
        tenant=tenant,
        display_name="Dynamic",
        membership_type=MembershipType.DYNAMIC,
        membership_rule='user.department -eq "Sales"',
    )
    for n in range(5):
        factories.UserFactory(tenant=tenant, display_name=f"Paged {n}", department="Paging")
    _, secret = api_token_create(tenant=tenant, actor=SYSTEM, user=admin)
    _, app_secret = api_token_create(
        tenant=tenant, actor=SYSTEM, app_name="audit", role="groupsAdministrator"
    )
    return locals()


async def _casts_and_relations(client, w, call):
    outer = client.groups.by_group_id(str(w["outer"].pk))
    users = await call("members/graph.user", outer.members.graph_user.get())
    assert [u.id for u in users.value] == [str(w["alex"].pk)]
    groups = await call("members/graph.group", outer.members.graph_group.get())
    assert [g.display_name for g in groups.value] == ["Inner"]
    devices = await call("members/graph.device", outer.members.graph_device.get())
    assert [d.display_name for d in devices.value] == ["LAPTOP-1"]
    apps = await call("members/graph.servicePrincipal", outer.members.graph_service_principal.get())
    assert [a.display_name for a in apps.value] == ["Payroll"]
    transitive = await call("transitiveMembers/graph.user", outer.transitive_members.graph_user.get())
    assert {u.display_name for u in transitive.value} == {"Alex Wilber", "Megan Bowen"}
    owners = await call("owners/graph.user", outer.owners.graph_user.get())
    assert [o.id for o in owners.value] == [str(w["alex"].pk)]
    megan = client.users.by_user_id(str(w["megan"].pk))
    member_of = await call("users/memberOf/graph.group", megan.member_of.graph_group.get())
    assert [g.display_name for g in member_of.value] == ["Inner"]
    reached = await call("users/transitiveMemberOf/graph.group", megan.transitive_member_of.graph_group.get())
    assert {g.display_name for g in reached.value} == {"Inner", "Outer"}
    nested = client.groups.by_group_id(str(w["inner"].pk))
    parents = await call("groups/memberOf/graph.group", nested.member_of.graph_group.get())
    assert [g.display_name for g in parents.value] == ["Outer"]
    count = await call("members/$count", outer.members.count.get(_config(eventual=True)))
    assert count == 4
    user_count = await call(
        "members/graph.user/$count", outer.members.graph_user.count.get(_config(eventual=True))
    )
    assert user_count == 1


async def _properties_and_queries(client, w, call, adapter):
    query = UserItemRequestBuilder.UserItemRequestBuilderGetQueryParameters(
        select=[
            "displayName",
            "signInActivity",
            "onPremisesImmutableId",
            "securityIdentifier",
            "assignedLicenses",
        ]
    )
    user = await call(
        "$select unknown-but-valid", client.users.by_user_id(str(w["alex"].pk)).get(_config(query))
    )
    assert user.display_name == "Alex Wilber" and user.sign_in_activity is None
    assert user.on_premises_immutable_id is None and user.security_identifier.startswith("S-1-12-1-")
    assert user.assigned_licenses == []
    ends = _users_query(filter=f"endsWith(userPrincipalName,'@{w['tenant'].default_domain}')", count=True)
    found = await call("endsWith", client.users.get(_config(ends, eventual=True)))
    assert [u.display_name for u in found.value] == ["Alex Wilber"] and found.odata_count == 1
    searched = await call(
        "$search", client.users.get(_config(_users_query(search='"displayName:wil"'), eventual=True))
    )
    assert [u.display_name for u in searched.value] == ["Alex Wilber"]
    groups = GroupsRequestBuilder.GroupsRequestBuilderGetQueryParameters(search='"displayName:out"')
    found_groups = await call("groups $search", client.groups.get(_config(groups, eventual=True)))
    assert [g.display_name for g in found_groups.value] == ["Outer"]
    expand = GroupItemRequestBuilder.GroupItemRequestBuilderGetQueryParameters(
        expand=["members($select=id,displayName)"]
    )
    expanded = await call(
        "$expand members", client.groups.by_group_id(str(w["outer"].pk)).get(_config(expand))
    )
    assert len(expanded.members) == 4 and {m.odata_type for m in expanded.members} >= {
        "#microsoft.graph.user"
    }
    manager_expand = UserItemRequestBuilder.UserItemRequestBuilderGetQueryParameters(expand=["manager"])
    with_manager = await call(
        "$expand manager", client.users.by_user_id(str(w["megan"].pk)).get(_config(manager_expand))
    )
    assert with_manager.manager.id == str(w["alex"].pk)
    total = await call("users/$count", client.users.count.get(_config(eventual=True)))
    assert total == 8  # the admin, Alex, Megan and five paged users
    refused = await call(
        "$orderby+$filter refused",
        _raises(
            client.users.get(_config(_users_query(orderby=["displayName"], filter="department eq 'Paging'")))
        ),
    )
    assert refused.response_status_code == 400 and refused.error.code == "Request_UnsupportedQuery"
    paged = await call(
        "paged $filter",
        client.users.get(_config(_users_query(filter="department eq 'Paging'", top=2))),
    )
    seen = []
    await PageIterator(paged, adapter).iterate(lambda u: seen.append(u.display_name) or True)
    assert sorted(seen) == [f"Paged {n}" for n in range(5)]
    on = GroupsRequestBuilder.GroupsRequestBuilderGetQueryParameters(
        filter="membershipRuleProcessingState eq 'On'"
    )
    dynamic = await call("processing state filter", client.groups.get(_config(on)))
    assert [g.display_name for g in dynamic.value] == ["Dynamic"]


async def _users_and_manager(client, w, call):
    created = await call(
        "POST /users",
        client.users.post(
            GraphUser(
                account_enabled=True,
                display_name="Adele Vance",
                mail_nickname="adelev",
                user_principal_name=f"adelev@{w['tenant'].default_domain}",
                password_profile=PasswordProfile(force_change_password_next_sign_in=True, password=PASSWORD),
            )
        ),
    )
    assert created.id and created.display_name == "Adele Vance"
    no_password = await call(
        "POST /users without passwordProfile",
        _raises(
            client.users.post(
                GraphUser(
                    account_enabled=True,
                    display_name="No Password",
                    mail_nickname="nopass",
                    user_principal_name=f"nopass@{w['tenant'].default_domain}",
                )
            )
        ),
    )
    assert no_password.error.code == "Request_BadRequest"
    assert no_password.error.message == "A password must be specified to create a new user."
    taken = await call(
        "POST /users with a taken userPrincipalName",
        _raises(
            client.users.post(
                GraphUser(
                    account_enabled=True,
                    display_name="Adele Again",
                    mail_nickname="adelev2",
                    user_principal_name=f"adelev@{w['tenant'].default_domain}",
                    password_profile=PasswordProfile(password=PASSWORD),
                )
            )
        ),
    )
    assert (
        taken.error.message
        == "Another object with the same value for property userPrincipalName already exists."
    )
    adele = client.users.by_user_id(created.id)
    reference = ReferenceUpdate(odata_id=f"https://graph.microsoft.com/v1.0/users/{w['megan'].pk}")
    await call("PUT manager/$ref", adele.manager.ref.put(reference))
    boss = await call("GET manager", adele.manager.get())
    assert boss.id == str(w["megan"].pk) and boss.odata_type == "#microsoft.graph.user"
    reports = await call(
        "GET directReports", client.users.by_user_id(str(w["megan"].pk)).direct_reports.get()
    )
    assert [r.id for r in reports.value] == [created.id]
    await call("DELETE manager/$ref", adele.manager.ref.delete())
    none = await call("GET manager when none", _raises(adele.manager.get()))
    assert none.response_status_code == 404
    await call("DELETE /users", adele.delete())
    deleted = await call("deletedItems/graph.user", client.directory.deleted_items.graph_user.get())
    assert [u.id for u in deleted.value] == [created.id]
    item = client.directory.deleted_items.by_directory_object_id(created.id)
    got = await call("deletedItems/{id}", item.get())
    assert got.odata_type == "#microsoft.graph.user"
    restored = await call("deletedItems/{id}/restore", item.restore.post())
    assert restored.id == created.id
    await call("DELETE /users again", adele.delete())
    await call("DELETE deletedItems/{id}", item.delete())
    assert not await asyncio.to_thread(User.objects.filter(pk=created.id).exists)


async def _functions_and_objects(client, w, call):
    megan = client.users.by_user_id(str(w["megan"].pk))
    groups = await call(
        "getMemberGroups",
        megan.get_member_groups.post(GetMemberGroupsPostRequestBody(security_enabled_only=True)),
    )
    assert set(groups.value) == {str(w["inner"].pk), str(w["outer"].pk)}
    objects = await call(
        "getMemberObjects",
        megan.get_member_objects.post(GetMemberObjectsPostRequestBody(security_enabled_only=False)),
    )
    assert set(objects.value) == {str(w["inner"].pk), str(w["outer"].pk)}
    checked = await call(
        "checkMemberObjects",
        megan.check_member_objects.post(
            CheckMemberObjectsPostRequestBody(ids=[str(w["outer"].pk), str(w["unified"].pk)])
        ),
    )
    assert checked.value == [str(w["outer"].pk)]
    mine = await call(
        "me/getMemberGroups", client.me.get_member_groups.post(GetMemberGroupsPostRequestBody())
    )
    assert mine.value == []
    by_ids = await call(
        "getByIds",
        client.directory_objects.get_by_ids.post(
            GetByIdsPostRequestBody(ids=[str(w["device"].pk), str(w["alex"].pk)], types=["user", "device"])
        ),
    )
    assert [o.odata_type for o in by_ids.value] == ["#microsoft.graph.device", "#microsoft.graph.user"]
    devices = await call("GET /devices", client.devices.get())
    assert [d.display_name for d in devices.value] == ["LAPTOP-1"]
    device = await call("GET /devices/{id}", client.devices.by_device_id(str(w["device"].pk)).get())
    assert device.operating_system == "Windows"
    apps = await call("GET /servicePrincipals", client.service_principals.get())
    assert {a.display_name for a in apps.value} == {"Payroll", "audit"}  # the app token's own too
    app = await call(
        "GET /servicePrincipals/{id}",
        client.service_principals.by_service_principal_id(str(w["app"].pk)).get(),
    )
    assert app.app_id == str(w["app"].app_id)
    groups_query = GroupsRequestBuilder.GroupsRequestBuilderGetQueryParameters
    counted = await call(
        "groups/$count with $filter",
        client.groups.count.get(_config(groups_query(filter="startswith(displayName,'In')"), eventual=True)),
    )
    assert counted == 1
    unified = client.groups.by_group_id(str(w["unified"].pk))
    await call("DELETE /groups/{id}", unified.delete())
    gone = await call("deletedItems/graph.group", client.directory.deleted_items.graph_group.get())
    assert [g.display_name for g in gone.value] == ["Unified"]
    back = await call(
        "restore a group",
        client.directory.deleted_items.by_directory_object_id(str(w["unified"].pk)).restore.post(),
    )
    assert back.odata_type == "#microsoft.graph.group" and back.deleted_date_time is None


async def _errors_and_groups(client, app_client, w, call, base_url):
    outer = client.groups.by_group_id(str(w["outer"].pk))
    again = await call(
        "add an existing member",
        _raises(
            outer.members.ref.post(
                ReferenceCreate(odata_id=f"https://graph.microsoft.com/v1.0/directoryObjects/{w['alex'].pk}")
            )
        ),
    )
    assert again.error.code == "Request_BadRequest"
    assert again.error.message == (
        "One or more added object references already exist for the following modified properties: 'members'."
    )
    assert again.response_headers.get("request-id")
    nested = await call(
        "Microsoft 365 group into a security group",
        _raises(
            outer.members.ref.post(
                ReferenceCreate(odata_id=f"https://graph.microsoft.com/v1.0/groups/{w['unified'].pk}")
            )
        ),
    )
    assert nested.response_status_code == 400
    last = await call(
        "remove the last owner", _raises(outer.owners.by_directory_object_id(str(w["alex"].pk)).ref.delete())
    )
    assert last.error.message == "The group must have at least one owner, hence this owner cannot be removed."
    unknown = await call(
        "unknown segment",
        _raises(client.users.with_url(f"{base_url}/v1.0/users/{w['alex'].pk}/calendarView").get()),
    )
    assert unknown.error.code == "BadRequest"
    assert unknown.error.message == "Resource not found for the segment 'calendarView'."
    dynamic = app_client.groups.by_group_id(str(w["dynamic"].pk))
    await call(
        "app PATCH membershipRule", dynamic.patch(GraphGroup(membership_rule='user.department -eq "Paging"'))
    )
    members = await call("dynamic members", client.groups.by_group_id(str(w["dynamic"].pk)).members.get())
    assert len(members.value) == 5
    held = await call(
        "held rule change", _raises(dynamic.patch(GraphGroup(membership_rule='user.department -eq "Nobody"')))
    )
    assert held.response_status_code == 409 and held.error.code == "Groupdesk_RuleChangeHeld"
    assert await asyncio.to_thread(RuleChangeHold.objects.filter(group=w["dynamic"], status="pending").exists)


def test_the_sdk_runs_a_directory_script_unchanged(graph_sdk):
    w = _world()
    client, adapter, http = graph_sdk.client(w["secret"])
    app_client, _, app_http = graph_sdk.client(w["app_secret"])
    call = Calls()

    async def scenario():
        async with http, app_http:
            await _casts_and_relations(client, w, call)
            await _properties_and_queries(client, w, call, adapter)
            await _users_and_manager(client, w, call)
            await _functions_and_objects(client, w, call)
            await _errors_and_groups(client, app_client, w, call, graph_sdk.base_url)

    graph_sdk.run(scenario())
    assert len(set(call.names)) >= 55, call.names
