"""The My Groups pages issue the same number of queries whatever the amount of data."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from groups.models import JoinPolicy, Membership
from tests.factories import GroupFactory, JoinRequestFactory, UserFactory

pytestmark = pytest.mark.django_db

# session, user (+tenant, settings), grants (ownerships, memberships, role assignments),
# then the page's own queries. The badge adds one COUNT for owners.
# discover reads the transitive group ids once (one recursive query), then excludes them; my_groups reads
# each list and its count in one query (COUNT(*) OVER ()), walking the nesting inside the second;
# approvals: +1, the seats left of licensed groups.
EXPECTED = {"my_groups": 8, "discover": 9, "approvals": 8}


def _populate(tenant, user, size: int) -> None:
    """``size`` groups of each relation to ``user``, with nesting, members and pending requests."""
    people = [UserFactory(tenant=tenant) for _ in range(max(2, size // 2))]
    for i in range(size):
        owned = GroupFactory(
            tenant=tenant, join_policy=JoinPolicy.OWNER_APPROVAL, owners=[user], members=people[:3]
        )
        JoinRequestFactory(group=owned, requester=people[i % len(people)])
        direct = GroupFactory(tenant=tenant, members=[user, *people[:2]])
        GroupFactory(tenant=tenant, members=[direct])  # through nesting
        for policy in JoinPolicy.values:
            GroupFactory(tenant=tenant, join_policy=policy, members=people[:2])
    # a pending request of the user's own, shown on discover
    JoinRequestFactory(
        group=GroupFactory(tenant=tenant, join_policy=JoinPolicy.OWNER_APPROVAL), requester=user
    )


@pytest.mark.parametrize("size", [1, 12])
@pytest.mark.parametrize("page", sorted(EXPECTED))
def test_it_keeps_a_constant_number_of_queries(client, tenant, member, django_assert_num_queries, size, page):
    _populate(tenant, member, size)
    client.force_login(member)
    with django_assert_num_queries(EXPECTED[page]):
        response = client.get(reverse(page))
    assert response.status_code == 200
    # The page really shows the data (a count that didn't grow because nothing rendered proves nothing).
    assert response.content.decode().count("<tr") >= min(size, 25) + 1


@pytest.mark.parametrize("size", [1, 12])
# The member count is stored on the group (no COUNT query); the first members are paged as the members
# tab pages them (non-user count, users by the name index, the others): three queries at any size; the
# guest count one more. owner: the licences box of the admin summary (groups.licensing).
@pytest.mark.parametrize("viewer, expected", [("member", 13), ("owner", 18)])
def test_it_keeps_the_group_page_constant(
    client, tenant, member, django_assert_num_queries, size, viewer, expected
):
    owners = [UserFactory(tenant=tenant) for _ in range(size)]
    group = GroupFactory(tenant=tenant, join_policy=JoinPolicy.OWNER_APPROVAL, owners=owners)
    for _ in range(size * 3):
        Membership.objects.create(group=group, member_user=UserFactory(tenant=tenant))
        JoinRequestFactory(group=group)
    client.force_login(member if viewer == "member" else owners[0])
    with django_assert_num_queries(expected):
        response = client.get(reverse("group_detail", args=[group.id]))
    assert response.status_code == 200 and response.content.decode().count("<li>") >= min(size * 3, 20)


@pytest.mark.postgres
def test_the_inbox_counts_along_the_owned_groups_and_pages_along_the_newest(client, tenant, member):
    """An owner's count reads the owned group ids first and their requests by the group index (a join
    read every pending request of the tenant); the page of the newest keeps the join, which walks the
    (tenant, status, created) index and stops after a page."""
    _populate(tenant, member, 3)
    client.force_login(member)
    with CaptureQueriesContext(connection) as queries:
        response = client.get(reverse("approvals"))
    assert response.status_code == 200 and response.context["page"].paginator.count == 3
    inbox = [q["sql"] for q in queries.captured_queries if 'FROM "access_requests_joinrequest"' in q["sql"]]
    count, page = [sql for sql in inbox if "COUNT(*)" in sql], [sql for sql in inbox if "LIMIT" in sql]
    assert len(count) == 1 and "= ANY(ARRAY(SELECT" in count[0], inbox
    assert len(page) == 1 and "= ANY(ARRAY(" not in page[0], inbox


@pytest.mark.postgres
def test_my_groups_walks_the_nesting_once_and_finds_the_groups_by_key(client, tenant, member):
    """The list of groups the member is in carries its own count (no COUNT query walking the nesting a
    second time) and names the groups reached as an array built first, each probed by its key: a join
    with the walk hashed every group of the tenant."""
    _populate(tenant, member, 3)
    client.force_login(member)
    with CaptureQueriesContext(connection) as queries:
        response = client.get(reverse("my_groups"))
    assert (
        response.context["member_of"].paginator.count == 6 and response.context["owned"].paginator.count == 3
    )
    groups = [q["sql"] for q in queries.captured_queries if 'FROM "groups_group"' in q["sql"]]
    walks = [sql for sql in groups if "WITH RECURSIVE" in sql]
    assert len(walks) == 1 and "= ANY(ARRAY(" in walks[0] and "OVER ()" in walks[0], groups
    assert not any("COUNT(*) AS" in sql for sql in groups), groups
