"""/external/connections and what they hold: connections, external groups, their members, items.

Every call is authorized by ``portal.authz`` (the connection rules: Search Administrator's permission)
and every write goes through ``groups.connections.services`` (one audit event, one transaction). Ids
in paths that can't exist (too long, other characters) are a 404 like any unknown id; bad bodies a 400.
"""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse, JsonResponse

from groups.connections import selectors, services, validation
from groups.connections.authz import UPDATE
from groups.connections.models import ExternalConnection, ExternalGroup
from portal.site.api import errors
from portal.site.api.auth import api_view, read_json
from portal.site.api.external_json import connection_json, group_json, item_json, member_json
from portal.site.api.views.common import api_root, context_url, no_content


def _entity(request: HttpRequest, fragment: str, data: dict[str, Any], status: int = 200) -> JsonResponse:
    return JsonResponse({"@odata.context": context_url(request, fragment), **data}, status=status)


def _collection(request: HttpRequest, fragment: str, values: list[dict[str, Any]]) -> JsonResponse:
    return JsonResponse({"@odata.context": context_url(request, fragment), "value": values})


def _connection(request: HttpRequest, connection_id: str, action: str = selectors.READ) -> ExternalConnection:
    return selectors.get_connection_for(request.actor, connection_id, action)


def _group(
    request: HttpRequest, connection_id: str, group_id: str, action: str = selectors.READ
) -> ExternalGroup:
    return selectors.get_external_group(_connection(request, connection_id, action), group_id)


@api_view("GET", "POST")
def connection_list(request: HttpRequest) -> HttpResponse:
    if request.method == "POST":
        body = read_json(request)
        connection = services.connection_create(
            actor=request.actor,
            connection_id=body.get("id"),
            name=body.get("name"),
            description=body.get("description"),
        )
        response = _entity(request, "external/connections/$entity", connection_json(connection), status=201)
        response["Location"] = f"{api_root(request)}/external/connections/{connection.connection_id}"
        return response
    connections = selectors.connections_for(request.actor).order_by("connection_id")
    return _collection(request, "external/connections", [connection_json(c) for c in connections])


@api_view("GET", "PATCH", "DELETE")
def connection_detail(request: HttpRequest, connection_id: str) -> HttpResponse:
    connection = _connection(request, connection_id)
    if request.method == "DELETE":
        services.connection_delete(actor=request.actor, connection=connection)
        return no_content()
    if request.method == "PATCH":
        body = read_json(request)
        changes = {k: body[k] for k in ("name", "description") if k in body}
        services.connection_update(actor=request.actor, connection=connection, changes=changes)
        return no_content()
    return _entity(request, "external/connections/$entity", connection_json(connection))


@api_view("GET", "POST")
def group_list(request: HttpRequest, connection_id: str) -> HttpResponse:
    connection = _connection(request, connection_id)
    fragment = f"external/connections('{connection.connection_id}')/groups"
    if request.method == "POST":
        body = read_json(request)
        group = services.external_group_create(
            actor=request.actor,
            connection=connection,
            group_id=body.get("id"),
            display_name=body.get("displayName"),
            description=body.get("description"),
        )
        return _entity(request, f"{fragment}/$entity", group_json(group), status=201)
    return _collection(request, fragment, [group_json(g) for g in selectors.external_groups(connection)])


@api_view("GET", "PATCH", "DELETE")
def group_detail(request: HttpRequest, connection_id: str, group_id: str) -> HttpResponse:
    group = _group(request, connection_id, group_id)
    if request.method == "DELETE":
        services.external_group_delete(actor=request.actor, group=group)
        return no_content()
    if request.method == "PATCH":
        body = read_json(request)
        changes = {k: body[k] for k in ("displayName", "description") if k in body}
        services.external_group_update(actor=request.actor, group=group, changes=changes)
        return no_content()
    fragment = f"external/connections('{group.connection.connection_id}')/groups/$entity"
    return _entity(request, fragment, group_json(group))


@api_view("GET", "POST")
def member_list(request: HttpRequest, connection_id: str, group_id: str) -> HttpResponse:
    group = _group(request, connection_id, group_id)
    fragment = f"external/connections('{group.connection.connection_id}')/groups('{group.group_id}')/members"
    if request.method == "POST":
        ref = validation.member(read_json(request))
        row = services.external_group_member_add(actor=request.actor, group=group, member=ref)
        return _entity(request, f"{fragment}/$entity", member_json(request, row), status=201)
    rows = selectors.external_group_members(group)
    return _collection(request, fragment, [member_json(request, row) for row in rows])


@api_view("GET", "DELETE")
def member_detail(request: HttpRequest, connection_id: str, group_id: str, member_id: str) -> HttpResponse:
    group = _group(request, connection_id, group_id)
    row = selectors.external_group_member(group, member_id)
    if row is None:
        raise errors.not_found(member_id[:128])
    if request.method == "DELETE":
        ref = validation.MemberRef(row.member_kind, row.member_key)
        services.external_group_member_remove(actor=request.actor, group=group, member=ref)
        return no_content()
    fragment = (
        f"external/connections('{group.connection.connection_id}')/groups('{group.group_id}')/members/$entity"
    )
    return _entity(request, fragment, member_json(request, row))


@api_view("GET", "PUT", "DELETE")
def item_detail(request: HttpRequest, connection_id: str, external_item_id: str) -> HttpResponse:
    item_id = external_item_id
    if request.method == "PUT":
        connection = _connection(request, connection_id, UPDATE)
        spec = validation.item(read_json(request))
        item, created = services.external_item_put(
            actor=request.actor, connection=connection, item_id=item_id, spec=spec
        )
        acl = list(item.acl_entries.all())
        fragment = f"external/connections('{connection.connection_id}')/items/$entity"
        return _entity(request, fragment, item_json(request, item, acl), status=200)
    connection = _connection(request, connection_id)
    item = selectors.get_item(connection, item_id)
    if request.method == "DELETE":
        services.external_item_delete(actor=request.actor, item=item)
        return no_content()
    fragment = f"external/connections('{connection.connection_id}')/items/$entity"
    return _entity(request, fragment, item_json(request, item, list(item.acl_entries.all())))
