"""The API's one mapping of refusals to Graph error bodies (``api_view`` + ``errors.GRAPH_ERRORS``)."""

from __future__ import annotations

import json

import pytest
from django.core.exceptions import PermissionDenied
from django.test import RequestFactory

from groups import dynamic
from groups.services import NamingError
from groups.services.settings import SettingsError
from portal.csvfile import ImportError_
from portal.errors import Conflict, Invalid, NotFound, Refused, ServiceError
from portal.services import SYSTEM, UserError
from portal.site.api import errors
from portal.site.api.auth import api_view
from portal.tokens import api_token_create
from tests import factories
from tests.portal.site.api.conftest import error_of, ref

pytestmark = pytest.mark.django_db


def _answer(tenant, exc: Exception) -> tuple[int, str, str]:
    """(status, Graph code, message) of what ``api_view`` answers when a view raises ``exc``."""

    @api_view("GET")
    def view(request):
        raise exc

    _, secret = api_token_create(tenant=tenant, actor=SYSTEM, app_name="Tester", role="groupsAdministrator")
    response = view(RequestFactory().get("/v1.0/x", headers={"Authorization": f"Bearer {secret}"}))
    error = json.loads(response.content)["error"]
    return response.status_code, error["code"], error["message"]


@pytest.mark.parametrize(
    ("exc", "status", "code"),
    [
        (Invalid("Choose a visibility."), 400, "Request_BadRequest"),
        (NotFound("That user belongs to another organization."), 404, "Request_ResourceNotFound"),
        (Conflict("Ada is already a member of Sales."), 400, "Request_BadRequest"),
        (Refused("Guests can't be group owners in this organization."), 403, "Authorization_RequestDenied"),
        (ServiceError("A refusal of no particular kind."), 400, "Request_BadRequest"),
        (UserError("A user needs a display name.", "display_name"), 400, "Request_BadRequest"),
        (dynamic.RuleError("Unexpected end of the rule", 12), 400, "Request_BadRequest"),
        (NamingError({"display_name": ["The name contains a blocked word."]}), 400, "Request_BadRequest"),
        (
            SettingsError("A group lifetime is at least 30 days.", "group_lifetime_days"),
            400,
            "Request_BadRequest",
        ),
        (ImportError_([(2, "userType must be Member or Guest")]), 400, "Request_BadRequest"),
        (errors.bad_request("Unable to read JSON request payload."), 400, "BadRequest"),
        (
            errors.ApiError(401, errors.INVALID_TOKEN, "Access token is empty."),
            401,
            "InvalidAuthenticationToken",
        ),
    ],
    ids=lambda value: type(value).__name__ if isinstance(value, Exception) else str(value),
)
def test_it_answers_each_kind_of_refusal_with_its_status_and_graph_code(tenant, exc, status, code):
    assert _answer(tenant, exc) == (status, code, str(exc))


def test_a_missing_right_stays_a_403_that_says_so(tenant):
    status, code, message = _answer(tenant, PermissionDenied("You can't change this group."))
    assert (status, code) == (403, "Authorization_RequestDenied")
    assert message == "Insufficient privileges to complete the operation. You can't change this group."


def test_an_organization_rule_refusing_an_owner_is_a_403_with_the_services_message(
    tenant, groups_admin, api_as
):
    guest = factories.UserFactory(tenant=tenant, user_type="Guest")
    group = factories.GroupFactory(tenant=tenant)
    response = api_as(groups_admin).post(f"/v1.0/groups/{group.pk}/owners/$ref", ref(guest))
    assert error_of(response) == (403, "Authorization_RequestDenied")
    assert response.json()["error"]["message"] == "Guests can't be group owners in this organization."
    assert not group.ownerships.exists()
