"""/directory/deletedItems: soft-deleted groups and users (list by type, get, restore, delete for good).

Graph lists deleted items by type only (``/directory/deletedItems/microsoft.graph.group``, or the SDK's
``graph.group``); an item is reached by its id, with or without a cast. A group is listed to whoever may
restore it; a user to whoever reads users. Restore and permanent deletion go through the services
that own them (``group_restore``/``group_hard_delete``, ``user_restore``/``user_hard_delete``).
"""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse
from django.views.decorators.csrf import csrf_exempt

from groups.models import Group
from groups.services import group_hard_delete, group_restore
from portal import roles
from portal.authz import authorize, can, user_read_access
from portal.models import User
from portal.services import user_hard_delete, user_restore
from portal.site.api import errors
from portal.site.api.auth import api_view
from portal.site.api.paging import Source, paginate, parse_options
from portal.site.api.views.common import (
    collection_response,
    count_response,
    counted,
    entity_response,
    no_content,
    parse_id,
    trimmed,
)

DELETED_CASTS = {
    f"{prefix}.{name}".lower(): model
    for prefix in ("graph", "microsoft.graph")
    for name, model in (("group", Group), ("user", User))
}


def _model_of(cast: str) -> type:
    model = DELETED_CASTS.get(cast.lower())
    if model is None:
        raise errors.bad_request(f"Resource not found for the segment '{cast}'.")
    return model


def _deleted_groups(request: HttpRequest):
    groups = Group.objects.for_tenant(request.api_tenant).filter(deleted_date_time__isnull=False)
    return trimmed(groups.select_related("tenant"), lambda g: can(request.actor, "restore", g))


def _deleted_users(request: HttpRequest):
    authorize(request.actor, roles.USERS_READ)
    users = User.objects.for_tenant(request.api_tenant).filter(deleted_date_time__isnull=False)
    return users.prefetch_related("multi_values")


@api_view("GET")
def deleted_list(request: HttpRequest, cast: str, count: bool = False) -> HttpResponse:
    model = _model_of(cast)
    if model is Group:
        source, resource = Source(_deleted_groups(request), "group"), "group"
    else:
        source, resource = Source(_deleted_users(request), "user"), "user"
    options = parse_options(request, resource)
    if count:
        return count_response(request, counted(options), [source])
    page = paginate(request, options, [source], tenant=request.api_tenant)
    return collection_response(request, options, page, f"directory/deletedItems/microsoft.graph.{resource}")


def _deleted_item(request: HttpRequest, item_id: str, cast: str | None = None) -> Any:
    """The caller's tenant's deleted group or user of that id (404 for anything else)."""
    pk = parse_id(item_id)
    models = [_model_of(cast)] if cast else [Group, User]
    for model in models:
        found = model.objects.for_tenant(request.api_tenant).filter(pk=pk, deleted_date_time__isnull=False)
        obj = found.first()
        if obj is None:
            continue
        if isinstance(obj, Group) and not can(request.actor, "restore", obj):
            raise errors.denied("Only who may restore a deleted group reads it.")
        if isinstance(obj, User) and not user_read_access(request.actor, obj):
            raise errors.denied()
        return obj
    raise errors.not_found(item_id)


@api_view("GET", "DELETE")
def deleted_item(request: HttpRequest, item_id: str, cast: str | None = None) -> HttpResponse:
    obj = _deleted_item(request, item_id, cast)
    if request.method == "DELETE":
        if isinstance(obj, Group):
            group_hard_delete(actor=request.actor, group=obj)
        else:
            user_hard_delete(actor=request.actor, user=obj)
        return no_content()
    resource = "group" if isinstance(obj, Group) else "user"
    options = parse_options(request, resource, collection=False)
    return entity_response(request, obj, "directory/deletedItems/$entity", options, typed=True)


@api_view("POST")
def deleted_item_restore(request: HttpRequest, item_id: str) -> HttpResponse:
    """Restore: 200 with the restored object, as Graph answers."""
    obj = _deleted_item(request, item_id)
    if isinstance(obj, Group):
        restored = group_restore(actor=request.actor, group=obj)
    else:
        restored = user_restore(actor=request.actor, user=obj)
        restored = User.objects.prefetch_related("multi_values").get(pk=restored.pk)
    return entity_response(request, restored, "directoryObjects/$entity", typed=True)


@csrf_exempt  # as every API view: only the bearer token authenticates (each branch is an api_view)
def deleted_item_or_list(request: HttpRequest, item_id: str) -> HttpResponse:
    """``/directory/deletedItems/<x>``: a type cast lists, anything else is an item's id."""
    if item_id.lower() in DELETED_CASTS:
        return deleted_list(request, cast=item_id)
    return deleted_item(request, item_id)
