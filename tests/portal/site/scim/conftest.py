from __future__ import annotations

import pytest
from django.test import Client

from portal.tokens import api_token_create
from tests import factories


class Scim:
    """A SCIM client of one app: JSON in, JSON out, the token's header on every request."""

    def __init__(self, tenant, *, app: str = "Entra provisioning", role: str = "userAdministrator") -> None:
        self.tenant = tenant
        self.token, self.secret = api_token_create(tenant=tenant, actor="tests", app_name=app, role=role)
        self.app = self.token.service_principal
        self.client = Client(headers={"Authorization": f"Bearer {self.secret}"})

    def __call__(self, method: str, path: str, body=None, **extra):
        url = path if path.startswith("/") else f"/scim/v2/{path}"
        data = (
            ""
            if body is None
            else (body if isinstance(body, str | bytes) else __import__("json").dumps(body))
        )
        response = self.client.generic(method, url, data, content_type="application/scim+json", **extra)
        response.body = response.json() if response.content else None
        return response


@pytest.fixture
def tenant(db):
    return factories.TenantFactory(verified_domains=["contoso.test"])


@pytest.fixture
def scim(tenant):
    return Scim(tenant)
