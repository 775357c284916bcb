"""The services: authorization (Search Administrator), one audit event per change, validation, tenant
isolation."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied

from groups.connections import services, validation
from groups.connections.validation import MemberRef
from portal import roles
from portal.authz import can
from portal.errors import Conflict, Invalid, NotFound
from portal.models import AuditEvent
from tests import factories

pytestmark = pytest.mark.django_db


def test_it_audits_every_change_once(search_admin, connection, tenant):
    alice = factories.UserFactory(tenant=tenant)
    group = services.external_group_create(actor=search_admin, connection=connection, group_id="team")
    services.external_group_member_add(
        actor=search_admin, group=group, member=MemberRef("user", str(alice.pk))
    )
    body = {
        "acl": [{"type": "externalGroup", "value": "team", "accessType": "grant"}],
        "properties": {"title": "T"},
    }
    item, created = services.external_item_put(
        actor=search_admin, connection=connection, item_id="i1", spec=validation.item(body)
    )
    assert created
    services.external_item_put(
        actor=search_admin, connection=connection, item_id="i1", spec=validation.item(body)
    )
    services.external_group_member_remove(
        actor=search_admin, group=group, member=MemberRef("user", str(alice.pk))
    )
    services.external_item_delete(actor=search_admin, item=item)
    services.connection_delete(actor=search_admin, connection=connection)
    activities = list(
        AuditEvent.objects.filter(tenant=tenant, category="ExternalConnections")
        .order_by("activity_date_time", "id")
        .values_list("activity", flat=True)
    )
    assert activities == [
        "Add external connection",
        "Add external group",
        "Add member to external group",
        "Add external item",
        "Replace external item",
        "Remove member from external group",
        "Delete external item",
        "Delete external connection",
    ]


def test_only_search_and_global_administrators_manage_connections(tenant, groups_admin, admin_user, member):
    for refused in (groups_admin, member):
        with pytest.raises(PermissionDenied):
            services.connection_create(actor=refused, connection_id="abc", name="A")
    assert services.connection_create(actor=admin_user, connection_id="abc", name="A").pk
    assert (
        AuditEvent.objects.filter(tenant=tenant, activity="Add external connection", result="failure").count()
        == 2
    )


def test_it_refuses_bad_ids_and_duplicates(search_admin, connection):
    for bad in ("a" * 129, "has space", "é", ""):
        with pytest.raises(Invalid):
            services.external_group_create(actor=search_admin, connection=connection, group_id=bad)
    services.external_group_create(actor=search_admin, connection=connection, group_id="A-b_9" + "x" * 123)
    with pytest.raises(Conflict):
        services.external_group_create(
            actor=search_admin, connection=connection, group_id="A-b_9" + "x" * 123
        )
    for bad in ("ab", "x" * 33, "MicrosoftThing", "SharePoint", "with-dash"):
        with pytest.raises(Invalid):
            services.connection_create(actor=search_admin, connection_id=bad, name="N")


def test_members_come_from_the_same_tenant_and_connection(search_admin, connection, other_tenant):
    group = services.external_group_create(actor=search_admin, connection=connection, group_id="team")
    stranger = factories.UserFactory(tenant=other_tenant)
    foreign_group = factories.GroupFactory(tenant=other_tenant)
    other = services.connection_create(actor=search_admin, connection_id="other", name="Other")
    services.external_group_create(actor=search_admin, connection=other, group_id="elsewhere")
    for ref in (
        MemberRef("user", str(stranger.pk)),
        MemberRef("group", str(foreign_group.pk)),
        MemberRef("externalGroup", "elsewhere"),
    ):
        with pytest.raises(NotFound):
            services.external_group_member_add(actor=search_admin, group=group, member=ref)
    with pytest.raises(Invalid):
        services.external_group_member_add(
            actor=search_admin, group=group, member=MemberRef("externalGroup", "team")
        )


@pytest.mark.parametrize(
    "body",
    [
        {},
        {"acl": []},
        {"acl": [{"type": "robot", "value": "x", "accessType": "grant"}]},
        {"acl": [{"type": "user", "value": "not-a-guid", "accessType": "grant"}]},
        {"acl": [{"type": "user", "value": "6f1c8f36-5a7e-4f6e-9f59-6f0a1f0e6c11", "accessType": "maybe"}]},
        {"acl": [{"type": "everyone", "value": "t", "accessType": "grant"}], "properties": []},
        {"acl": [{"type": "everyone", "value": "t", "accessType": "grant"}], "content": {"type": "pdf"}},
        {"acl": [{"type": "group", "value": "bad id!", "accessType": "grant", "identitySource": "External"}]},
    ],
)
def test_it_refuses_bad_item_bodies(body):
    with pytest.raises(Invalid):
        validation.item(body)


def test_it_reads_every_spelling_of_members_and_acl_entries():
    gid = "6f1c8f36-5a7e-4f6e-9f59-6f0a1f0e6c11"
    assert validation.member({"id": "x", "type": "externalGroup"}) == MemberRef("externalGroup", "x")
    assert (
        validation.member({"id": "x", "type": "group", "identitySource": "External"}).kind == "externalGroup"
    )
    assert validation.member(
        {"id": gid.upper(), "type": "group", "identitySource": "Azure Active Directory"}
    ) == (MemberRef("group", gid))
    entry = validation.acl_entry(
        {"type": "group", "value": "x", "accessType": "deny", "identitySource": "external"}, 0
    )
    assert (entry.type, entry.value, entry.access_type) == ("externalGroup", "x", "deny")
    assert (
        validation.acl_entry({"type": "everyoneExceptGuests", "value": gid, "accessType": "grant"}, 0).value
        == ""
    )


def test_those_who_manage_connections_may_read_whom_the_acls_reach(search_admin, tenant):
    """ "Who can see this?" shows who is in directory groups, hidden-membership ones too: the role that
    manages connections reads groups, their members and users, so the pages show nothing beyond it."""
    hidden = factories.GroupFactory(tenant=tenant, visibility="HiddenMembership")
    assert can(search_admin, "members/read", hidden)
    assert can(search_admin, roles.USERS_READ)
    assert not can(search_admin, "members/update", hidden)
