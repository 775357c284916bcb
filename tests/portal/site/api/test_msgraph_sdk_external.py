"""The official Microsoft Graph Python SDK (its v1.0 ``external`` surface), pointed at this server, creates
a connection, nested external groups with a person and a directory group in them, and an item with an
ACL; then the item reads back and search finds it for the person the ACL reaches."""

from __future__ import annotations

import pytest

from groups.connections import selectors
from groups.connections.models import ExternalConnection, ExternalGroupMember
from portal.services import SYSTEM
from portal.tokens import api_token_create
from tests import factories
from tests.portal.site.api.conftest import SDK_MISSING

try:
    from msgraph.generated.models.external_connectors.access_type import AccessType
    from msgraph.generated.models.external_connectors.acl import Acl
    from msgraph.generated.models.external_connectors.acl_type import AclType
    from msgraph.generated.models.external_connectors.external_connection import (
        ExternalConnection as Connection,
    )
    from msgraph.generated.models.external_connectors.external_group import ExternalGroup
    from msgraph.generated.models.external_connectors.external_item import ExternalItem
    from msgraph.generated.models.external_connectors.external_item_content import ExternalItemContent
    from msgraph.generated.models.external_connectors.external_item_content_type import (
        ExternalItemContentType,
    )
    from msgraph.generated.models.external_connectors.identity import Identity
    from msgraph.generated.models.external_connectors.identity_type import IdentityType
    from msgraph.generated.models.external_connectors.properties import Properties
except ImportError:  # pragma: no cover - SDK_MISSING says why
    pass

pytestmark = [
    pytest.mark.skipif(bool(SDK_MISSING), reason=SDK_MISSING or "-"),
    pytest.mark.django_db(transaction=True),
    pytest.mark.filterwarnings("ignore::DeprecationWarning"),
]


def test_the_graph_sdk_builds_a_connection_with_nested_external_groups_and_an_item(graph_sdk):
    tenant = factories.TenantFactory()
    admin = factories.UserFactory(tenant=tenant, role="searchAdministrator")
    alice = factories.UserFactory(tenant=tenant, display_name="Alice")
    bob = factories.UserFactory(tenant=tenant, display_name="Bob")
    tier = factories.GroupFactory(tenant=tenant, display_name="Tier 1", members=[bob])
    _, secret = api_token_create(tenant=tenant, actor=SYSTEM, user=admin)
    client, _adapter, http = graph_sdk.client(secret)

    async def steps():
        created = await client.external.connections.post(
            Connection(id="contosohr", name="Contoso HR", description="Tickets")
        )
        assert created.id == "contosohr" and created.name == "Contoso HR"
        hr = client.external.connections.by_external_connection_id("contosohr")
        for group_id in ("support", "escalations"):
            made = await hr.groups.post(ExternalGroup(id=group_id, display_name=group_id.title()))
            assert made.id == group_id
        support = hr.groups.by_external_group_id("support")
        await support.members.post(Identity(id=str(alice.pk), type=IdentityType.User))
        await support.members.post(Identity(id=str(tier.pk), type=IdentityType.Group))
        await hr.groups.by_external_group_id("escalations").members.post(
            Identity(id="support", type=IdentityType.ExternalGroup)
        )
        members = await hr.groups.by_external_group_id("escalations").members.get()
        assert [(m.id, m.type) for m in members.value] == [("support", IdentityType.ExternalGroup)]
        item = ExternalItem(
            acl=[
                Acl(type=AclType.ExternalGroup, value="escalations", access_type=AccessType.Grant),
                Acl(type=AclType.User, value=str(bob.pk), access_type=AccessType.Deny),
            ],
            properties=Properties(additional_data={"title": "Error in the payment gateway", "priority": 1}),
            content=ExternalItemContent(value="Card payments fail", type=ExternalItemContentType.Text),
        )
        await hr.items.by_external_item_id("ticket1").put(item)
        read = await hr.items.by_external_item_id("ticket1").get()
        assert [(a.type, a.value, a.access_type) for a in read.acl] == [
            (AclType.ExternalGroup, "escalations", AccessType.Grant),
            (AclType.User, str(bob.pk), AccessType.Deny),
        ]
        assert read.properties.additional_data["title"] == "Error in the payment gateway"
        assert read.content.type == ExternalItemContentType.Text

    async def scenario():
        async with http:
            await steps()

    graph_sdk.run(scenario())
    connection = ExternalConnection.objects.get(tenant=tenant, connection_id="contosohr")
    assert ExternalGroupMember.objects.filter(group__connection=connection).count() == 3
    assert [i.item_id for i in selectors.search_items(alice, [connection.pk], "payment").hits] == ["ticket1"]
    assert selectors.search_items(bob, [connection.pk], "payment").total == 0  # the deny wins
