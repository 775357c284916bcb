from __future__ import annotations

import asyncio
import json
from concurrent.futures import ThreadPoolExecutor
from typing import Any
from urllib.parse import urlsplit

import pytest
from django.test import Client

from portal.services import SYSTEM
from portal.tokens import api_token_create

try:
    import httpx
    from kiota_abstractions.authentication import (
        AccessTokenProvider,
        AllowedHostsValidator,
        BaseBearerTokenAuthenticationProvider,
    )
    from msgraph import GraphRequestAdapter, GraphServiceClient
    from msgraph.graph_request_adapter import options as SDK_OPTIONS
    from msgraph_core import GraphClientFactory

    SDK_MISSING = ""
except ImportError as exc:  # pragma: no cover - the dev extra installs it
    SDK_MISSING = f"msgraph-sdk isn't installed ({exc}): pip install -e '.[dev]'"


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


class GraphSdk:
    """The official msgraph-sdk as ``GraphServiceClient`` builds it (its default middleware and options),
    pointed at the live server with a static bearer token."""

    def __init__(self, base_url: str) -> None:
        self.base_url = base_url

    def client(self, secret: str) -> tuple[Any, Any, Any]:
        """``(GraphServiceClient, its adapter, its httpx client)``: use the last in ``async with``."""
        host = urlsplit(self.base_url).netloc

        class StaticToken(AccessTokenProvider):
            async def get_authorization_token(self, uri, additional_authentication_context=None) -> str:
                return secret

            def get_allowed_hosts_validator(self) -> AllowedHostsValidator:
                return AllowedHostsValidator([host])

        # One connection per request: a keep-alive socket of this client closing later, in the live
        # server's thread, would close the shared in-memory SQLite connection under another test.
        http = GraphClientFactory.create_with_default_middleware(
            client=httpx.AsyncClient(headers={"Connection": "close"}), options=SDK_OPTIONS
        )
        adapter = GraphRequestAdapter(BaseBearerTokenAuthenticationProvider(StaticToken()), client=http)
        adapter.base_url = f"{self.base_url}/v1.0"  # before the client is made: it copies the base URL
        return GraphServiceClient(request_adapter=adapter), adapter, http

    @staticmethod
    def run(awaitable: Any) -> Any:
        """Run a scenario to its end on an event loop of its own thread (the live server answers meanwhile,
        and the test's thread keeps Django's synchronous database access)."""
        with ThreadPoolExecutor(max_workers=1) as pool:
            return pool.submit(asyncio.run, awaitable).result()


@pytest.fixture
def graph_sdk(live_server) -> GraphSdk:
    if SDK_MISSING:
        pytest.skip(SDK_MISSING)
    return GraphSdk(live_server.url)
