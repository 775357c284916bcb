"""External connections as Graph's JSON, in each version's shape (``microsoft.graph.externalConnectors``).

v1.0: a member is an ``identity`` (``{"id", "type": "user" | "group" | "externalGroup"}``) and an ACL
entry ``{"type", "value", "accessType"}``; beta: a member is an ``externalGroupMember`` (``{"id", "type":
"user" | "group", "identitySource": "azureActiveDirectory" | "external"}``) and an ACL entry carries
``identitySource`` too (an external group as ``type: group, identitySource: external``, as seed 001).
"""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest

from groups.connections.models import (
    AclType,
    ExternalAclEntry,
    ExternalConnection,
    ExternalGroup,
    ExternalGroupMember,
    ExternalItem,
)

NAMESPACE = "#microsoft.graph.externalConnectors"


def is_beta(request: HttpRequest) -> bool:
    return request.path.startswith("/beta/")


def connection_json(connection: ExternalConnection) -> dict[str, Any]:
    return {
        "id": connection.connection_id,
        "name": connection.name,
        "description": connection.description,
        "state": connection.state,
    }


def group_json(group: ExternalGroup) -> dict[str, Any]:
    return {
        "id": group.group_id,
        "displayName": group.display_name or None,
        "description": group.description or None,
    }


def member_json(request: HttpRequest, row: ExternalGroupMember) -> dict[str, Any]:
    kind, key = row.member_kind, row.member_key
    if is_beta(request):
        external = kind == "externalGroup"
        return {
            "@odata.type": f"{NAMESPACE}.externalGroupMember",
            "id": key,
            "type": "group" if external else kind,
            "identitySource": "external" if external else "azureActiveDirectory",
        }
    return {"@odata.type": f"{NAMESPACE}.identity", "id": key, "type": kind}


def acl_json(request: HttpRequest, entry: ExternalAclEntry, tenant_id: Any) -> dict[str, Any]:
    value = entry.value or str(tenant_id)  # Graph names the tenant for everyone / everyoneExceptGuests
    data = {"type": entry.type, "value": value, "accessType": entry.access_type}
    if is_beta(request):
        external = entry.type == AclType.EXTERNAL_GROUP
        data["type"] = "group" if external else entry.type
        data["identitySource"] = "external" if external else "azureActiveDirectory"
    return data


def item_json(request: HttpRequest, item: ExternalItem, acl: list[ExternalAclEntry]) -> dict[str, Any]:
    tenant_id = item.connection.tenant_id
    return {
        "@odata.type": f"{NAMESPACE}.externalItem",
        "id": item.item_id,
        "acl": [acl_json(request, e, tenant_id) for e in acl],
        "properties": item.properties,
        "content": {"type": item.content_type, "value": item.content_value},
    }
