"""What a page of /v1.0/groups costs: a fixed number of queries however many groups it shows, and the
tenant (whose domain every group's mail takes) read once with the token, not once per group."""

from __future__ import annotations

import pytest

from groups.models import GroupKind
from tests.factories import GroupFactory

pytestmark = pytest.mark.django_db

# the token (with its tenant and settings, and its user), the caller's grants (ownerships, memberships,
# role assignments), the page
USER_TOKEN_QUERIES = 5
# the token, the role-assignable groups' grants, the page (an app's tenant-wide role is decided once per
# kind of group, not group by group: groups.selectors._app_read_scope)
APP_TOKEN_QUERIES = 3


@pytest.mark.parametrize("size", [1, 30])
def test_a_page_of_groups_costs_the_same_queries_whatever_its_size(
    tenant, admin_user, api_as, django_assert_num_queries, size
):
    for _ in range(size):
        GroupFactory(tenant=tenant, kind=GroupKind.MICROSOFT_365)
    as_user = api_as(admin_user)
    as_app = api_as(app="Reader", role="groupsAdministrator", tenant=tenant)
    for api in (as_user, as_app):
        api.get("/v1.0/groups?$top=1")  # a token's first call notes when it was used (one write)
    with django_assert_num_queries(USER_TOKEN_QUERIES):
        by_user = as_user.get("/v1.0/groups?$top=100").json()["value"]
    with django_assert_num_queries(APP_TOKEN_QUERIES):
        by_app = as_app.get("/v1.0/groups?$top=100").json()["value"]
    assert len(by_user) == len(by_app) == size
    domain = tenant.default_domain
    assert {g["mail"] for g in by_user} == {f"{g['mailNickname']}@{domain}" for g in by_user}
    assert by_app == by_user
