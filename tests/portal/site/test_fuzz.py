"""Fuzzing every route of the URLconf with hostile input: the answer is never a 5xx.

The routes come from the URLconf (the same walk as the tenant isolation matrix, tests/portal/test_isolation.py),
filled with a fresh tenant's own objects so the views really run. Each hypothesis example visits EVERY
route once, signed in as an administrator and as an ordinary user (pages: session; /v1.0/ and /beta/:
an API token), with one kind of bad input drawn per request:

- NUL characters (PostgreSQL refuses them in text: a 500 if one reaches a query),
- huge strings (100,000 characters),
- JSON nested far too deep (Python's parser recurses once per level),
- malformed OData ($filter, $select, $top, $orderby, $skiptoken, $count garbage),
- ordinary random text,

in the query string, in form fields (POST) or in a JSON body (POST/PATCH), and in the path's string
parameters of API routes. Bounded for CI: a few examples, no shrinking (a failure lists the requests
that failed, with their exceptions). Run on PostgreSQL too: that's where NULs used to 500.
"""

from __future__ import annotations

import itertools
import json
import logging
import math
import os
import traceback
from urllib.parse import quote

import pytest
from django.test import Client
from hypothesis import HealthCheck, Phase, Verbosity, given, settings
from hypothesis import strategies as st
from hypothesis.internal.conjecture import engine
from hypothesis.internal.conjecture.engine import HealthCheckState

from portal.tokens import api_token_create
from tests.portal.test_isolation import ROUTES, TenantWorld, build, urls_for

pytestmark = pytest.mark.django_db

# Examples per test (each visits every route; ~300 API routes): more for a long run by hand.
EXAMPLES = int(os.environ.get("GROUPDESK_FUZZ_EXAMPLES", "3"))
SKIPPED = {"admin:*"}  # Django's own admin: not our code (its login page is still fuzzed below)
EXTRA_PAGES = ["/admin/login/"]
PAGE_ROUTES = [r for r in ROUTES if not r.api and not r.scim and r.name not in SKIPPED]
SCIM_ROUTES = [r for r in ROUTES if r.scim]
API_ROUTES = [r for r in ROUTES if r.api]

# Field names the views read (request.GET/POST and the forms), and Graph's body properties.
FIELDS = [
    "q", "check", "kinds", "name", "page", "kind", "view", "state", "section", "sample", "next", "o",
    "member", "owner", "user", "principal", "group", "scope", "role", "rule", "decision", "answer",
    "requests", "request_ids", "justification", "reason", "display_name", "description", "mail_nickname",
    "visibility", "membership_type", "membership_rule", "join_policy", "classification", "sku",
    "sku_part_number", "prepaid_units", "permissions", "username", "password", "manager_upn", "rename",
    "expiration_scope", "group_lifetime_days", "custom_blocked_words", "prefix_suffix_naming_requirement",
    "activity", "category", "result", "date_from", "date_to", "property_0", "operator_0", "value_0", "join",
    "department", "job_title", "email", "groups", "message", "send_email", "guests", "action", "password1",
    "password2", "type", "allow_invites_from", "collaboration_domains", "guest_inactive_days",
]  # fmt: skip
ODATA = ["$filter", "$select", "$top", "$orderby", "$skiptoken", "$count", "$search", "$expand"]
GRAPH_PROPERTIES = [
    "displayName", "description", "mailNickname", "mailEnabled", "securityEnabled", "groupTypes",
    "membershipRule", "membershipRuleProcessingState", "visibility", "isAssignableToRole",
    "members@odata.bind", "owners@odata.bind", "@odata.id", "groupIds", "department", "jobTitle",
    "accountEnabled", "userType", "usageLocation", "employeeHireDate", "otherMails", "businessPhones",
    "onPremisesExtensionAttributes", "securityEnabledOnly",
    "id", "name", "type", "identitySource", "acl", "properties", "content", "requests", "query", "entityTypes",
    "contentSources", "from", "size", "invitedUserEmailAddress",
    "inviteRedirectUrl", "invitedUserDisplayName", "invitedUserMessageInfo", "sendInvitationMessage",
]  # fmt: skip

NUL = st.text(max_size=12).map(lambda s: f"{s}\x00{s}")
HUGE = st.sampled_from(["x", "é", "=", "'", "(", "\x00"]).map(lambda c: c * 100_000)
TEXT = st.text(max_size=40)
ODATA_GARBAGE = st.one_of(
    st.sampled_from(
        [
            "not " * 1000 + "displayName eq 'x'",
            "(" * 300 + "displayName eq 'x'" + ")" * 300,
            "(" * 300,
            "displayName eq",
            "displayName eq 'unterminated",
            "startswith(",
            "startswith(displayName,",
            "groupTypes/any(c:c eq 'Unified'",
            "groupTypes/all(c:c eq 'Unified')",
            "id eq 'not-a-guid'",
            "id in ('a', 'b')",
            "createdDateTime ge 9999-99-99T99:99:99Z",
            "createdDateTime ge 2024-02-30T00:00:00Z",
            "accountEnabled eq 'yes'",
            "userType eq 'Nope'",
            "visibility ne 'Nope'",
            "mail eq 'a@'",
            "proxyAddresses/any(p:startswith(p,1))",
            "displayName eq 'a' and or",
            "-1",
            "1e999",
            "99999999999999999999999",
            "displayName,nope,,",
            "displayName sideways",
            "displayName asc desc",
            "a:b:c",
            "eyJxIjoiIn0:1abc:xyz",
            "",
            " ",
        ]
    ),
    st.text(alphabet="()'\", /$:eqnotandoranyin0123456789-TZ", max_size=60),
)


def value_of(kind: str):
    return {"nul": NUL, "huge": HUGE, "odata": ODATA_GARBAGE, "text": TEXT, "deep": TEXT}[kind]


def deep_json(depth: int, inside_object: bool) -> str:
    nested = "[" * depth + "]" * depth if depth % 2 else '{"a":' * depth + "1" + "}" * depth
    return '{"displayName": "X", "mailNickname": "x", "extra": ' + nested + "}" if inside_object else nested


@st.composite
def query_or_form(draw, kind: str) -> dict:
    keys = draw(st.lists(st.sampled_from(FIELDS + ODATA), min_size=1, max_size=4, unique=True))
    if kind == "odata":  # at least one query option; the garbage (deep nesting...) fits rules too
        keys.append(draw(st.sampled_from(ODATA)))
    return {key: draw(value_of(kind)) for key in keys}


@st.composite
def json_body(draw, kind: str) -> str:
    if kind == "deep":
        return deep_json(draw(st.sampled_from([33, 1000, 50_000])), draw(st.booleans()))
    if kind == "nul" and draw(st.booleans()):
        return '{"displayName": "a' + "\x00" + '"}'  # a raw NUL byte: not JSON at all
    value = value_of(kind)
    leaf = st.one_of(value, st.lists(value, max_size=3), st.none(), st.booleans(), st.integers())
    keys = draw(st.lists(st.sampled_from(GRAPH_PROPERTIES), min_size=1, max_size=4, unique=True))
    body = {key: draw(leaf) for key in keys}
    return json.dumps(body) if draw(st.integers(0, 9)) else json.dumps([body])


# The first kind is what Hypothesis's first, simplest example uses on every route, and CI runs only that one
# example of the API routes: malformed OData reaches every view (a NUL would stop every request at the guard).
KINDS = st.sampled_from(["odata", "nul", "huge", "text", "deep"])
_worlds = itertools.count()


def fresh_world() -> TenantWorld:
    return build(f"F{next(_worlds)}")


def page_url(route, world: TenantWorld) -> str:
    return urls_for(route, world)[0] if route.params else "/" + route.pattern


def api_url(draw, route, world: TenantWorld) -> str:
    """The route with the world's ids, or now and then one path parameter replaced by bad input."""
    if route.regex:  # the API's catch-all: any path
        return "/" + route.pattern.split("^")[0] + quote(draw(TEXT), safe="/")
    url = page_url(route, world)
    if route.params and draw(st.integers(0, 3)) == 0:
        parts = url.split("/")
        # API parameters are whole segments: the segment of the pattern that names the parameter.
        segments = ("/" + route.pattern).split("/")
        slots = [i for i, segment in enumerate(segments) if segment.startswith("<")]
        parts[draw(st.sampled_from(slots))] = quote(draw(st.one_of(NUL, HUGE, TEXT)), safe="")
        url = "/".join(parts)
    return url


def check(problems: list, method: str, url: str, kind: str, response) -> None:
    if response.status_code < 500:
        return
    exc = getattr(response, "exc_info", None)
    detail = "".join(traceback.format_exception(*exc)[-2:]).strip() if exc else ""
    problems.append(f"{method} {url[:150]} [{kind}] -> {response.status_code}: {detail[-600:]}")


PROPERTIES = settings(
    max_examples=EXAMPLES,
    deadline=None,
    phases=[Phase.generate],
    database=None,
    verbosity=Verbosity.quiet,  # the drawn values include 100,000-character strings: the failures say enough
    suppress_health_check=[
        HealthCheck.function_scoped_fixture,
        HealthCheck.too_slow,
        HealthCheck.data_too_large,
        HealthCheck.large_base_example,
    ],
)


@pytest.fixture(autouse=True)
def _linear_draw_timing(monkeypatch):
    """Hypothesis times every draw for its too_slow health check and, past 30 s of drawing, builds a timing
    report even when too_slow is suppressed (as here). Its total is a sum of lists and the report asks for
    it once per distinct draw: quadratic in the draws, and these tests draw thousands per example (one per
    request), which turned minutes into a CI hang. Sum linearly and skip the report nobody reads."""
    total = property(lambda state: math.fsum(itertools.chain.from_iterable(state.draw_times.values())))
    monkeypatch.setattr(HealthCheckState, "total_draw_time", total)
    monkeypatch.setattr(HealthCheckState, "timing_report", lambda state: "")


@pytest.fixture(autouse=True)
def _room_for_every_route(monkeypatch):
    """An example draws a dozen choices per route, for ~300 API routes: past Hypothesis's entropy budget
    per test case (``BUFFER_SIZE``), so a random example ran ~250 routes, overran, was thrown away and
    retried (data_too_large is suppressed): 17 sweeps in 150 s for max_examples=2, the "25 minutes".
    ConjectureData reads the budget when it is made: give each example room for every route."""
    monkeypatch.setattr(engine, "BUFFER_SIZE", 16 * engine.BUFFER_SIZE)


@pytest.fixture(autouse=True)
def _no_request_log_records(monkeypatch):
    """Django logs every 4xx answer on ``django.request`` with the request attached, and pytest keeps every
    record of a test: thousands of requests with their 100,000-character inputs, gigabytes by the second
    example. The 4xx answers are what this test expects and a 5xx is reported from the response itself."""
    monkeypatch.setattr(logging.getLogger("django.request"), "disabled", True)


@pytest.mark.parametrize("who", ["admin", "member"])
@PROPERTIES
@given(data=st.data())
def test_it_answers_no_5xx_to_bad_input_on_any_page(who, data):
    world = fresh_world()
    actor = getattr(world, who)
    client = Client(raise_request_exception=False)
    problems: list[str] = []
    urls = [(page_url(r, world), r.name) for r in PAGE_ROUTES] + [(u, u) for u in EXTRA_PAGES]
    for url, name in urls:
        client.force_login(actor)  # again each time: the logout route (or a fuzzed sign-in) ends it
        kind = data.draw(KINDS, label=f"{name} kind")
        fields = data.draw(query_or_form(kind), label=f"{name} fields")
        if data.draw(st.booleans(), label=f"{name} post"):
            check(problems, "POST", url, kind, client.post(url, fields))
        else:
            check(problems, "GET", url, kind, client.get(url, fields))
    assert problems == [], "\n".join(problems)


@pytest.mark.parametrize("who", ["admin", "member"])
@PROPERTIES
@given(data=st.data())
def test_it_answers_no_5xx_to_bad_input_on_any_api_route(who, data):
    world = fresh_world()
    _, secret = api_token_create(tenant=world.tenant, actor="tests", user=getattr(world, who))
    client = Client(raise_request_exception=False, headers={"Authorization": f"Bearer {secret}"})
    problems: list[str] = []
    for route in API_ROUTES:
        url = api_url(data.draw, route, world)
        kind = data.draw(KINDS, label=f"{route.pattern} kind")
        method = data.draw(st.sampled_from(["GET", "POST", "PATCH"]), label=f"{route.pattern} method")
        if method == "GET":
            check(problems, method, url, kind, client.get(url, data.draw(query_or_form(kind))))
        else:
            body = data.draw(json_body(kind))
            response = client.generic(method, url, body, content_type="application/json")
            check(problems, method, url, kind, response)
    assert problems == [], "\n".join(problems)


# SCIM's own hostile input: filters, PATCH paths and attribute lists, besides the kinds above.
SCIM_GARBAGE = st.one_of(
    ODATA_GARBAGE,
    st.sampled_from(
        [
            'userName eq "unterminated',
            "(" * 300 + 'userName eq "x"' + ")" * 300,
            "not (" * 200 + "userName pr" + ")" * 200,
            'emails[type eq "work" and value co "@"]',
            'members[value eq "x"]',
            'meta.created gt "not a date"',
            'active eq "maybe"',
            'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager.value eq "x"',
            "userName eq 1e999",
            "nope.nope.nope",
            '"]["',
        ]
    ),
    st.text(alphabet='()[]"., :eqnotandorprcoswew0123456789', max_size=60),
)
SCIM_KEYS = ["filter", "attributes", "excludedAttributes", "startIndex", "count", "sortBy"]
SCIM_PROPERTIES = [
    "schemas", "userName", "displayName", "active", "emails", "name", "members", "externalId", "Operations",
    "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User", "phoneNumbers", "addresses", "title",
]  # fmt: skip


@st.composite
def scim_body(draw, kind: str) -> str:
    if kind == "deep":
        return deep_json(draw(st.sampled_from([33, 1000, 50_000])), draw(st.booleans()))
    if kind == "nul" and draw(st.booleans()):
        return '{"userName": "a' + "\x00" + '"}'
    value = SCIM_GARBAGE if kind == "odata" else value_of(kind)
    leaf = st.one_of(value, st.lists(value, max_size=3), st.none(), st.booleans(), st.integers())
    operation = st.fixed_dictionaries(
        {
            "op": st.one_of(value, st.sampled_from(["add", "Replace", "remove"])),
            "path": st.one_of(value, st.none()),
            "value": leaf,
        }
    )
    keys = draw(st.lists(st.sampled_from(SCIM_PROPERTIES), min_size=1, max_size=4, unique=True))
    body = {key: draw(st.lists(operation, max_size=2) if key == "Operations" else leaf) for key in keys}
    return json.dumps(body)


@PROPERTIES
@given(data=st.data())
def test_it_answers_no_5xx_to_bad_input_on_any_scim_route(data):
    world = fresh_world()
    _, secret = api_token_create(tenant=world.tenant, actor="tests", app_name="IdP", role="userAdministrator")
    client = Client(raise_request_exception=False, headers={"Authorization": f"Bearer {secret}"})
    problems: list[str] = []
    for route in SCIM_ROUTES:
        url = (
            "/scim/v2/" + quote(data.draw(TEXT), safe="/")
            if route.regex
            else api_url(data.draw, route, world)
        )
        kind = data.draw(KINDS, label=f"{route.pattern} kind")
        method = data.draw(st.sampled_from(["GET", "POST", "PUT", "PATCH"]), label=f"{route.pattern} method")
        if method == "GET":
            keys = data.draw(st.lists(st.sampled_from(SCIM_KEYS), min_size=1, max_size=3, unique=True))
            value = SCIM_GARBAGE if kind == "odata" else value_of(kind)
            check(problems, method, url, kind, client.get(url, {k: data.draw(value) for k in keys}))
        else:
            body = data.draw(scim_body(kind))
            response = client.generic(method, url, body, content_type="application/scim+json")
            check(problems, method, url, kind, response)
    assert problems == [], "\n".join(problems)
