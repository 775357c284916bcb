"""The official Microsoft Graph Python SDK, pointed at this server, works for what is implemented."""

from __future__ import annotations

import pytest

from groups.models import CreatedIn, Group, Membership
from portal.services import SYSTEM
from portal.tokens import api_token_create
from tests import factories

try:
    from kiota_abstractions.api_error import APIError
    from kiota_abstractions.base_request_configuration import RequestConfiguration
    from msgraph.generated.groups.groups_request_builder import GroupsRequestBuilder
    from msgraph.generated.models.group import Group as GraphGroup
    from msgraph.generated.models.reference_create import ReferenceCreate
    from msgraph.generated.models.user import User as GraphUser
    from msgraph.generated.users.item.check_member_groups.check_member_groups_post_request_body import (
        CheckMemberGroupsPostRequestBody,
    )
    from msgraph_core.tasks.page_iterator import PageIterator

    SDK_MISSING = ""
except ImportError as exc:  # pragma: no cover - the dev extra installs it
    SDK_MISSING = f"msgraph-sdk isn't installed ({exc}): pip install -e '.[dev]'"

pytestmark = [
    pytest.mark.skipif(bool(SDK_MISSING), reason=SDK_MISSING or "-"),
    pytest.mark.django_db(transaction=True),
    # The SDK's generated classes warn about their own deprecated names.
    pytest.mark.filterwarnings("ignore::DeprecationWarning"),
]


def test_the_graph_sdk_lists_creates_adds_members_and_reads_them(graph_sdk):
    tenant = factories.TenantFactory()
    admin = factories.UserFactory(tenant=tenant, role="groupsAdministrator")
    alex = factories.UserFactory(tenant=tenant, display_name="Alex Wilber", department="Marketing")
    for n in range(5):
        factories.GroupFactory(tenant=tenant, display_name=f"Existing {n}")
    _, secret = api_token_create(tenant=tenant, actor=SYSTEM, user=admin)
    client, adapter, http = graph_sdk.client(secret)

    async def scenario():
        async with http:
            return await steps()

    async def steps():
        listed = await client.groups.get()
        assert sorted(g.display_name for g in listed.value) == [f"Existing {n}" for n in range(5)]

        # $top, $select, $filter, $count (with ConsistencyLevel: eventual), and paging with nextLink.
        config = RequestConfiguration(
            query_parameters=GroupsRequestBuilder.GroupsRequestBuilderGetQueryParameters(
                top=2, select=["id", "displayName"], filter="startswith(displayName,'Existing')", count=True
            )
        )
        config.headers.add("ConsistencyLevel", "eventual")
        page = await client.groups.get(request_configuration=config)
        assert page.odata_count == 5 and len(page.value) == 2 and page.odata_next_link
        seen = []
        iterator = PageIterator(page, adapter)
        await iterator.iterate(lambda group: seen.append(group.display_name) or True)
        assert sorted(seen) == [f"Existing {n}" for n in range(5)]

        created = await client.groups.post(
            GraphGroup(
                display_name="Made with the SDK",
                mail_nickname="madewithsdk",
                mail_enabled=False,
                security_enabled=True,
                description="From msgraph-sdk",
            )
        )
        assert created.id and created.security_enabled is True and created.group_types == []
        group = client.groups.by_group_id(created.id)
        await group.members.ref.post(
            ReferenceCreate(odata_id=f"https://graph.microsoft.com/v1.0/directoryObjects/{alex.pk}")
        )
        members = await group.members.get()
        assert [type(m) for m in members.value] == [GraphUser]
        assert members.value[0].display_name == "Alex Wilber" and members.value[0].department == "Marketing"

        user = await client.users.by_user_id(alex.user_principal_name).get()
        assert user.id == str(alex.pk)
        checked = await client.users.by_user_id(str(alex.pk)).check_member_groups.post(
            CheckMemberGroupsPostRequestBody(group_ids=[created.id])
        )
        assert checked.value == [created.id]

        # Graph errors come back as the SDK's error type, with Graph's codes.
        with pytest.raises(APIError) as missing:
            await client.groups.by_group_id("00000000-0000-0000-0000-000000000000").get()
        assert missing.value.response_status_code == 404
        assert missing.value.error.code == "Request_ResourceNotFound"
        await group.delete()
        return created.id

    # A thread of its own: Playwright's sync API may have left an event loop running in this one.
    group_id = graph_sdk.run(scenario())
    group = Group.objects.get(pk=group_id)
    assert group.created_in == CreatedIn.API and group.is_deleted
    assert Membership.objects.filter(group=group, member_user=alex).exists()
