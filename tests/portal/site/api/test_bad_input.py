"""Hostile input to the API: NUL characters, JSON nested 1,000 deep, $filter nested past any reason.

Each is a Graph 400 (never a 500: PostgreSQL refuses NUL in text, Python's parsers recurse per level).
"""

from __future__ import annotations

import json
from unittest import mock

import pytest

from portal.models import User
from portal.site.api import body
from portal.site.api.body import MAX_JSON_DEPTH, may_hold_nul, nesting_depth, too_deep
from portal.site.api.odata import MAX_FILTER_DEPTH
from tests import factories
from tests.portal.site.api.conftest import error_of

pytestmark = pytest.mark.django_db


@pytest.fixture
def group(tenant, admin_user, member):
    return factories.GroupFactory(tenant=tenant, owners=[admin_user], members=[member])


@pytest.fixture
def api(api_as, admin_user):
    api = api_as(admin_user)
    api.client.raise_request_exception = False  # a 500 is a status to assert on, not an exception
    return api


def _api_refusal(response, field: str) -> None:
    assert error_of(response) == (400, "Request_BadRequest"), response.content
    assert field in response.json()["error"]["message"]


def test_it_refuses_a_nul_in_an_api_path(api):
    _api_refusal(api.get("/v1.0/users/a%00b@contoso.test"), "path")
    _api_refusal(api.get("/beta/groups/%00/members"), "path")


def test_it_refuses_a_nul_in_odata_options(api):
    _api_refusal(api.get("/v1.0/users", **{"$filter": "displayName eq 'a\x00b'"}), "$filter")
    _api_refusal(api.get("/v1.0/groups", **{"$search": '"displayName:\x00"'}), "$search")


def test_it_refuses_a_nul_in_a_json_body_naming_the_property(api, tenant, member, group):
    response = api.patch(f"/v1.0/users/{member.pk}", {"department": "a\x00b"})
    _api_refusal(response, "department")
    response = api.patch(f"/v1.0/groups/{group.pk}", {"description": "\x00"})
    _api_refusal(response, "description")
    ref = f"https://graph.microsoft.com/v1.0/directoryObjects/{member.pk}\x00"
    body = {"displayName": "X", "mailNickname": "x", "members@odata.bind": [ref]}
    _api_refusal(api.post("/v1.0/groups", body), "members@odata.bind[0]")
    # A raw NUL (not an escape) isn't JSON at all: still the same 400.
    raw = '{"department": "a' + "\x00" + '"}'
    assert api.patch(f"/v1.0/users/{member.pk}", raw=raw).status_code == 400
    # An escaped backslash followed by "u0000" is six ordinary characters, not a NUL.
    response = api.patch(f"/v1.0/users/{member.pk}", raw=json.dumps({"department": "a\\u0000b"}))
    assert response.status_code == 204
    assert User.objects.get(pk=member.pk).department == "a\\u0000b"


def test_it_refuses_a_nul_in_an_api_path_segment_with_no_database_query(api, django_assert_num_queries):
    with django_assert_num_queries(0):  # refused before authentication reads the token table
        _api_refusal(api.get("/v1.0/users/a%00b@contoso.test/memberOf"), "path")


# --- depth ------------------------------------------------------------------------------------------


def _deep(levels: int) -> str:
    return '{"a":' * levels + "1" + "}" * levels


@pytest.mark.parametrize("levels", [MAX_JSON_DEPTH + 1, 1000, 100_000])
def test_it_refuses_json_nested_too_deep(api, group, member, levels):
    deep_object = '{"displayName": "X", "mailNickname": "x", "extra": ' + _deep(levels) + "}"
    deep_array = "[" * levels + "]" * levels
    for response in (
        api.post("/v1.0/groups", raw=deep_object),
        api.post("/v1.0/groups", raw=deep_array),
        api.patch(f"/v1.0/groups/{group.pk}", raw=deep_object),
        api.patch(f"/v1.0/users/{member.pk}", raw=deep_array),
        api.post(f"/v1.0/groups/{group.pk}/members/$ref", raw=deep_array),
    ):
        status, _ = error_of(response)
        assert status == 400 and "deeper" in response.json()["error"]["message"], response.content


def test_it_counts_depth_outside_strings_only():
    assert nesting_depth('{"a": [1, {"b": "[[[[{{{{"}]}') == 3
    assert nesting_depth('["\\"[[[", []]') == 2
    assert nesting_depth("") == 0


def test_it_stops_counting_depth_past_the_limit_and_skips_bodies_with_few_brackets():
    """The NUL and depth checks run on every body, twice (the middleware, then the view): a long body
    costs a substring search, not a regex over every character (83 ms for 200,000 characters before)."""
    assert nesting_depth("[" * 50_000 + "]" * 50_000, stop_past=MAX_JSON_DEPTH) == MAX_JSON_DEPTH + 1
    assert too_deep("[" * 50_000) and too_deep('{"a":' * 40 + "1" + "}" * 40)
    assert not too_deep('{"a": "' + "[" * 100 + '"}') and not too_deep("[" * MAX_JSON_DEPTH)
    huge = json.dumps({"displayName": "x" * 100_000, "description": ["[", "{"]})
    refuse = mock.Mock(side_effect=AssertionError("scanned"))
    with mock.patch.object(body, "_STRING", mock.Mock(sub=refuse)):
        assert not too_deep(huge)
    with mock.patch.object(body, "_NUL_ESCAPE", mock.Mock(search=refuse)):
        assert not may_hold_nul(huge.encode())


@pytest.mark.parametrize(
    ("raw", "holds"),
    [
        (b'"a\\u0000"', True),
        (b'"\\\\u0000"', False),
        (b'"a\x00"', True),
        (b'"\\u00000"', True),
        (b'"u0000"', False),
    ],
)
def test_it_finds_a_nul_escape_only_where_it_decodes_to_nul(raw, holds):
    assert may_hold_nul(raw) is holds
    if raw != b'"a\x00"':
        assert ("\x00" in json.loads(raw)) is holds


@pytest.mark.parametrize(
    "text",
    [
        "not " * 1000 + "displayName eq 'x'",
        "(" * 300 + "displayName eq 'x'" + ")" * 300,
        "(not " * 200 + "displayName eq 'x'" + ")" * 200,
        "(" * (MAX_FILTER_DEPTH + 1) + "displayName eq 'x'" + ")" * (MAX_FILTER_DEPTH + 1),
    ],
)
def test_it_refuses_a_filter_nested_too_deep(api, text):
    response = api.get("/v1.0/users", **{"$filter": text})
    assert error_of(response) == (400, "BadRequest"), response.content
    assert "deeper" in response.json()["error"]["message"]


def test_it_still_takes_a_reasonably_nested_filter(api, member):
    text = "not " * 2 + "(" * 10 + f"userPrincipalName eq '{member.user_principal_name}'" + ")" * 10
    response = api.get("/v1.0/users", **{"$filter": text})
    assert response.status_code == 200, response.content


def test_it_matches_nothing_for_an_unknown_enum_value_without_sending_a_nul(api, group):
    # The "no such value" stand-in used to carry a NUL: a 500 on PostgreSQL.
    response = api.get("/v1.0/groups", **{"$filter": "visibility eq 'Nonsense'"})
    assert response.status_code == 200 and response.json()["value"] == []
    response = api.get("/v1.0/groups", **{"$filter": "visibility ne 'Nonsense'"})
    assert [g["id"] for g in response.json()["value"]] == [str(group.pk)]


def test_it_answers_404_for_a_user_id_longer_than_any_user_principal_name(api):
    """Found by the fuzz test: a 100,000-character id became a LIKE pattern SQLite refuses (a 500)."""
    response = api.get("/v1.0/users/" + "=" * 100_000)
    assert error_of(response) == (404, "Request_ResourceNotFound")
    assert api.get("/v1.0/users/" + "a" * 300 + "@x.test/memberOf").status_code == 404


@pytest.mark.parametrize(
    "rule",
    ["(" * 300 + 'user.city -eq "x"' + ")" * 300, "-not " * 600 + 'user.city -eq "x"', "(" * 3000],
)
def test_it_refuses_a_rule_nested_too_deep_with_a_position(api, rule):
    body = {
        "displayName": "Deep",
        "mailNickname": "deep",
        "mailEnabled": False,
        "securityEnabled": True,
        "groupTypes": ["DynamicMembership"],
        "membershipRule": rule,
        "membershipRuleProcessingState": "On",
    }
    response = api.post("/v1.0/groups", body)
    assert response.status_code == 400, response.content
    assert "position" in response.json()["error"]["message"]
