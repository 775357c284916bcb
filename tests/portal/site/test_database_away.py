"""While the database is away, pages and the API answer 503 with Retry-After, not a bare 500."""

from __future__ import annotations

import pytest
from django.db import OperationalError
from django.test import Client, RequestFactory

from portal.site.views.unavailable import server_error


def _raised(error: Exception, path: str):
    request = RequestFactory().get(path)
    try:
        raise error
    except Exception:
        return server_error(request)


@pytest.mark.parametrize("path", ["/my/groups/", "/v1.0/groups"])
def test_a_lost_database_connection_is_a_503_with_retry_after(path):
    response = _raised(OperationalError("server closed the connection unexpectedly"), path)
    assert response.status_code == 503 and response["Retry-After"] == "5"
    assert b"Try again" in response.content or b"serviceNotAvailable" in response.content


def test_any_other_error_stays_a_500():
    assert _raised(ValueError("bug"), "/v1.0/groups").status_code == 500
    assert _raised(ValueError("bug"), "/users/").status_code == 500


@pytest.mark.django_db
def test_the_handler_is_the_sites(monkeypatch, admin_user):
    client = Client(raise_request_exception=False)
    client.force_login(admin_user)

    def away(*args, **kwargs):
        raise OperationalError("the database system is shutting down")

    monkeypatch.setattr("portal.views.audit.selectors.audit_events", away)
    response = client.get("/audit/")
    assert response.status_code == 503 and response["Retry-After"] == "5"
