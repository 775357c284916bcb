"""What a page of /me/memberOf and /me/transitiveMemberOf costs: a fixed number of queries however many
groups the caller is in, and the tenant (whose domain every group's mail takes) read once with the
token, not joined and built again for each group."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from groups.models import GroupKind, Visibility
from tests.factories import GroupFactory

pytestmark = pytest.mark.django_db

# the token (with its tenant, settings and user), the caller's grants (ownerships, memberships, role
# assignments), the page; transitiveMemberOf walks the nesting first and trims the path through groups the
# caller can't read (two more). A caller who owns a group (or holds a role scoped to one) adds, in each
# readability filter, the query for the groups it can't settle (one for memberOf, two for transitive).
QUERIES = {("memberOf", False): 5, ("transitiveMemberOf", False): 7}
QUERIES |= {("memberOf", True): 6, ("transitiveMemberOf", True): 9}


@pytest.mark.parametrize("owns", [False, True])
@pytest.mark.parametrize("size", [1, 30])
@pytest.mark.parametrize("path", ["memberOf", "transitiveMemberOf"])
def test_a_page_of_the_callers_groups_costs_the_same_whatever_its_size(
    tenant, member, api_as, django_assert_num_queries, size, path, owns
):
    if owns:
        GroupFactory(tenant=tenant, visibility=Visibility.HIDDEN_MEMBERSHIP, owners=[member])
    for i in range(size):
        direct = GroupFactory(tenant=tenant, kind=GroupKind.MICROSOFT_365, members=[member])
        if i % 3 == 0:
            GroupFactory(tenant=tenant, visibility=Visibility.HIDDEN_MEMBERSHIP, members=[direct])
    api = api_as(member)
    api.get("/v1.0/me/memberOf")  # a token's first call notes when it was used (one write)
    with django_assert_num_queries(QUERIES[path, owns]), CaptureQueriesContext(connection) as queries:
        groups = api.get(f"/v1.0/me/{path}").json()["value"]
    assert len(groups) == size if path == "memberOf" else len(groups) >= size
    domain = tenant.default_domain
    assert {g["mail"] for g in groups} == {f"{g['mailNickname']}@{domain}" for g in groups}
    page = queries.captured_queries[-1]["sql"]
    assert "LIMIT" in page and '"portal_tenant"' not in page


@pytest.mark.postgres
def test_the_callers_groups_are_named_by_a_subquery_not_a_parameter_per_id(tenant, member, api_as):
    """The readability filter names the caller's groups as an array the database builds (hundreds of ids
    for some people, once per query that names them), not as ids the page converts and sends."""
    hidden = GroupFactory(tenant=tenant, visibility=Visibility.HIDDEN_MEMBERSHIP, members=[member])
    shown = GroupFactory(tenant=tenant, members=[member])
    GroupFactory(tenant=tenant, visibility=Visibility.HIDDEN_MEMBERSHIP)
    api = api_as(member)
    api.get("/v1.0/me/memberOf")
    with CaptureQueriesContext(connection) as queries:
        groups = api.get("/v1.0/me/memberOf").json()["value"]
    assert {g["id"] for g in groups} == {str(hidden.pk), str(shown.pk)}
    page = queries.captured_queries[-1]["sql"]
    assert page.count("= ANY(ARRAY(SELECT") >= 2 and "::uuid[]" not in page, page


def test_a_page_read_as_rows_writes_what_instances_write(tenant, member, api_as):
    """Unless a $select asks for a property that costs a query, the page is read as rows
    (group_rows_json), else as model instances: the groups' JSON is the same, typed in a directoryObject
    list and not in a cast."""
    for kind in (GroupKind.MICROSOFT_365, GroupKind.SECURITY):
        GroupFactory(tenant=tenant, kind=kind, members=[member])
    api = api_as(member)
    shown = "id,displayName,mail,mailEnabled,securityEnabled,groupTypes,visibility,createdDateTime,"
    shown += "securityIdentifier,proxyAddresses,membershipRuleProcessingState,description"
    as_rows = api.get("/v1.0/me/memberOf", **{"$select": shown}).json()["value"]
    as_instances = api.get("/v1.0/me/memberOf", **{"$select": f"{shown},assignedLicenses"}).json()["value"]
    assert len(as_rows) == 2 and [list(g)[0] for g in as_rows] == ["@odata.type"] * 2
    assert as_rows == [{k: v for k, v in g.items() if k != "assignedLicenses"} for g in as_instances]
    typed = api.get("/v1.0/me/memberOf").json()["value"]
    cast = api.get("/v1.0/me/memberOf/microsoft.graph.group").json()["value"]
    assert cast == [{k: v for k, v in g.items() if k != "@odata.type"} for g in typed]
