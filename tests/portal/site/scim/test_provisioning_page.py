"""The Provisioning section: apps and their tokens (create, revoke), the last SCIM operations, counts per day."""

from __future__ import annotations

import json
import re

import pytest
from django.test import Client

from portal.models import ApiToken, AuditEvent
from tests import factories

pytestmark = pytest.mark.django_db

CORE = "urn:ietf:params:scim:schemas:core:2.0:User"


def test_an_administrator_makes_a_token_that_provisions_and_revokes_it(
    client, tenant, django_assert_max_num_queries
):
    admin = factories.UserFactory(tenant=tenant, role="globalAdministrator")
    client.force_login(admin)
    made = client.post("/settings/provisioning/", {"app_name": "Okta", "role": "userAdministrator"})
    assert made.status_code == 200
    secret = re.search(r"gd_[\w-]+", made.content.decode()).group()
    token = ApiToken.objects.get(service_principal__display_name="Okta")
    assert AuditEvent.objects.filter(activity="Add API token", actor_id=str(admin.pk)).exists()

    idp = Client(headers={"Authorization": f"Bearer {secret}"})
    idp.generic(
        "POST",
        "/scim/v2/Users",
        json.dumps({"schemas": [CORE], "userName": "x@contoso.test"}),
        content_type="application/scim+json",
    )
    idp.generic(
        "POST",
        "/scim/v2/Users",
        json.dumps({"schemas": [CORE], "userName": "x@contoso.test"}),
        content_type="application/scim+json",
    )
    with django_assert_max_num_queries(12):
        page = client.get("/settings/provisioning/").content.decode()
    assert "POST /scim/v2/Users" in page and "409 uniqueness" in page and "/scim/v2/" in page
    assert "<td>2</td><td>1</td>" in page  # today: two operations, one failed

    assert client.post(f"/settings/provisioning/tokens/{token.pk}/revoke/").status_code == 302
    assert idp.get("/scim/v2/Users").status_code == 401


def test_only_those_who_assign_roles_manage_provisioning(client, tenant):
    client.force_login(factories.UserFactory(tenant=tenant, role="groupsAdministrator"))
    assert client.get("/settings/provisioning/").status_code == 403
    assert (
        client.post("/settings/provisioning/", {"app_name": "X", "role": "userAdministrator"}).status_code
        == 403
    )
    assert not ApiToken.objects.exists()
