"""``/users/delta`` and ``/groups/delta``: Graph's delta query, with no change log of its own.

A round starts without a token: every live object, page by page (``@odata.nextLink`` with a
``$skiptoken``), the last page ending with an ``@odata.deltaLink``. Its ``$deltatoken`` remembers where
the audit log stood (the id of its last event) and the time. The next call answers only what changed
since, read from what the service layer already writes:

- an object changed when an audit event since names it as its target (every change of a user or a group
  records one, membership changes included: they target the group);
- an object is ``@removed`` with reason ``changed`` when it is soft-deleted (it can still be restored)
  and ``deleted`` when it is gone;
- ``members@delta``: members whose membership row is newer than the token (added), and those the
  audit events since removed (each removal records the member's id; a dynamic group's recomputation
  records the ids that left), unless they are members again.

Tokens are signed (with the tenant in the salt): a forged, altered or other tenant's token is a 400. The
query count of a page doesn't grow with its size (tests pin it).

Where a round ends matters on PostgreSQL: audit ids come from a sequence, so a transaction that took id
41 may commit after another committed id 42. A round that ended at 42 would never see 41. So a round
ends at the last id before the first gap that a transaction still running may fill (``_high_water``),
and a gap counts as settled (a rollback) once every transaction that was running when it was seen has
ended. A change then comes a round later while its transaction runs, never not at all. SQLite runs one
writer at a time, so its ids are visible in order.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from urllib.parse import quote

from django.core import signing
from django.db import connection
from django.db.models import Max, QuerySet
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from groups.models import Group, Membership
from portal import roles
from portal.authz import authorize, can
from portal.models import AuditEvent, User
from portal.site.api import errors
from portal.site.api.auth import api_view
from portal.site.api.serializers import PROPERTIES, select
from portal.site.api.views.common import context_url, readable_json

DEFAULT_PAGE = 100
MAX_PAGE = 999
ADD, REMOVE = "Add member to group", "Remove member from group"
RECOMPUTE = "Update dynamic group membership"
MEMBER_FIELDS = ("member_user_id", "member_group_id", "member_device_id", "member_service_principal_id")
MEMBER_TYPES = (
    "#microsoft.graph.user",
    "#microsoft.graph.group",
    "#microsoft.graph.device",
    "#microsoft.graph.servicePrincipal",
)
_MAXPAGESIZE = re.compile(r"odata\.maxpagesize\s*=\s*(\d+)", re.IGNORECASE)


@dataclass
class State:
    """What a delta or skip token carries."""

    resource: str
    since_event: int | None  # None: the first round (every live object)
    since_time: datetime | None
    upto_event: int
    upto_time: datetime
    after: str = ""  # the last id of the previous page
    select: list[str] | None = None
    # The highest id there was and the database's time when upto_event was chosen (PostgreSQL): the
    # ids between the two that were missing are settled once no transaction of that time still runs.
    seen_event: int | None = None
    seen_at: datetime | None = None

    def dumps(self, tenant_id: Any) -> str:
        payload = {
            "r": self.resource,
            "se": self.since_event,
            "st": self.since_time.isoformat() if self.since_time else None,
            "ue": self.upto_event,
            "ut": self.upto_time.isoformat(),
            "a": self.after,
            "s": self.select,
            "he": self.seen_event,
            "ht": self.seen_at.isoformat() if self.seen_at else None,
        }
        return signing.dumps(payload, salt=_salt(tenant_id), compress=True)


def _salt(tenant_id: Any) -> str:
    return f"groupdesk.api.delta.{tenant_id}"


def _load(token: str, tenant_id: Any, resource: str) -> State:
    try:
        data = signing.loads(token, salt=_salt(tenant_id))
        state = State(
            resource=data["r"],
            since_event=data["se"],
            since_time=parse_datetime(data["st"]) if data["st"] else None,
            upto_event=data["ue"],
            upto_time=parse_datetime(data["ut"]),
            after=data["a"],
            select=data["s"],
            seen_event=data.get("he"),
            seen_at=parse_datetime(data["ht"]) if data.get("ht") else None,
        )
    except (signing.BadSignature, KeyError, TypeError, ValueError):
        raise errors.bad_request("Badly formed token.", code="Request_BadRequest") from None
    if state.resource != resource:
        raise errors.bad_request(
            "Badly formed token: it belongs to another delta query.", code="Request_BadRequest"
        )
    return state


# The highest audit id, the database's time, and when the oldest transaction that has written anything
# (and so may hold an audit id not yet visible) began: one statement, one snapshot. pg_stat_activity
# shows a session's transaction to its own role (or to pg_read_all_stats): every process that writes
# audit events (web, workers, commands) connects as the application's role, so none is hidden.
_WRITERS_SQL = """
SELECT (SELECT max(id) FROM portal_auditevent), statement_timestamp(),
       (SELECT min(xact_start) FROM pg_stat_activity
        WHERE datname = current_database() AND pid <> pg_backend_pid() AND backend_xid IS NOT NULL)
"""

# The end of the run of consecutive ids just above %(floor)s (%(floor)s itself when the next id is
# missing): the ids past the first gap wait for the next round.
_RUN_END_SQL = """
SELECT CASE WHEN min(id) = %(floor)s + 1 THEN (
    SELECT min(id) FROM (
        SELECT id, lead(id) OVER (ORDER BY id) AS next FROM portal_auditevent WHERE id > %(floor)s
    ) run WHERE next IS NULL OR next <> id + 1
) ELSE %(floor)s END
FROM portal_auditevent WHERE id > %(floor)s
"""

# How far below the highest id a first round looks for gaps: a transaction still running holds one of
# the last ids taken, not one taken ten thousand events ago.
FIRST_ROUND_WINDOW = 10_000


@dataclass
class HighWater:
    upto_event: int  # where the round ends: every id up to it is visible or settled
    seen_event: int  # the highest id visible
    seen_at: datetime | None  # the database's time (PostgreSQL)
    writers_since: datetime | None  # when the oldest transaction still writing began (PostgreSQL)


def _high_water(previous: State | None) -> HighWater:
    """Where a round may end. On SQLite, the last audit event's id, of any tenant (one look at the primary
    key's index; the rounds then read the range of ids in between, filtered by tenant). On PostgreSQL,
    the same unless a transaction is still writing: then the end of the run of consecutive ids above
    what is settled, so an id that transaction commits later is in the next round."""
    if connection.vendor != "postgresql":
        top = AuditEvent.objects.aggregate(top=Max("id"))["top"] or 0
        return HighWater(top, top, None, None)
    with connection.cursor() as cursor:
        cursor.execute(_WRITERS_SQL)
        top, now, writers_since = cursor.fetchone()
        top = top or 0
        if writers_since is None:
            return HighWater(top, top, now, None)
        if previous is None:
            floor = max(top - FIRST_ROUND_WINDOW, 0)
        else:
            floor = previous.upto_event
            # Every transaction running when the previous round ended has ended since: the ids missing
            # then were rolled back and will never come.
            if previous.seen_event and previous.seen_at and writers_since > previous.seen_at:
                floor = max(floor, previous.seen_event)
        if floor >= top:
            return HighWater(top, top, now, writers_since)
        cursor.execute(_RUN_END_SQL, {"floor": floor})
        run_end = cursor.fetchone()[0]
    return HighWater(min(run_end if run_end is not None else floor, top), top, now, writers_since)


def _selected(request: HttpRequest, resource: str) -> list[str] | None:
    raw = request.GET.get("$select")
    if raw is None:
        return None
    chosen = [p.strip() for p in raw.split(",") if p.strip()]
    allowed = PROPERTIES[resource] | ({"members"} if resource == "group" else set())
    for prop in chosen:
        if prop not in allowed:
            raise errors.bad_request(
                f"Could not find a property named '{prop[:64]}' on type 'microsoft.graph.{resource}'."
            )
    return chosen or None


def _state(request: HttpRequest, resource: str) -> State:
    """The token's state, or a new round's; other query options are refused (they go in the first call)."""
    for name in request.GET:
        if name.startswith("$") and name not in ("$select", "$deltatoken", "$skiptoken"):
            raise errors.bad_request(
                f"Query option '{name[:32]}' is not supported with delta.", code="Request_UnsupportedQuery"
            )
    token = request.GET.get("$skiptoken") or request.GET.get("$deltatoken")
    tenant = request.api_tenant
    if token:
        state = _load(token, tenant.pk, resource)
        if "$deltatoken" in request.GET and "$skiptoken" not in request.GET:
            # A new round from where the last one ended.
            return _round(resource, state, state.select)
        return state
    return _round(resource, None, _selected(request, resource))


def _round(resource: str, previous: State | None, chosen: list[str] | None) -> State:
    """A new round's state: from where ``previous`` ended (or from the start) to the high-water mark."""
    now = timezone.now()  # before the high-water mark: a change in between comes twice, never not at all
    water = _high_water(previous)
    if water.writers_since is not None:
        # A membership row written by a transaction still running carries an earlier time than now.
        now = min(now, water.writers_since)
    return State(
        resource,
        previous.upto_event if previous else None,
        previous.upto_time if previous else None,
        water.upto_event,
        now,
        "",
        chosen,
        water.seen_event,
        water.seen_at,
    )


def _page_size(request: HttpRequest) -> int:
    match = _MAXPAGESIZE.search(request.headers.get("Prefer", ""))
    return min(int(match.group(1)), MAX_PAGE) if match and int(match.group(1)) > 0 else DEFAULT_PAGE


# --- what changed -------------------------------------------------------------------------------------


def _events(tenant: Any, state: State) -> QuerySet:
    return AuditEvent.objects.filter(
        tenant=tenant, id__gt=state.since_event, id__lte=state.upto_event, result=AuditEvent.Result.SUCCESS
    )


def _changed_ids(tenant: Any, state: State, target_type: str) -> list[str]:
    ids = (
        _events(tenant, state)
        .filter(target_type=target_type)
        .order_by()
        .values_list("target_id", flat=True)
        .distinct()
    )
    return sorted(i for i in ids if i and i > state.after)


@dataclass
class Page:
    items: list[tuple[str, Any]] = field(default_factory=list)  # (id, live object or None)
    removed_reason: dict[str, str] = field(default_factory=dict)
    last: str = ""
    more: bool = False


def _page(request: HttpRequest, state: State, live: QuerySet, model: type, size: int) -> Page:
    page = Page()
    if state.since_event is None:
        rows = list(
            live.filter(pk__gt=state.after or "00000000-0000-0000-0000-000000000000").order_by("pk")[
                : size + 1
            ]
        )
        page.more = len(rows) > size
        page.items = [(str(o.pk), o) for o in rows[:size]]
    else:
        ids = _changed_ids(request.api_tenant, state, model.__name__.lower())
        page.more = len(ids) > size
        ids = ids[:size]
        found = {str(o.pk): o for o in live.filter(pk__in=ids)}
        gone = set(ids) - set(found)
        soft = {
            str(pk)
            for pk in model.objects.filter(pk__in=gone, tenant=request.api_tenant).values_list(
                "pk", flat=True
            )
        }
        page.items = [(i, found.get(i)) for i in ids]
        page.removed_reason = {i: ("changed" if i in soft else "deleted") for i in gone}
    page.last = page.items[-1][0] if page.items else state.after
    return page


def _link(request: HttpRequest, name: str, token: str) -> str:
    return f"{request.build_absolute_uri(request.path)}?{name}={quote(token, safe='')}"


def _respond(
    request: HttpRequest, state: State, page: Page, fragment: str, value: list[dict]
) -> JsonResponse:
    if state.select:
        fragment = f"{fragment}({','.join(state.select)})"
    body: dict[str, Any] = {"@odata.context": context_url(request, fragment)}
    tenant_id = request.api_tenant.pk
    if page.more:
        following = State(**{**state.__dict__, "after": page.last})
        body["@odata.nextLink"] = _link(request, "$skiptoken", following.dumps(tenant_id))
    else:
        ended = State(**{**state.__dict__, "after": ""})
        body["@odata.deltaLink"] = _link(request, "$deltatoken", ended.dumps(tenant_id))
    body["value"] = value
    return JsonResponse(body)


def _entry(request: HttpRequest, state: State, page: Page, object_id: str, obj: Any) -> dict[str, Any]:
    if obj is None:
        return {"id": object_id, "@removed": {"reason": page.removed_reason[object_id]}}
    wanted = [p for p in state.select if p != "members"] if state.select else None
    return select(readable_json(request, obj), [*wanted, "id"] if wanted else None)


# --- the views ----------------------------------------------------------------------------------------


@api_view("GET")
def user_delta(request: HttpRequest) -> HttpResponse:
    authorize(request.actor, roles.USERS_READ)
    state = _state(request, "user")
    live = (
        User.objects.for_tenant(request.api_tenant)
        .filter(deleted_date_time__isnull=True)
        .prefetch_related("multi_values")
    )
    page = _page(request, state, live, User, _page_size(request))
    value = [_entry(request, state, page, i, obj) for i, obj in page.items]
    return _respond(request, state, page, "users", value)


@api_view("GET")
def group_delta(request: HttpRequest) -> HttpResponse:
    state = _state(request, "group")
    live = Group.objects.for_tenant(request.api_tenant).alive().select_related("tenant")
    page = _page(request, state, live, Group, _page_size(request))
    readable = [(i, g) for i, g in page.items if g is None or can(request.actor, "standard/read", g)]
    with_members = state.select is None or "members" in state.select
    members = (
        _members_delta(request, state, [g for _, g in readable if g is not None]) if with_members else {}
    )
    value = []
    for object_id, group in readable:
        entry = _entry(request, state, page, object_id, group)
        if group is not None and members.get(object_id):
            entry["members@delta"] = members[object_id]
        value.append(entry)
    return _respond(request, state, page, "groups", value)


def _members_delta(request: HttpRequest, state: State, groups: list[Group]) -> dict[str, list[dict]]:
    """Each group's ``members@delta``, for the groups whose members the caller may read: every member in
    a first round; afterwards, who joined since the token and who left (and isn't back)."""
    visible = {str(g.pk): g for g in groups if can(request.actor, "members/read", g)}
    if not visible:
        return {}
    memberships = Membership.objects.filter(group_id__in=list(visible))
    if state.since_time is not None:
        memberships = memberships.filter(created_date_time__gt=state.since_time)
    delta: dict[str, list[dict]] = {gid: [] for gid in visible}
    present: dict[str, set[str]] = {gid: set() for gid in visible}
    for group_id, *member_ids in memberships.values_list("group_id", *MEMBER_FIELDS):
        kind, member_id = next((k, m) for k, m in enumerate(member_ids) if m is not None)
        delta[str(group_id)].append({"@odata.type": MEMBER_TYPES[kind], "id": str(member_id)})
        present[str(group_id)].add(str(member_id))
    if state.since_event is not None:
        _add_removals(request, state, visible, delta, present)
    return delta


def _add_removals(request, state: State, visible: dict[str, Group], delta: dict, present: dict) -> None:
    events = _events(request.api_tenant, state).filter(
        target_type="group", target_id__in=list(visible), activity__in=(REMOVE, RECOMPUTE)
    )
    current = _still_members(visible)
    for group_id, activity, before, after in events.order_by("id").values_list(
        "target_id", "activity", "before", "after"
    ):
        group = visible[group_id]
        if activity == REMOVE:
            left = [((before or {}).get("memberId"), (before or {}).get("memberType", "user"))]
        else:
            kind = "device" if "device." in group.membership_rule.lower() else "user"
            left = [(pk, kind) for pk in (after or {}).get("removedIds", [])]
        for member_id, kind in left:
            if not member_id or member_id in present[group_id] or (group_id, member_id) in current:
                continue
            present[group_id].add(member_id)
            odata = f"#microsoft.graph.{'servicePrincipal' if kind == 'servicePrincipal' else kind}"
            delta[group_id].append({"@odata.type": odata, "id": member_id, "@removed": {"reason": "deleted"}})


def _still_members(visible: dict[str, Group]) -> set[tuple[str, str]]:
    """(group id, member id) of the pages' groups' current members: a member removed and added back
    since the token is not reported removed."""
    rows = Membership.objects.filter(group_id__in=list(visible)).values_list("group_id", *MEMBER_FIELDS)
    return {(str(g), str(next(m for m in ms if m is not None))) for g, *ms in rows}
