"""scim2-tester's check_server against the endpoint, in process (scim2-client's WSGI engine)."""

from __future__ import annotations

import pytest
from django.core.wsgi import get_wsgi_application
from scim2_client.engines.wsgi import WSGISCIMClient
from scim2_tester import Status, check_server

pytestmark = pytest.mark.django_db(transaction=True)


def test_it_passes_scim2_tester_without_error(scim):
    client = WSGISCIMClient(
        get_wsgi_application(),
        base_url="http://localhost/scim/v2",
        headers={"Authorization": f"Bearer {scim.secret}"},
    )
    results = check_server(client)
    bad = [
        f"{r.status.name} {r.title}: {r.reason}"
        for r in results
        if r.status in (Status.ERROR, Status.CRITICAL)
    ]
    assert results and bad == [], "\n".join(bad)
