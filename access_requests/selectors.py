"""Tenant-scoped reads for the My Groups pages.

Every list is a queryset of a fixed number of queries whatever the data size: transitive membership is
one recursive query (read once as ids to exclude on discover; a subquery of the list on /my/groups/, whose
page query also counts the rows, where a member of a thousand groups made a thousand query parameters
cost 15 ms of Python per page), member counts are stored on the group
(by the membership writer), "has a pending request" is a correlated subquery, and what each person may
do with a group is answered in Python by portal.authz from grants loaded once per request.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db.models import Case, Exists, OuterRef, Q, QuerySet, Subquery, Value, When

from access_requests.models import JoinRequest, RequestStatus
from groups.models import Group, JoinPolicy, Membership, Ownership, Visibility
from groups.selectors import (
    DirectMemberPages,
    guest_member_count,
    is_transitive_member,
    transitive_group_ids_for_any_of,
    transitive_group_ids_subquery,
)
from portal import directory_policy, roles
from portal import selectors as portal_selectors
from portal.authz import actor_context, can, decide


def _with_pending_request(groups: QuerySet[Group], user) -> QuerySet[Group]:
    pending = JoinRequest.objects.filter(group=OuterRef("pk"), requester=user, status=RequestStatus.PENDING)
    return groups.annotate(pending_request_id=Subquery(pending.values("id")[:1]))


# What the My Groups lists show of a group: a page of a member of a thousand groups sorts them all by
# name, and their descriptions and rules made the rows it sorts (and Python builds) ten times as wide.
LIST_COLUMNS = ("tenant_id", "id", "display_name", "kind", "membership_type", "member_count", "visibility")


def groups_owned_by(user) -> QuerySet[Group]:
    return (
        Group.objects.for_tenant(user.tenant)
        .alive()
        .owned_by(user)
        .only(*LIST_COLUMNS)
        .order_by("display_name", "id")
    )


def groups_member_of(user) -> QuerySet[Group]:
    """Groups the user is in, directly or through nesting; each annotated ``direct`` (True/False).

    The groups reached are named as an array that the database builds first, then each is probed by its
    key: as ``IN (walk)`` PostgreSQL hashed the walk and read every group of the tenant to join them (a
    member of 1,022 groups of 10,015: 4.4 -> 2.6 ms at best, 8.8 -> 4.1 ms median on a loaded machine)."""
    direct = Membership.objects.filter(group=OuterRef("pk"), member_user=user)
    return (
        Group.objects.for_tenant(user.tenant)
        .alive()
        .filter(id__any_of=transitive_group_ids_subquery(user))
        .only(*LIST_COLUMNS)
        .annotate(direct=Exists(direct))
        .order_by("display_name", "id")
    )


def discoverable_groups(user) -> QuerySet[Group]:
    """Groups the user may see and is neither in (at any depth) nor owns, with their pending request."""
    settings = actor_context(user).settings
    if user.is_guest and (
        not settings.allow_guests_to_access_groups or directory_policy.is_restricted_guest(user, settings)
    ):
        return Group.objects.none()
    groups = (
        Group.objects.for_tenant(user.tenant)
        .alive()
        .exclude(id__any_of=transitive_group_ids_for_any_of(user))  # one array parameter: ~1,000 ids for some
        .exclude(id__in=Ownership.objects.filter(user=user).values("group_id"))
        .order_by("display_name", "id")
    )
    return _with_pending_request(groups, user)


def requests_of(user) -> QuerySet[JoinRequest]:
    return (
        JoinRequest.objects.for_tenant(user.tenant)
        .filter(requester=user)
        .select_related("group", "decided_by")
        .order_by("-created_date_time", "id")
    )


def _admin_scope(user) -> tuple[bool, set]:
    """(decides for every group of the tenant, ids of the groups a scoped role covers)."""
    everywhere, group_ids = False, set()
    for grant in actor_context(user).grants:
        if not (
            grant.permission == roles.ROLE_ASSIGNABLE_GROUPS_MANAGE
            or (
                grant.permission.startswith(f"{roles.PREFIX}groups")
                and grant.permission.endswith("/members/update")
            )
        ):
            continue
        if grant.scope_group_id is None:
            everywhere = True
        else:
            group_ids.add(grant.scope_group_id)
    return everywhere, group_ids


def approvals_scope(user) -> str:
    """ "admin" (also decides as an administrator), "owner" (decides for owned groups) or "" (none),
    with the tenant's "owners can manage requests" setting applied."""
    everywhere, scoped = _admin_scope(user)
    if everywhere or scoped:
        return "admin"
    return "owner" if actor_context(user).settings.owners_can_manage_requests else ""


def decidable_requests(user, *, to_count: bool = False) -> QuerySet[JoinRequest]:
    """Pending requests the user may decide: for the groups they own and, for administrators, every
    group in their scope. Newest first.

    ``to_count``: the same rows, for counting them all. The owned group ids are then read first and
    their requests found by the group index (an owner of 300 groups with 503 waiting: a join read all
    9,999 pending requests of the tenant, 4.5 -> 1.3 ms). A page of the newest wants the join: it walks
    the (tenant, status, created) index and stops after 25 of the owner's requests."""
    pending = JoinRequest.objects.for_tenant(user.tenant).filter(
        status=RequestStatus.PENDING, group__deleted_date_time__isnull=True
    )
    if not user.tenant.is_premium:
        return pending.none()
    everywhere, scoped = _admin_scope(user)
    if not everywhere:
        condition = Q(group_id__in=scoped)
        if actor_context(user).settings.owners_can_manage_requests:
            owned = Ownership.objects.filter(user=user).values("group_id")
            condition |= Q(group_id__any_of=owned) if to_count else Q(group__in=owned)
        pending = pending.filter(condition)
    return (
        pending.select_related("group", "requester")
        .only(*_REQUEST_ROW_FIELDS)
        .order_by("-created_date_time", "id")
    )


# What a row of the inbox shows (access_requests/_request_row.html): the requester's and the group's
# columns, not their whole rows (a user row is ~90 columns).
_REQUEST_ROW_FIELDS = (
    "group_id",
    "justification",
    "status",
    "created_date_time",
    "decided_by_id",
    "reason",
    "group__display_name",
    "requester__display_name",
    "requester__user_principal_name",
    "requester__user_type",
    "requester__job_title",
    "requester__department",
)


BADGE_CAP = 99  # the navigation badge says "99+" past this


def approvals_count(user, *, cap: int | None = None) -> int:
    """How many requests wait for the user's decision: one COUNT query, none for people who own nothing
    and administer nothing. With ``cap``, at most ``cap + 1`` rows are counted (the navigation badge on
    every page: an administrator of a tenant with 10,000 pending requests shouldn't count them all on
    each page; the badge shows "99+")."""
    ctx = actor_context(user)
    everywhere, scoped = _admin_scope(user)
    if not (everywhere or scoped or ctx.owned_group_ids) or not user.tenant.is_premium:
        return 0
    pending = decidable_requests(user, to_count=True)
    if cap is None:
        return pending.count()
    return pending.order_by()[: cap + 1].count()


def group_requests(group: Group) -> QuerySet[JoinRequest]:
    """A group's requests, pending first then the latest decisions."""
    return (
        JoinRequest.objects.for_tenant(group.tenant)
        .filter(group=group)
        .select_related("group", "group__tenant", "requester", "decided_by")
        .annotate(waiting=Case(When(status=RequestStatus.PENDING, then=Value(0)), default=Value(1)))
        .order_by("waiting", "-created_date_time", "id")
    )


@dataclass(frozen=True)
class SelfService:
    """What the viewer can do about their membership of a group, and why not when they can't."""

    action: str  # "join", "request", "pending", "leave" or ""
    reason: str = ""
    pending_request_id: Any = None


def self_service(user, group: Group, *, pending_request_id: Any = None) -> SelfService:
    """No query: decided from the group row and the grants loaded once for the request."""
    if pending_request_id:
        return SelfService("pending", "Your request is waiting for an owner's decision.", pending_request_id)
    if group.id in actor_context(user).member_group_ids:
        leave = decide(user, "leave", group)
        return SelfService("leave" if leave else "", leave.reason)
    join = decide(user, "join", group)
    if join:
        return SelfService("join")
    if group.self_service_available and group.join_policy == JoinPolicy.OWNER_APPROVAL:
        request = decide(user, "request", group)
        return SelfService("request" if request else "", request.reason)
    return SelfService("", join.reason)


def members_hidden_from(user, group: Group) -> bool:
    return group.visibility == Visibility.HIDDEN_MEMBERSHIP and not can(user, "members/read", group)


@dataclass
class Overview:
    owners: list
    members: list
    member_count: int
    members_visible: bool
    pending_requests: int | None  # for people who decide this group's requests, else None
    is_owner: bool
    status: str  # "member", "nested", "pending" or ""
    self_service: SelfService
    guest_count: int = 0  # counted with the members: only for those who may read them
    guest_count_capped: bool = False  # more guests than GUEST_COUNT_CAP: guest_count is the cap ("99+")
    may_invite_guests: bool = False  # the group page offers "Invite a guest" into this group


OVERVIEW_MEMBERS = 20
GUEST_COUNT_CAP = 99  # the overview says "99+ guests" past this


def group_overview(user, group: Group) -> Overview:
    """What the group page shows an end user: owners, (visible) members, their status and action."""
    owners = list(
        Ownership.objects.filter(group=group).select_related("user").order_by("user__display_name", "id")
    )
    members_visible = can(user, "members/read", group)
    members, member_count, guest_count = [], 0, 0
    if members_visible:
        member_count = group.member_count  # stored by the membership writer
        guest_count = guest_member_count(group, cap=GUEST_COUNT_CAP)
        # The first members by name, users first, read along the user name index (as the members tab):
        # never a sort of every membership of a 100,000-member group to show 20.
        members = DirectMemberPages(group)[0:OVERVIEW_MEMBERS]
    ctx = actor_context(user)
    pending = (
        JoinRequest.objects.filter(group=group, requester=user, status=RequestStatus.PENDING)
        .values_list("id", flat=True)
        .first()
    )
    if group.id in ctx.member_group_ids:
        status = "member"
    elif is_transitive_member(user, group):
        status = "nested"
    elif pending:
        status = "pending"
    else:
        status = ""
    pending_requests = None
    if can(user, "requests/decide", group):
        pending_requests = JoinRequest.objects.filter(group=group, status=RequestStatus.PENDING).count()
    return Overview(
        owners=[o.user for o in owners],
        pending_requests=pending_requests,
        members=members,
        member_count=member_count,
        members_visible=members_visible,
        guest_count=min(guest_count, GUEST_COUNT_CAP),
        guest_count_capped=guest_count > GUEST_COUNT_CAP,
        may_invite_guests=can(user, roles.USERS_INVITE_GUEST) and can(user, "guests/invite", group),
        is_owner=group.id in ctx.owned_group_ids,
        status=status,
        self_service=self_service(user, group, pending_request_id=pending),
    )


def user_requests(user, limit: int = 50) -> QuerySet:
    """A user's latest requests to join, for their page in the directory."""
    return (
        JoinRequest.objects.for_tenant(user.tenant)
        .filter(requester=user)
        .select_related("group", "decided_by")
        .order_by("-created_date_time")[:limit]
    )


def register() -> None:
    """Add the requests section to the user page (from ``AccessRequestsConfig.ready``)."""
    portal_selectors.register_user_section("requests", user_requests)
