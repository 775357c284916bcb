"""Members, owners and memberships: /groups/{id}/members|owners|transitiveMembers|memberOf ...,
/users/{id}/memberOf|transitiveMemberOf, the $ref writes, and checkMemberGroups."""

from __future__ import annotations

import uuid
from typing import Any

from django.http import HttpRequest, HttpResponse, JsonResponse

from groups.models import Group, Membership
from groups.selectors import readable_groups, readable_nested_group_ids, readable_transitive_group_ids
from groups.services import membership_add, membership_remove, ownership_add, ownership_remove
from portal.authz import can
from portal.errors import Conflict
from portal.models import Device, ServicePrincipal, User
from portal.site.api import errors
from portal.site.api.auth import api_view, read_json
from portal.site.api.paging import Source, paginate, parse_options
from portal.site.api.serializers import GROUP_JSON_COLUMNS, ODATA_TYPES, ON_SELECT, group_rows_json
from portal.site.api.views.common import (
    collection_response,
    context_url,
    count_response,
    counted,
    device_or_app_for,
    directory_object_for,
    group_for,
    me,
    no_content,
    object_from_reference,
    user_for,
)

MAX_CHECK_GROUP_IDS = 20
# Type-cast segments (/members/microsoft.graph.user) → the one source they keep.
# The SDKs send the short form (graph.user), scripts the long one; either case.
CASTS = {
    f"{prefix}.{name}".lower(): model
    for prefix in ("graph", "microsoft.graph")
    for name, model in (
        ("user", User),
        ("group", Group),
        ("device", Device),
        ("servicePrincipal", ServicePrincipal),
    )
}
ALREADY_EXISTS = (
    "One or more added object references already exist for the following modified properties: '{}'."
)
CAST_FRAGMENTS = {User: "users", Group: "groups", Device: "devices", ServicePrincipal: "servicePrincipals"}
CAST_RESOURCES = {User: "user", Group: "group", Device: "device", ServicePrincipal: "servicePrincipal"}


def _members_of(group_ids: list, column: str):
    # One array parameter: a transitive list names hundreds of nested groups, four times (one per kind).
    return Membership.objects.filter(group_id__any_of=group_ids, **{f"{column}__isnull": False}).values(
        column
    )


def _member_sources(tenant: Any, group_ids: list) -> list[Source]:
    """Users, groups, devices and service principals that are direct members of any of ``group_ids``.
    Each is a semi-join (``id IN (members)``), never a join with DISTINCT: no duplicates to remove, and
    a page in id order reads the kind's primary key index, each row probed in the groups."""
    return [
        Source(
            User.objects.for_tenant(tenant)
            .filter(pk__in=_members_of(group_ids, "member_user"), deleted_date_time__isnull=True)
            .prefetch_related("multi_values"),
            "user",
        ),
        Source(
            Group.objects.for_tenant(tenant)
            .alive()
            .filter(pk__in=_members_of(group_ids, "member_group"))
            .select_related("tenant"),
            "group",
        ),
        Source(
            Device.objects.for_tenant(tenant).filter(pk__in=_members_of(group_ids, "member_device")), "device"
        ),
        Source(
            ServicePrincipal.objects.for_tenant(tenant).filter(
                pk__in=_members_of(group_ids, "member_service_principal")
            ),
            "servicePrincipal",
        ),
    ]


def _cast(sources: list[Source], cast: str | None) -> tuple[list[Source], str, str]:
    """(sources kept, @odata.context fragment, $select resource) for an optional type cast."""
    if cast is None:
        return sources, "directoryObjects", "directoryObject"
    model = CASTS.get(cast.lower())
    if model is None:
        raise errors.bad_request(f"Resource not found for the segment '{cast}'.")
    kept = [s for s in sources if s.queryset.model is model]
    if not kept:
        raise errors.bad_request(f"Resource not found for the segment '{cast}'.")
    return kept, CAST_FRAGMENTS[model], CAST_RESOURCES[model]


def _directory_list(
    request: HttpRequest, sources: list[Source], cast: str | None, count: bool = False
) -> HttpResponse:
    sources, fragment, resource = _cast(sources, cast)
    options = parse_options(request, resource)
    if count:
        return count_response(request, counted(options), sources)
    page = paginate(request, options, sources, tenant=request.api_tenant)
    return collection_response(request, options, page, fragment, typed=cast is None)


@api_view("GET")
def group_members(
    request: HttpRequest, group_id: str, cast: str | None = None, count: bool = False
) -> HttpResponse:
    group = group_for(request, group_id, "members/read")
    return _directory_list(request, _member_sources(request.api_tenant, [group.pk]), cast, count)


@api_view("GET")
def group_transitive_members(
    request: HttpRequest, group_id: str, cast: str | None = None, count: bool = False
) -> HttpResponse:
    group = group_for(request, group_id, "members/read")
    # Only through nested groups whose members the caller may read (a hidden group's stay hidden).
    group_ids = [group.pk, *readable_nested_group_ids(request.actor, group)]
    return _directory_list(request, _member_sources(request.api_tenant, group_ids), cast, count)


@api_view("GET")
def group_owners(
    request: HttpRequest, group_id: str, cast: str | None = None, count: bool = False
) -> HttpResponse:
    group = group_for(request, group_id, "owners/read")
    owners = (
        User.objects.for_tenant(request.api_tenant)
        .filter(ownerships__group=group, deleted_date_time__isnull=True)
        .prefetch_related("multi_values")
    )
    return _directory_list(request, [Source(owners, "user")], cast, count)


def _groups_list(request: HttpRequest, groups, cast: str | None, count: bool = False) -> HttpResponse:
    """Groups something belongs to. Belonging to a group is a fact about its members: show only the
    groups whose members the caller may read (hidden-membership groups stay hidden), trimmed before
    paging so that pages and ``@odata.count`` tell nothing about the others."""
    visible = readable_groups(request.actor, groups.alive(), "members/read")
    source = Source(visible, "group")
    sources, fragment, resource = _cast([source], cast)
    options = parse_options(request, resource)
    if count:
        return count_response(request, counted(options), sources)
    # As /v1.0/groups: a page that neither expands nor selects a property costing a query is read as
    # rows and written by group_rows_json (no model instance, tenant or property call per group).
    as_rows = not options.expand and not ON_SELECT[Group].keys() & set(options.select or ())
    if as_rows:
        sources = [Source(s.queryset.values(*GROUP_JSON_COLUMNS), s.filter_resource) for s in sources]
    page = paginate(request, options, sources, tenant=request.api_tenant)
    if as_rows:
        typed = {"@odata.type": ODATA_TYPES[Group]} if cast is None else {}
        page.items = [typed | data for data in group_rows_json(page.items, request.api_tenant)]
        return collection_response(request, options, page, fragment, serialized=True)
    for group in page.items:
        # Each is of the caller's tenant (every group's mail takes its domain): the tenant already loaded,
        # not a join and a tenant object per row (a third of reading a page of 100 groups).
        group.tenant = request.api_tenant
    return collection_response(request, options, page, fragment, typed=cast is None)


def subject_of(request: HttpRequest, kind: str, object_id: str | None) -> Any:
    if kind == "me":
        return me(request)
    if kind == "users":
        return user_for(request, object_id)
    if kind in ("devices", "servicePrincipals"):
        return device_or_app_for(request, kind, object_id)
    return group_for(request, object_id, "memberOf/read")


_MEMBER_COLUMN = {
    User: "member_user",
    Group: "member_group",
    Device: "member_device",
    ServicePrincipal: "member_service_principal",
}


@api_view("GET")
def member_of(
    request: HttpRequest,
    kind: str,
    object_id: str | None = None,
    cast: str | None = None,
    count: bool = False,
):
    subject = subject_of(request, kind, object_id)
    column = _MEMBER_COLUMN[type(subject)]
    # The subject's group ids first, then each group by its key: a join hashed every group of the tenant.
    direct = Membership.objects.filter(**{column: subject}).values("group_id")
    groups = Group.objects.for_tenant(request.api_tenant).filter(id__any_of=direct)
    return _groups_list(request, groups, cast, count)


@api_view("GET")
def transitive_member_of(
    request: HttpRequest,
    kind: str,
    object_id: str | None = None,
    cast: str | None = None,
    count: bool = False,
) -> HttpResponse:
    subject = subject_of(request, kind, object_id)
    reached = readable_transitive_group_ids(request.actor, subject)
    groups = Group.objects.for_tenant(request.api_tenant).filter(id__in=reached)
    return _groups_list(request, groups, cast, count)


@api_view("POST")
def check_member_groups(request: HttpRequest, kind: str, object_id: str | None = None) -> HttpResponse:
    """Which of the given groups the object belongs to, directly or through nesting."""
    subject = subject_of(request, kind, object_id)
    body = read_json(request)
    group_ids = body.get("groupIds")
    if not isinstance(group_ids, list) or not all(isinstance(g, str) for g in group_ids):
        raise errors.bad_request('The body must be {"groupIds": ["<group id>", ...]}.')
    if len(group_ids) > MAX_CHECK_GROUP_IDS:
        raise errors.bad_request(f"groupIds may hold at most {MAX_CHECK_GROUP_IDS} ids.")
    wanted = set()
    for value in group_ids:
        try:
            wanted.add(uuid.UUID(value))
        except ValueError:
            raise errors.bad_request(
                f"Invalid object identifier '{value}'.", code="Request_BadRequest"
            ) from None
    belongs = readable_transitive_group_ids(request.actor, subject) & wanted
    groups = Group.objects.for_tenant(request.api_tenant).alive().filter(id__in=belongs)
    visible = sorted(str(pk) for pk in groups.values_list("pk", flat=True))
    return JsonResponse({"@odata.context": context_url(request, "Collection(Edm.String)"), "value": visible})


@api_view("POST")
def member_ref(request: HttpRequest, group_id: str) -> HttpResponse:
    group = group_for(request, group_id, "standard/read")
    member = object_from_reference(request, read_json(request))
    try:
        membership_add(actor=request.actor, group=group, member=member)
    except Conflict:  # already a member: Graph's very words (re-runnable scripts match on them)
        raise errors.bad_request(ALREADY_EXISTS.format("members"), code=errors.REQUEST_BAD_REQUEST) from None
    return no_content()


@api_view("POST")
def owner_ref(request: HttpRequest, group_id: str) -> HttpResponse:
    group = group_for(request, group_id, "standard/read")
    owner = object_from_reference(request, read_json(request))
    if not isinstance(owner, User):
        raise errors.bad_request("Only users can own a group.", code="Request_BadRequest")
    try:
        ownership_add(actor=request.actor, group=group, user=owner)
    except Conflict:
        raise errors.bad_request(ALREADY_EXISTS.format("owners"), code=errors.REQUEST_BAD_REQUEST) from None
    return no_content()


def _not_a_link(request: HttpRequest, group: Group, obj: Any, sources: list[Source], read: str) -> bool:
    """Is ``obj`` absent from the relation, as far as the caller may see it? (Graph answers 404.)"""
    if not can(request.actor, read, group):
        return False  # the service refuses with 403, without telling who is in the group
    return not any(s.queryset.model is type(obj) and s.queryset.filter(pk=obj.pk).exists() for s in sources)


@api_view("DELETE")
def member_ref_delete(request: HttpRequest, group_id: str, member_id: str) -> HttpResponse:
    group = group_for(request, group_id, "standard/read")
    member = directory_object_for(request, member_id)
    if _not_a_link(request, group, member, _member_sources(request.api_tenant, [group.pk]), "members/read"):
        raise errors.not_found(member_id)
    membership_remove(actor=request.actor, group=group, member=member)
    return no_content()


@api_view("DELETE")
def owner_ref_delete(request: HttpRequest, group_id: str, owner_id: str) -> HttpResponse:
    group = group_for(request, group_id, "standard/read")
    owner = directory_object_for(request, owner_id)
    owners = [Source(User.objects.filter(ownerships__group=group))]
    if not isinstance(owner, User) or _not_a_link(request, group, owner, owners, "owners/read"):
        raise errors.not_found(owner_id)
    ownership_remove(actor=request.actor, group=group, user=owner)
    return no_content()
