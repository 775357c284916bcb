"""What a load run needs from the database before it starts: signed-in sessions, API tokens, the groups
people browse, join and ask to join, the pending requests owners decide, and the (group, user) pairs
API clients add (each pair tried once, so that "present exactly once" can be checked afterwards).

The plan is a JSON file the locustfile reads: the load generator never touches the database.
"""

from __future__ import annotations

import random
import secrets

from django.conf import settings
from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
from django.contrib.sessions.backends.db import SessionStore

from access_requests.models import JoinRequest, RequestStatus
from groups.models import Group, GroupKind, JoinPolicy, Membership, MembershipType
from groups.services import group_create
from portal.models import Tenant, User, UserType
from portal.services import SYSTEM
from portal.tokens import api_token_create

END_USERS = 40
API_PAIRS = 4000


def session_for(user: User) -> str:
    """A signed-in session made directly in the store (no password hashing in the load)."""
    store = SessionStore()
    store[SESSION_KEY] = str(user.pk)
    store[BACKEND_SESSION_KEY] = settings.AUTHENTICATION_BACKENDS[-1]
    store[HASH_SESSION_KEY] = user.get_session_auth_hash()
    store.create()
    return store.session_key


def build_plan(tenant: Tenant, *, rng: random.Random) -> dict:
    groups = Group.objects.for_tenant(tenant).alive().exclude(source="synced")
    assigned = groups.filter(membership_type=MembershipType.ASSIGNED, is_assignable_to_role=False)
    people = list(
        User.objects.for_tenant(tenant)
        .filter(user_type=UserType.MEMBER, account_enabled=True, deleted_date_time__isnull=True)
        .exclude(user_principal_name__in=["admin@contoso.test", "groupsadmin@contoso.test"])
        .order_by("user_principal_name")[: END_USERS * 5]
    )
    end_users = rng.sample(people, k=min(END_USERS, len(people)))
    owner = User.objects.get(user_principal_name="owner@contoso.test")
    admin = User.objects.get(user_principal_name="admin@contoso.test")
    api_admin = User.objects.get(user_principal_name="groupsadmin@contoso.test")
    return {
        "csrf": secrets.token_hex(16),
        "end_users": [session_for(u) for u in end_users],
        "owner": session_for(owner),
        "admin": session_for(admin),
        "admin_token": api_token_create(tenant=tenant, actor=SYSTEM, user=admin)[1],
        "api_token": api_token_create(tenant=tenant, actor=SYSTEM, user=api_admin)[1],
        "open_groups": _ids(assigned.filter(join_policy=JoinPolicy.OPEN)[:200]),
        "approval_groups": _ids(assigned.filter(join_policy=JoinPolicy.OWNER_APPROVAL)[:200]),
        "browse_groups": _ids(groups.order_by("-member_count")[:50]),
        "edit_groups": _ids(assigned.filter(kind=GroupKind.SECURITY)[:20]),
        "rule_group": str(_rule_group(tenant, admin).pk),
        "pairs": _api_pairs(tenant, assigned, rng),
        "pending_for_owner": JoinRequest.objects.filter(
            tenant=tenant, status=RequestStatus.PENDING, group__ownerships__user=owner
        ).count(),
    }


def _ids(groups) -> list[str]:
    return [str(pk) for pk in groups.values_list("pk", flat=True)]


def _rule_group(tenant: Tenant, admin: User) -> Group:
    """The dynamic group the admin edits the rule of during the run (made once)."""
    found = Group.objects.for_tenant(tenant).filter(mail_nickname="load-rule").first()
    return found or group_create(
        actor=admin,
        display_name="Load test rule",
        mail_nickname="load-rule",
        membership_type="dynamic",
        membership_rule='user.department -eq "Sales"',
    )


def _api_pairs(tenant: Tenant, groups, rng: random.Random) -> list[list[str]]:
    """(group, user) pairs no one is in yet, each to be added once by an API client."""
    targets = list(
        groups.filter(kind=GroupKind.SECURITY)
        .exclude(join_policy=JoinPolicy.OPEN)
        .values_list("pk", flat=True)[:100]
    )
    users = list(
        User.objects.for_tenant(tenant)
        .filter(deleted_date_time__isnull=True, account_enabled=True, user_type=UserType.MEMBER)
        .values_list("pk", flat=True)[:2000]
    )
    taken = set(
        Membership.objects.filter(group_id__in=targets, member_user__isnull=False).values_list(
            "group_id", "member_user_id"
        )
    )
    pairs, seen = [], set()
    for _ in range(API_PAIRS * 2):
        pair = (rng.choice(targets), rng.choice(users)) if targets and users else None
        if pair is None or pair in taken or pair in seen:
            continue
        seen.add(pair)
        pairs.append([str(pair[0]), str(pair[1])])
        if len(pairs) == API_PAIRS:
            break
    return pairs
