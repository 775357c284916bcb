"""A Microsoft Entra provisioning cycle replayed request by request, with the payloads as Entra's
provisioning service sends them (Microsoft's "Develop and plan provisioning for a SCIM endpoint"
tutorial): the directory and the audit trail are checked after each step."""

from __future__ import annotations

import pytest

from groups.models import Group, Membership, MembershipType
from portal.models import AuditEvent, ProvisioningOperation, User
from tests import factories

pytestmark = pytest.mark.django_db

CORE = "urn:ietf:params:scim:schemas:core:2.0:User"
ENTERPRISE = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"
PATCH = "urn:ietf:params:scim:api:messages:2.0:PatchOp"
GROUP = "urn:ietf:params:scim:schemas:core:2.0:Group"
USER_NAME = "Test_User_ab6490ee-1e48-479e-a20b-2d77186b5dd1"


def events(scim, **filters):
    return list(
        AuditEvent.objects.filter(tenant=scim.tenant, actor_name=scim.app.display_name, **filters)
        .order_by("id")
        .values_list("activity", flat=True)
    )


def test_it_replays_an_entra_provisioning_cycle(scim, tenant):
    # 1. Entra looks the user up by userName before it creates them.
    looked_up = scim("GET", f'Users?filter=userName eq "{USER_NAME}"')
    assert looked_up.status_code == 200
    assert looked_up.body["totalResults"] == 0 and looked_up.body["Resources"] == []

    # 2. Create (a userName that isn't alias@verified-domain is kept verbatim as the sign-in name).
    created = scim(
        "POST",
        "Users",
        {
            "schemas": [CORE, ENTERPRISE],
            "externalId": "0a21f0f2-8d2a-4f8e-bf98-7363c4aed4ef",
            "userName": USER_NAME,
            "active": True,
            "emails": [{"primary": True, "type": "work", "value": "Test_User_fd0ea19b@testuser.com"}],
            "meta": {"resourceType": "User"},
            "name": {
                "formatted": "givenName familyName",
                "familyName": "familyName",
                "givenName": "givenName",
            },
            "roles": [],
            ENTERPRISE: {"department": "Engineering", "employeeNumber": "100009"},
        },
    )
    assert created.status_code == 201, created.body
    user = User.objects.get(pk=created.body["id"])
    assert created["Location"].endswith(f"/scim/v2/Users/{user.pk}")
    assert (user.user_principal_name, user.external_id, user.mail) == (
        USER_NAME,
        "0a21f0f2-8d2a-4f8e-bf98-7363c4aed4ef",
        "Test_User_fd0ea19b@testuser.com",
    )
    assert (user.given_name, user.surname, user.department, user.employee_id) == (
        "givenName",
        "familyName",
        "Engineering",
        "100009",
    )
    assert user.tenant == tenant and user.account_enabled
    assert events(scim) == ["Add user"]

    # 3. The same userName again: 409 uniqueness.
    again = scim("POST", "Users", {"schemas": [CORE], "userName": USER_NAME.upper()})
    assert again.status_code == 409 and again.body["scimType"] == "uniqueness"

    # 4. The lookup now finds them (userName compares without case).
    found = scim("GET", f'Users?filter=userName eq "{USER_NAME.lower()}"')
    assert [r["id"] for r in found.body["Resources"]] == [str(user.pk)]

    # 5. Update: Entra's filtered path and "op" in its own case.
    updated = scim(
        "PATCH",
        f"Users/{user.pk}",
        {
            "schemas": [PATCH],
            "Operations": [
                {
                    "op": "Replace",
                    "path": 'emails[type eq "work"].value',
                    "value": "updatedEmail@microsoft.com",
                },
                {"op": "Replace", "path": "name.familyName", "value": "updatedFamilyName"},
            ],
        },
    )
    assert updated.status_code == 200, updated.body
    user.refresh_from_db()
    assert (user.mail, user.surname) == ("updatedEmail@microsoft.com", "updatedFamilyName")
    assert events(scim) == ["Add user", "Update user"]

    # 6. The manager, as Entra sends it: a bare id.
    manager = factories.UserFactory(tenant=tenant)
    path = f"{ENTERPRISE}:manager"
    managed = scim(
        "PATCH",
        f"Users/{user.pk}",
        {"schemas": [PATCH], "Operations": [{"op": "Add", "path": path, "value": str(manager.pk)}]},
    )
    assert managed.status_code == 200, managed.body
    user.refresh_from_db()
    assert user.manager == manager
    assert managed.body[ENTERPRISE]["manager"]["value"] == str(manager.pk)

    # 7. A group, found by displayName first, then created; members added and removed Entra's way.
    assert (
        scim("GET", 'Groups?excludedAttributes=members&filter=displayName eq "Sales team"').body[
            "totalResults"
        ]
        == 0
    )
    group_created = scim(
        "POST",
        "Groups",
        {
            "schemas": [GROUP],
            "externalId": "8aa1a0c0-c4c3-4bc0-b4a5-2ef676900159",
            "displayName": "Sales team",
            "meta": {"resourceType": "Group"},
        },
    )
    assert group_created.status_code == 201, group_created.body
    group = Group.objects.get(pk=group_created.body["id"])
    assert group.provisioned_by == scim.app and group.external_id == "8aa1a0c0-c4c3-4bc0-b4a5-2ef676900159"
    add = {"op": "Add", "path": "members", "value": [{"$ref": None, "value": str(user.pk)}]}
    assert scim("PATCH", f"Groups/{group.pk}", {"schemas": [PATCH], "Operations": [add]}).status_code == 200
    assert Membership.objects.filter(group=group, member_user=user).exists()
    member_filter = scim("GET", f'Groups?filter=members[value eq "{user.pk}"]&excludedAttributes=members')
    assert [r["id"] for r in member_filter.body["Resources"]] == [str(group.pk)]
    remove = {"op": "Remove", "path": "members", "value": [{"$ref": None, "value": str(user.pk)}]}
    assert (
        scim("PATCH", f"Groups/{group.pk}", {"schemas": [PATCH], "Operations": [remove]}).status_code == 200
    )
    assert not Membership.objects.filter(group=group, member_user=user).exists()
    rename = {"op": "Replace", "path": "displayName", "value": "Sales team (EMEA)"}
    assert (
        scim("PATCH", f"Groups/{group.pk}", {"schemas": [PATCH], "Operations": [rename]}).status_code == 200
    )
    group.refresh_from_db()
    assert group.display_name == "Sales team (EMEA)"
    assert events(scim, target_id=str(group.pk)) == [
        "Add group",
        "Add member to group",
        "Remove member from group",
        "Update group",
    ]

    # 8. Disable with a string boolean: the account is disabled (a leaver, as the pages do it).
    scim("PATCH", f"Groups/{group.pk}", {"schemas": [PATCH], "Operations": [add]})
    disabled = scim(
        "PATCH",
        f"Users/{user.pk}",
        {"schemas": [PATCH], "Operations": [{"op": "Replace", "path": "active", "value": "False"}]},
    )
    assert disabled.status_code == 200 and disabled.body["active"] is False
    user.refresh_from_db()
    assert not user.account_enabled
    assert not Membership.objects.filter(member_user=user).exists()

    # 9. Delete: a soft delete; the user is gone from SCIM, restorable on the pages.
    assert scim("DELETE", f"Users/{user.pk}").status_code == 204
    user.refresh_from_db()
    assert user.deleted_date_time is not None
    assert scim("GET", f"Users/{user.pk}").status_code == 404
    assert scim("DELETE", f"Groups/{group.pk}").status_code == 204
    group.refresh_from_db()
    assert group.deleted_date_time is not None
    assert "Delete user" in events(scim) and "Delete group" in events(scim)
    # Every request is in the Provisioning section's log, with its result.
    statuses = list(
        ProvisioningOperation.objects.filter(service_principal=scim.app).values_list("status", flat=True)
    )
    assert 409 in statuses and statuses.count(204) == 2


def test_a_scim_attribute_change_moves_dynamic_memberships_at_once(scim, tenant):
    sales = factories.GroupFactory(
        tenant=tenant, membership_type=MembershipType.DYNAMIC, membership_rule='user.department -eq "Sales"'
    )
    user = factories.UserFactory(tenant=tenant, department="Engineering")
    replace = {"op": "replace", "path": f"{ENTERPRISE}:department", "value": "Sales"}
    moved = scim("PATCH", f"Users/{user.pk}", {"schemas": [PATCH], "Operations": [replace]})
    assert moved.status_code == 200, moved.body
    assert Membership.objects.filter(group=sales, member_user=user).exists()
    replace["value"] = "Marketing"
    assert scim("PATCH", f"Users/{user.pk}", {"schemas": [PATCH], "Operations": [replace]}).status_code == 200
    assert not Membership.objects.filter(group=sales, member_user=user).exists()
