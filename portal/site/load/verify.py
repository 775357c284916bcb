"""What must hold after a load run (``manage.py loadtest``): no 5xx; every accepted write present
exactly once and audited exactly once; every change made during the run audited; and
``check_consistency`` finds nothing. Returns the problems found, one sentence each."""

from __future__ import annotations

import json
from collections import Counter
from datetime import datetime
from pathlib import Path

from django.db.models import Q

from access_requests.models import JoinRequest, RequestStatus
from groups.models import Group, Membership, MembershipSource
from portal.consistency import run_checks
from portal.models import AuditEvent, Tenant, User

# The events of every path that puts a person in a group (an approval says whether it did: memberAdded).
ADDED = ("Add member to group", "Join group", "Approve join request")


def read_log(path: Path) -> list[dict]:
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def verify(tenant: Tenant, log: list[dict], *, since: datetime, allow_503: bool = False) -> list[str]:
    """``allow_503``: a fault run (the database restarted): "unavailable, try again" is the right answer
    while it is away; any other 5xx is still a problem."""
    errors = [e for e in log if e["kind"] == "5xx" and not (allow_503 and e["status"] == 503)]
    problems = [f"{e['status']} on {e['method']} {e['path']}" for e in errors]
    events = AuditEvent.objects.filter(tenant=tenant, activity_date_time__gte=since)
    problems += _api_adds([e for e in log if e["kind"] == "add"], events)
    problems += _aborted_adds([e for e in log if e["kind"] == "maybe"], events)
    problems += _descriptions([e for e in log if e["kind"] == "describe"], events)
    problems += _memberships_audited(tenant, events, since)
    problems += _requests_audited(tenant, events, since)
    problems += [str(d) for d in run_checks(tenants=[tenant])]
    return problems


def _api_adds(adds: list[dict], events) -> list[str]:
    """Each accepted add: the membership is there, and one "Add member to group" event names it."""
    problems = []
    upns = dict(
        User.objects.filter(pk__in=[a["user"] for a in adds]).values_list("pk", "user_principal_name")
    )
    audited = Counter(
        (e.target_id, (e.after or {}).get("member")) for e in events.filter(activity="Add member to group")
    )
    present = set(
        Membership.objects.filter(
            Q(group_id__in=[a["group"] for a in adds]), Q(member_user_id__in=[a["user"] for a in adds])
        ).values_list("group_id", "member_user_id")
    )
    for add in adds:
        upn = upns.get(_uuid(add["user"]))
        if (_uuid(add["group"]), _uuid(add["user"])) not in present:
            problems.append(f"accepted add of {upn} to {add['group']} is not there")
        if audited[(add["group"], upn)] != 1:
            problems.append(
                f"accepted add of {upn} to {add['group']}: {audited[(add['group'], upn)]} audit events"
            )
    return problems


def _aborted_adds(maybes: list[dict], events) -> list[str]:
    """Adds whose client gave up: each happened at most once, and if it happened, it is audited once. The
    pair may also have come in by another path during the run (an approved request to join the same
    group): every event that put the member in the group counts."""
    upns = dict(
        User.objects.filter(pk__in=[m["user"] for m in maybes]).values_list("pk", "user_principal_name")
    )
    audited = _adds_audited(events)
    problems = []
    for maybe in maybes:
        upn = upns.get(_uuid(maybe["user"]))
        present = Membership.objects.filter(group_id=maybe["group"], member_user_id=maybe["user"]).count()
        if audited[(maybe["group"], upn)] != present:
            problems.append(
                f"aborted add of {upn} to {maybe['group']}: {present} rows, {audited[(maybe['group'], upn)]} events"
            )
    return problems


def _adds_audited(events) -> Counter:
    """(group id, member) → how many events put that member in that group, by any path."""
    return Counter(
        (e.target_id, (e.after or {}).get("member"))
        for e in events.filter(activity__in=ADDED)
        if (e.after or {}).get("memberAdded", True)
    )


def _descriptions(edits: list[dict], events) -> list[str]:
    """Each accepted description edit: exactly one "Update group" event carries its marker."""
    updates = [json.dumps(e.after) for e in events.filter(activity="Update group")]
    problems = []
    for edit in edits:
        found = sum(edit["marker"] in text for text in updates)
        if found != 1:
            problems.append(f"accepted edit {edit['marker']} of {edit['group']}: {found} audit events")
    return problems


def _memberships_audited(tenant: Tenant, events, since: datetime) -> list[str]:
    """Every membership made by a person during the run (join, approval, API add) has its audit event."""
    made = Membership.objects.filter(
        group__tenant=tenant,
        created_date_time__gte=since,
        source__in=(MembershipSource.DIRECT, MembershipSource.REQUEST),
        member_user__isnull=False,
    ).select_related("member_user")
    audited = set(_adds_audited(events))
    problems = []
    for m in made:
        if (str(m.group_id), m.member_user.user_principal_name) not in audited:
            problems.append(
                f"{m.member_user.user_principal_name} joined {m.group_id} during the run, unaudited"
            )
    return problems


def _requests_audited(tenant: Tenant, events, since: datetime) -> list[str]:
    """Every request made or decided during the run has exactly one event for it."""
    problems = []
    asked = Counter((e.target_id, e.actor_id) for e in events.filter(activity="Request to join group"))
    for request in JoinRequest.objects.filter(tenant=tenant, created_date_time__gte=since):
        if asked[(str(request.group_id), str(request.requester_id))] < 1:
            problems.append(f"request {request.pk} made during the run has no audit event")
    decided = Counter(
        (e.target_id, e.activity)
        for e in events.filter(activity__in=("Approve join request", "Deny join request"))
    )
    by_group = Counter()
    for request in JoinRequest.objects.filter(
        tenant=tenant,
        decided_date_time__gte=since,
        status__in=(RequestStatus.APPROVED, RequestStatus.DENIED),
    ):
        activity = "Approve join request" if request.status == RequestStatus.APPROVED else "Deny join request"
        by_group[(str(request.group_id), activity)] += 1
    for key, count in by_group.items():
        if decided[key] != count:
            problems.append(f"{count} requests of {key[0]} decided ({key[1]}), {decided[key]} audit events")
    return problems


def _uuid(value: str):
    return Group._meta.pk.to_python(value)
