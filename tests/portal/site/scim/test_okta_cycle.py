"""An Okta provisioning cycle replayed request by request, with the payloads as Okta sends them (Okta's
"SCIM 2.0" reference): ``application/scim+json``, lookups with startIndex/count, a create carrying
``password``/``locale``/``groups``, profile updates by PUT, deactivation by a PATCH without a path,
Group Push (create, rename by a whole-group replace, members add and remove by filtered path)."""

from __future__ import annotations

import pytest

from groups.models import Group, Membership
from portal.models import AuditEvent, User
from tests.portal.site.scim.conftest import Scim

pytestmark = pytest.mark.django_db

CORE = "urn:ietf:params:scim:schemas:core:2.0:User"
GROUP = "urn:ietf:params:scim:schemas:core:2.0:Group"
PATCH = "urn:ietf:params:scim:api:messages:2.0:PatchOp"


def trail(scim: Scim, target) -> list[str]:
    return list(
        AuditEvent.objects.filter(tenant=scim.tenant, target_id=str(target.pk), actor_name="Okta")
        .order_by("id")
        .values_list("activity", flat=True)
    )


def okta_user(**changes) -> dict:
    return {
        "schemas": [CORE],
        "userName": "john.doe@contoso.com",
        "name": {"givenName": "John", "familyName": "Doe"},
        "emails": [{"primary": True, "value": "john.doe@contoso.com", "type": "work"}],
        "displayName": "John Doe",
        "locale": "en-US",
        "externalId": "00ujl29u0le5T6Aj10h7",
        "groups": [],
        "password": "1mz050nq",
        "active": True,
        **changes,
    }


def test_it_replays_an_okta_provisioning_cycle(tenant):
    scim = Scim(tenant, app="Okta")
    lookup = scim("GET", 'Users?filter=userName eq "john.doe@contoso.com"&startIndex=1&count=100')
    assert lookup.status_code == 200 and lookup.body["totalResults"] == 0

    created = scim("POST", "Users", okta_user())
    assert created.status_code == 201, created.body
    user = User.objects.get(pk=created.body["id"])
    assert (user.user_principal_name, user.display_name, user.external_id) == (
        "john.doe@contoso.com",
        "John Doe",
        "00ujl29u0le5T6Aj10h7",
    )
    assert not user.has_usable_password()  # Okta's password is not kept: people sign in through the IdP
    assert trail(scim, user) == ["Add user"]

    # Profile push: GET, then PUT of the whole user.
    assert scim("GET", f"Users/{user.pk}").body["userName"] == "john.doe@contoso.com"
    put = scim(
        "PUT",
        f"Users/{user.pk}",
        okta_user(
            id=str(user.pk),
            name={"givenName": "John", "familyName": "Smith"},
            displayName="John Smith",
            title="Engineer",
            meta={"resourceType": "User"},
        ),
    )
    assert put.status_code == 200, put.body
    user.refresh_from_db()
    assert (user.surname, user.display_name, user.job_title) == ("Smith", "John Smith", "Engineer")
    assert trail(scim, user) == ["Add user", "Update user"]

    # Group Push.
    pushed = scim("POST", "Groups", {"schemas": [GROUP], "displayName": "Test SCIMv2", "members": []})
    assert pushed.status_code == 201, pushed.body
    group = Group.objects.get(pk=pushed.body["id"])
    renamed = scim(
        "PATCH",
        f"Groups/{group.pk}",
        {
            "schemas": [PATCH],
            "Operations": [
                {"op": "replace", "value": {"id": str(group.pk), "displayName": "Test SCIMv2 renamed"}}
            ],
        },
    )
    assert renamed.status_code == 200, renamed.body
    add = {
        "op": "add",
        "path": "members",
        "value": [{"value": str(user.pk), "display": "john.doe@contoso.com"}],
    }
    assert scim("PATCH", f"Groups/{group.pk}", {"schemas": [PATCH], "Operations": [add]}).status_code == 200
    group.refresh_from_db()
    assert group.display_name == "Test SCIMv2 renamed"
    assert Membership.objects.filter(group=group, member_user=user).exists()
    remove = {"op": "remove", "path": f'members[value eq "{user.pk}"]'}
    assert (
        scim("PATCH", f"Groups/{group.pk}", {"schemas": [PATCH], "Operations": [remove]}).status_code == 200
    )
    assert not Membership.objects.filter(group=group, member_user=user).exists()
    assert trail(scim, group) == [
        "Add group",
        "Update group",
        "Add member to group",
        "Remove member from group",
    ]

    # Deactivation: a replace without a path; reactivation the same way.
    for active in (False, True):
        body = {"schemas": [PATCH], "Operations": [{"op": "replace", "value": {"active": active}}]}
        answer = scim("PATCH", f"Users/{user.pk}", body)
        assert answer.status_code == 200 and answer.body["active"] is active
        user.refresh_from_db()
        assert user.account_enabled is active
    assert trail(scim, user)[-1] == "Restore leaver's groups"

    assert scim("DELETE", f"Groups/{group.pk}").status_code == 204
    assert scim("GET", f"Groups/{group.pk}").status_code == 404
