"""/groups and /groups/{id}: list, create, read, update, (soft) delete."""

from __future__ import annotations

from django.db import transaction
from django.http import HttpRequest, HttpResponse

from groups.dynamic import group_rule_processing_set, group_rule_update
from groups.models import CreatedIn, Group
from groups.selectors import readable_groups
from groups.services import group_provision, group_soft_delete, group_update
from portal.models import User
from portal.site.api import errors
from portal.site.api.auth import api_view, read_json
from portal.site.api.paging import Source, paginate, parse_options
from portal.site.api.payloads import bound_references, group_changes, group_create_args, rule_changes
from portal.site.api.serializers import GROUP_JSON_COLUMNS, ON_SELECT, group_rows_json
from portal.site.api.views.common import (
    api_root,
    collection_response,
    count_response,
    counted,
    entity_response,
    group_for,
    no_content,
    object_from_reference,
)


@api_view("GET", "POST")
def group_list(request: HttpRequest, count: bool = False) -> HttpResponse:
    if request.method == "POST" and not count:
        return _group_create(request)
    options = parse_options(request, "group")
    groups = Group.objects.for_tenant(request.api_tenant).alive()
    # Security trimming, before paging (pages and @odata.count tell nothing of the others): the one
    # authorization function decides what the caller may read.
    readable = readable_groups(request.actor, groups, "standard/read")
    # A page that neither expands nor selects a property costing a query is read as rows, not
    # model instances, and written by group_rows_json: the per-group cost of the page is its JSON.
    as_rows = not options.expand and not ON_SELECT[Group].keys() & set(options.select or ())
    if as_rows:
        readable = readable.values(*GROUP_JSON_COLUMNS)
    source = Source(readable, filter_resource="group")
    if count:
        return count_response(request, counted(options), [source])
    page = paginate(request, options, [source], tenant=request.api_tenant)
    if as_rows:
        page.items = group_rows_json(page.items, request.api_tenant)
        return collection_response(request, options, page, "groups", serialized=True)
    for group in page.items:
        # Every one is of the caller's tenant (its mail domain is read per group): the tenant already
        # loaded, rather than a join and a tenant object per row (a tenth of a page of 100).
        group.tenant = request.api_tenant
    return collection_response(request, options, page, "groups")


def _group_create(request: HttpRequest) -> HttpResponse:
    body = read_json(request)
    args = group_create_args(body)
    owners = [
        _user_only(object_from_reference(request, {"@odata.id": r}), "owners")
        for r in bound_references(body, "owners@odata.bind")
    ]
    members = [
        object_from_reference(request, {"@odata.id": r}) for r in bound_references(body, "members@odata.bind")
    ]
    # As the admin pages: the creator owns the group unless a role let them create it (an app never).
    group = group_provision(
        actor=request.actor, created_in=CreatedIn.API, owners=owners, members=members, **args
    )
    response = entity_response(request, group, "groups/$entity", status=201)
    response["Location"] = f"{api_root(request)}/groups/{group.id}"
    return response


def _group_patch(request: HttpRequest, group: Group) -> HttpResponse:
    body = read_json(request)
    changes = group_changes(body)
    rule, paused = rule_changes(body)
    hold = None
    with transaction.atomic():  # every property of the body, or none
        if changes:
            group = group_update(actor=request.actor, group=group, **changes)
        if rule is not None:
            hold = group_rule_update(actor=request.actor, group=group, rule=rule)
        if paused is not None:
            group_rule_processing_set(actor=request.actor, group=group, paused=paused)
    if hold is not None:
        raise errors.rule_change_held(group, hold)
    return no_content()


def _user_only(obj, relation: str):
    if not isinstance(obj, User):
        raise errors.bad_request(f"Only users can be {relation} of a group.", code="Request_BadRequest")
    return obj


@api_view("GET", "PATCH", "DELETE")
def group_detail(request: HttpRequest, group_id: str) -> HttpResponse:
    if request.method == "DELETE":
        group_soft_delete(actor=request.actor, group=group_for(request, group_id, "delete"))
        return no_content()
    if request.method == "PATCH":
        return _group_patch(request, group_for(request, group_id, "standard/read"))
    options = parse_options(request, "group", collection=False)
    group = group_for(request, group_id, "standard/read")
    return entity_response(request, group, "groups/$entity", options)
