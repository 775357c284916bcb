"""The demo's external connection (seed 001): a helpdesk whose tickets carry access lists naming people,
directory groups and nested external groups, one of them not created yet. Through the services, so the
audit log shows it; skipped when the connection is there."""

from __future__ import annotations

from groups.connections import services, validation
from groups.connections.models import ExternalConnection
from groups.connections.validation import MemberRef
from groups.models import Group
from portal.models import Tenant, User

TICKETS = [
    ("ticket-1001", "Error in the payment gateway", "<h1>Error in payment gateway</h1><p>Card payments fail.</p>",
     [("grant", "externalGroup", "escalations"), ("deny", "user", "guest@fabrikam.test")]),
    ("ticket-1002", "VPN certificate renewal", "The VPN certificate expires on Friday.",
     [("grant", "everyoneExceptGuests", ""), ("deny", "group", "finance-reviewers")]),
    ("ticket-1003", "New laptop for the finance team", "Ordering twelve laptops.",
     [("grant", "group", "finance-reviewers"), ("grant", "externalGroup", "procurement")]),
]  # fmt: skip


def demo_connection(tenant: Tenant, admin: User) -> None:
    if ExternalConnection.objects.filter(tenant=tenant, connection_id="contosohelpdesk").exists():
        return
    people = {u.user_principal_name: u for u in User.objects.for_tenant(tenant)}
    groups = {g.mail_nickname: g for g in Group.objects.for_tenant(tenant).alive()}
    connection = services.connection_create(
        actor=admin, connection_id="contosohelpdesk", name="Contoso Helpdesk", description="Support tickets"
    )
    tier1 = services.external_group_create(
        actor=admin, connection=connection, group_id="tier1", display_name="Tier 1 support"
    )
    escalations = services.external_group_create(
        actor=admin, connection=connection, group_id="escalations", display_name="Escalations"
    )
    for group, ref in (
        (tier1, MemberRef("user", str(people["user@contoso.test"].pk))),
        (tier1, MemberRef("group", str(groups["book-club"].pk))),
        (escalations, MemberRef("externalGroup", "tier1")),
        (escalations, MemberRef("user", str(people["owner@contoso.test"].pk))),
    ):
        services.external_group_member_add(actor=admin, group=group, member=ref)
    for item_id, title, html, acl in TICKETS:
        entries = [
            {"accessType": access, "type": kind, "value": _value(kind, value, people, groups, tenant)}
            for access, kind, value in acl
        ]
        body = {"acl": entries, "properties": {"title": title}, "content": {"type": "html", "value": html}}
        services.external_item_put(
            actor=admin, connection=connection, item_id=item_id, spec=validation.item(body)
        )


def _value(kind: str, value: str, people: dict, groups: dict, tenant: Tenant) -> str:
    if kind == "user":
        return str(people[value].pk)
    if kind == "group":
        return str(groups[value].pk)
    return value or str(tenant.pk)
