from __future__ import annotations

import json
from typing import Any

import pytest
from django.test import Client

from portal.services import SYSTEM
from portal.tokens import api_token_create


class Api:
    """A Graph client in miniature: every call carries one bearer token (or none)."""

    def __init__(self, client: Client, secret: str | None) -> None:
        self.client = client
        self.secret = secret

    def _headers(self, extra: dict[str, str] | None) -> dict[str, str]:
        headers = dict(extra or {})
        if self.secret is not None:
            headers.setdefault("Authorization", f"Bearer {self.secret}")
        return headers

    def get(self, path: str, headers: dict[str, str] | None = None, **params: Any):
        return self.client.get(path, params or None, headers=self._headers(headers))

    def post(self, path: str, body: Any = None, raw: str | None = None, headers=None):
        data = raw if raw is not None else json.dumps(body if body is not None else {})
        return self.client.post(path, data, content_type="application/json", headers=self._headers(headers))

    def patch(self, path: str, body: Any = None, raw: str | None = None):
        data = raw if raw is not None else json.dumps(body if body is not None else {})
        return self.client.patch(path, data, content_type="application/json", headers=self._headers(None))

    def delete(self, path: str):
        return self.client.delete(path, headers=self._headers(None))


@pytest.fixture
def api_as(client):
    """``api_as(user)`` or ``api_as(app="Name", role="groupsAdministrator", tenant=t)``: an Api client."""

    def make(user=None, *, app: str | None = None, role: str | None = None, tenant=None) -> Api:
        tenant = tenant or user.tenant
        _, secret = api_token_create(tenant=tenant, actor=SYSTEM, user=user, app_name=app, role=role)
        return Api(Client(), secret)

    return make


@pytest.fixture
def anonymous_api():
    return Api(Client(), None)


def error_of(response) -> tuple[int, str]:
    body = response.json()
    assert set(body) == {"error"}, body
    assert body["error"]["message"], body
    return response.status_code, body["error"]["code"]


def ref(obj) -> dict[str, str]:
    return {"@odata.id": f"https://graph.microsoft.com/v1.0/directoryObjects/{obj.pk}"}
