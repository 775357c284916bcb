"""Server time and query count of the pages and API lists a large tenant stresses, measured in process
(Django's test client: the whole request, middleware and template included, no network).

The same list runs against the demo tenant and the large one (``seed_demo --users 100000 --groups
10000``); ``manage.py bench`` sets the two side by side. Each page is looked up by what it shows
(the demo's named people, "All employees", a generated group), so both databases resolve it.
"""

from __future__ import annotations

import gc
import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass

from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from groups.models import Group
from portal.models import Tenant, User
from portal.services import SYSTEM
from portal.tokens import api_token_create

ADMIN, OWNER, MEMBER = "admin@contoso.test", "owner@contoso.test", "user@contoso.test"


@dataclass(frozen=True)
class Page:
    name: str
    actor: str  # the UPN who asks
    path: Callable[[dict], str]  # from the looked-up objects to the URL
    api: bool = False


PAGES = [
    Page("/my/groups/ (heavy member)", MEMBER, lambda o: "/my/groups/"),
    Page("/my/groups/discover/", MEMBER, lambda o: "/my/groups/discover/"),
    Page("/my/approvals/ (heavy owner)", OWNER, lambda o: "/my/approvals/"),
    Page("group overview (All employees)", MEMBER, lambda o: f"/groups/{o['everyone']}/"),
    Page("members tab (All employees)", ADMIN, lambda o: f"/groups/{o['everyone']}/members/"),
    Page("rule tab (All employees)", ADMIN, lambda o: f"/groups/{o['everyone']}/rule/"),
    Page("/groups/?o=-members", ADMIN, lambda o: "/groups/?o=-members"),
    Page("/users/", ADMIN, lambda o: "/users/"),
    Page("/audit/", ADMIN, lambda o: "/audit/"),
    Page("/licenses/", ADMIN, lambda o: "/licenses/"),
    Page("/v1.0/groups?$top=100", ADMIN, lambda o: "/v1.0/groups?$top=100", api=True),
    Page("/v1.0/groups/{id}/members", ADMIN, lambda o: f"/v1.0/groups/{o['everyone']}/members", api=True),
    Page(
        "/v1.0/groups/{id}/transitiveMembers",
        ADMIN,
        lambda o: f"/v1.0/groups/{o['top']}/transitiveMembers",
        api=True,
    ),
    Page("/v1.0/me/memberOf (heavy member)", MEMBER, lambda o: "/v1.0/me/memberOf", api=True),
]


def _objects(tenant: Tenant) -> dict:
    groups = Group.objects.for_tenant(tenant)
    everyone = groups.get(mail_nickname="all-employees")
    # The top of the nesting when there is one (a group with nested groups), else any group.
    top = groups.filter(memberships__member_group__isnull=False).order_by("mail_nickname").first() or everyone
    return {"everyone": everyone.pk, "top": top.pk}


def _clients(tenant: Tenant) -> dict[tuple[str, bool], Client]:
    clients = {}
    for upn in {page.actor for page in PAGES}:
        user = User.objects.get(user_principal_name=upn)
        browser = Client(SERVER_NAME="localhost")
        browser.force_login(user)
        _, secret = api_token_create(tenant=tenant, actor=SYSTEM, user=user)
        clients[(upn, False)] = browser
        clients[(upn, True)] = Client(SERVER_NAME="localhost", headers={"authorization": f"Bearer {secret}"})
    return clients


def percentile(samples: list[float], share: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(round(share * (len(ordered) - 1))))]


def measure_pages(rounds: int = 20, pages: list[Page] | None = None) -> list[dict]:
    """Each page ``rounds`` times after two warm-up requests: status, bytes, queries, p50 and p95 ms."""
    tenant = Tenant.objects.get(slug="contoso")
    objects, clients = _objects(tenant), _clients(tenant)
    # As the server does once the application is loaded (portal.wsgi): what the process holds for good
    # stays out of the cyclic collector's scans, or a full collection (50-80 ms) sets the p95.
    gc.collect()
    gc.freeze()
    results = []
    for page in pages or PAGES:
        client, path = clients[(page.actor, page.api)], page.path(objects)
        for _ in range(2):
            client.get(path)
        times = []
        for _ in range(rounds):
            with CaptureQueriesContext(connection) as queries:
                started = time.perf_counter()
                response = client.get(path)
                times.append((time.perf_counter() - started) * 1000)
        results.append(
            {
                "page": page.name,
                "status": response.status_code,
                "bytes": len(response.content),
                "queries": len(queries.captured_queries),
                "p50": statistics.median(times),
                "p95": percentile(times, 0.95),
                "times": times,
            }
        )
    return results
