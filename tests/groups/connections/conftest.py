from __future__ import annotations

import pytest

from groups.connections import services, validation
from groups.connections.validation import MemberRef
from tests import factories


@pytest.fixture
def search_admin(tenant):
    return factories.UserFactory(tenant=tenant, role="searchAdministrator")


@pytest.fixture
def connection(search_admin):
    return services.connection_create(actor=search_admin, connection_id="contosohr", name="Contoso HR")


class World:
    """A connection with helpers that go through the services, as the API and pages do."""

    def __init__(self, actor, connection):
        self.actor, self.connection = actor, connection

    def group(self, group_id, *members):
        group = services.external_group_create(
            actor=self.actor, connection=self.connection, group_id=group_id
        )
        for m in members:
            self.add(group, m)
        return group

    def add(self, group, member):
        if isinstance(member, str):
            ref = MemberRef("externalGroup", member)
        else:
            ref = MemberRef("user" if type(member).__name__ == "User" else "group", str(member.pk))
        services.external_group_member_add(actor=self.actor, group=group, member=ref)

    def item(self, item_id, *acl, title="An item", content="payment gateway error"):
        body = {
            "acl": [
                {"accessType": access, "type": kind, "value": str(getattr(value, "pk", value))}
                for access, kind, value in acl
            ],
            "properties": {"title": title},
            "content": {"type": "text", "value": content},
        }
        return services.external_item_put(
            actor=self.actor, connection=self.connection, item_id=item_id, spec=validation.item(body)
        )[0]


@pytest.fixture
def world(search_admin, connection):
    return World(search_admin, connection)
