"""/roleManagement/directory/roleDefinitions and /roleAssignments: the roles of /roles/, as Graph shows
them, changed through the same services (``portal.services.roles``: same rights, same audit events,
enforced by the one authorization function on the next request).

Built-in roles keep Entra's template ids; a custom role's id is its own. ``rolePermissions`` lists seed
003's resource actions. An assignment's ``directoryScopeId`` is "/" (the tenant) or "/{group id}".
"""

from __future__ import annotations

import re
import uuid
from typing import Any

from django.http import HttpRequest, HttpResponse, JsonResponse

from groups.models import Group
from portal import roles
from portal.authz import authorize
from portal.models import CustomRole, RoleAssignment, User
from portal.services import (
    custom_role_create,
    custom_role_delete,
    custom_role_update,
    role_assignment_create,
    role_assignment_delete,
)
from portal.site.api import errors
from portal.site.api.auth import api_view, read_json
from portal.site.api.views.common import api_root, context_url, no_content, readable_json

# Entra's role template ids of the built-in roles Groupdesk has.
BUILTIN_IDS: dict[str, str] = {
    "globalAdministrator": "62e90394-69f5-4237-9190-012177145e10",
    "privilegedRoleAdministrator": "e8611ab8-c189-46e8-94e1-60213ab1f814",
    "groupsAdministrator": "fdd7a751-b60b-444a-984c-02652fe8fa1c",
    "userAdministrator": "fe930be7-5e62-47db-91af-98c3a49a38b1",
    "directoryReaders": "88d8e3e3-8f55-4a1e-953a-9b9898b8876b",
    "reportsReader": "4a5d8f65-41da-4de4-8968-e035b65339cf",
    "guestInviter": "95e79109-95c0-4d8e-aee3-d01accf2d47b",
    "searchAdministrator": "0964bb5e-9bdb-4d7b-ac29-58e794862a40",
}
BUILTIN_BY_ID = {v: k for k, v in BUILTIN_IDS.items()}
_CATALOG_ORDER = {p: i for i, p in enumerate([*roles.CATALOG, roles.ROLE_ASSIGNABLE_GROUPS_MANAGE])}
_CLAUSE = re.compile(r"^\s*(\w+)\s+eq\s+(?:'((?:[^']|'')*)'|(true|false))\s*$", re.IGNORECASE)


def _definition(
    *, id: str, name: str, description: str, permissions: list[str], builtin: bool
) -> dict[str, Any]:
    return {
        "id": id,
        "description": description,
        "displayName": name,
        "isBuiltIn": builtin,
        "isEnabled": True,
        "resourceScopes": ["/"],
        "templateId": id,
        "version": "1" if builtin else None,
        "rolePermissions": [{"allowedResourceActions": permissions, "condition": None}],
    }


def builtin_json(key: str) -> dict[str, Any]:
    role = roles.BUILTIN_ROLES[key]
    permissions = sorted(role.permissions, key=lambda p: _CATALOG_ORDER.get(p, len(_CATALOG_ORDER)))
    return _definition(
        id=BUILTIN_IDS[key],
        name=role.display_name,
        description=role.description,
        permissions=permissions,
        builtin=True,
    )


def custom_json(role: CustomRole) -> dict[str, Any]:
    return _definition(
        id=str(role.pk),
        name=role.display_name,
        description=role.description,
        permissions=list(role.permissions),
        builtin=False,
    )


def _filters(request: HttpRequest, allowed: set[str]) -> dict[str, str]:
    """``$filter`` as {property: value}: ``eq`` clauses joined by ``and`` on the properties Graph
    filters these collections by."""
    text = request.GET.get("$filter")
    if text is None:
        return {}
    found: dict[str, str] = {}
    for clause in re.split(r"\s+and\s+", text, flags=re.IGNORECASE):
        match = _CLAUSE.match(clause)
        if not match or match.group(1) not in allowed:
            raise errors.bad_request(
                f"Invalid filter clause: supported are {', '.join(sorted(allowed))} with eq, joined by and.",
                code="Request_UnsupportedQuery",
            )
        found[match.group(1)] = (
            (match.group(2) or "").replace("''", "'") if match.group(3) is None else match.group(3).lower()
        )
    return found


def _custom_role(request: HttpRequest, definition_id: str) -> CustomRole:
    try:
        pk = uuid.UUID(definition_id)
    except ValueError:
        raise errors.not_found(definition_id) from None
    role = CustomRole.objects.for_tenant(request.api_tenant).filter(pk=pk).first()
    if role is None:
        raise errors.not_found(definition_id)
    return role


def _permissions_from(body: dict[str, Any]) -> list[str]:
    permissions = body.get("rolePermissions")
    if not isinstance(permissions, list) or not permissions:
        raise errors.bad_request(
            'rolePermissions is required: [{"allowedResourceActions": [...]}].', code="Request_BadRequest"
        )
    actions: list[str] = []
    for item in permissions:
        allowed = item.get("allowedResourceActions") if isinstance(item, dict) else None
        if not isinstance(allowed, list) or not all(isinstance(a, str) for a in allowed):
            raise errors.bad_request(
                "allowedResourceActions is a list of strings.", code="Request_BadRequest"
            )
        actions += allowed
    return actions


def _text(body: dict[str, Any], key: str, default: str = "") -> str:
    value = body.get(key, default)
    if value is None:
        return default
    if not isinstance(value, str):
        raise errors.bad_request(f"{key} must be a string.", code="Request_BadRequest")
    return value


@api_view("GET", "POST")
def definition_list(request: HttpRequest) -> HttpResponse:
    if request.method == "POST":
        body = read_json(request)
        if body.get("isEnabled") is False:
            raise errors.bad_request(
                "Groupdesk's custom roles are always enabled.", code="Request_BadRequest"
            )
        role = custom_role_create(
            actor=request.actor,
            display_name=_text(body, "displayName"),
            description=_text(body, "description"),
            permissions=_permissions_from(body),
        )
        response = JsonResponse(
            {
                "@odata.context": context_url(request, "roleManagement/directory/roleDefinitions/$entity"),
                **custom_json(role),
            },
            status=201,
        )
        response["Location"] = f"{api_root(request)}/roleManagement/directory/roleDefinitions/{role.pk}"
        return response
    authorize(request.actor, roles.ROLES_READ)
    wanted = _filters(request, {"displayName", "isBuiltIn", "id", "templateId"})
    value = [builtin_json(key) for key in roles.BUILTIN_ROLES]
    value += [custom_json(r) for r in CustomRole.objects.for_tenant(request.api_tenant)]
    value = [d for d in value if all(str(d[k]).lower() == v.lower() for k, v in wanted.items())]
    return JsonResponse(
        {"@odata.context": context_url(request, "roleManagement/directory/roleDefinitions"), "value": value}
    )


@api_view("GET", "PATCH", "DELETE")
def definition_detail(request: HttpRequest, definition_id: str) -> HttpResponse:
    key = BUILTIN_BY_ID.get(definition_id.lower())
    if key is not None:
        if request.method != "GET":
            raise errors.bad_request(
                "Built-in role definitions can't be changed or deleted.", code="Request_BadRequest"
            )
        authorize(request.actor, roles.ROLES_READ)
        body = builtin_json(key)
    else:
        role = _custom_role(request, definition_id)
        if request.method == "DELETE":
            custom_role_delete(actor=request.actor, role=role)
            return no_content()
        if request.method == "PATCH":
            changes = read_json(request)
            custom_role_update(
                actor=request.actor,
                role=role,
                display_name=_text(changes, "displayName", role.display_name),
                description=_text(changes, "description", role.description),
                permissions=_permissions_from(changes) if "rolePermissions" in changes else role.permissions,
            )
            return no_content()
        authorize(request.actor, roles.ROLES_READ, role)
        body = custom_json(role)
    context = context_url(request, "roleManagement/directory/roleDefinitions/$entity")
    return JsonResponse({"@odata.context": context, **body})


# --- role assignments -------------------------------------------------------------------------------


def assignment_json(assignment: RoleAssignment) -> dict[str, Any]:
    principal_id = assignment.principal_user_id or assignment.principal_group_id
    definition = BUILTIN_IDS.get(assignment.builtin_role) or str(assignment.custom_role_id)
    return {
        "id": str(assignment.pk),
        "principalId": str(principal_id),
        "roleDefinitionId": definition,
        "directoryScopeId": f"/{assignment.scope_group_id}" if assignment.scope_group_id else "/",
        "appScopeId": None,
        "condition": None,
    }


def _assignments(request: HttpRequest):
    return RoleAssignment.objects.for_tenant(request.api_tenant).select_related(
        "custom_role", "principal_user", "principal_group", "scope_group"
    )


def _expanded(request: HttpRequest, assignment: RoleAssignment, expand: set[str]) -> dict[str, Any]:
    data = assignment_json(assignment)
    if "principal" in expand:
        principal = assignment.principal_user or assignment.principal_group
        data["principal"] = readable_json(request, principal, typed=True)
    if "roleDefinition" in expand:
        data["roleDefinition"] = (
            builtin_json(assignment.builtin_role)
            if assignment.builtin_role
            else custom_json(assignment.custom_role)
        )
    return data


def _expand_option(request: HttpRequest) -> set[str]:
    raw = request.GET.get("$expand")
    if raw is None:
        return set()
    wanted = {p.strip() for p in raw.split(",") if p.strip()}
    unknown = wanted - {"principal", "roleDefinition"}
    if unknown:
        raise errors.bad_request(
            f"Could not find a navigation property named '{sorted(unknown)[0][:64]}' on type "
            "'microsoft.graph.unifiedRoleAssignment'.",
        )
    return wanted


def _assignment_filter(request: HttpRequest, assignments):
    wanted = _filters(request, {"principalId", "roleDefinitionId", "directoryScopeId", "id"})
    rows = [
        a
        for a in assignments
        if all(str(assignment_json(a)[k]).lower() == v.lower() for k, v in wanted.items())
    ]
    return rows


def _principal(request: HttpRequest, principal_id: Any) -> Any:
    try:
        pk = uuid.UUID(str(principal_id))
    except ValueError:
        raise errors.bad_request(
            f"Invalid principalId '{str(principal_id)[:64]}'.", code="Request_BadRequest"
        ) from None
    user = User.objects.for_tenant(request.api_tenant).filter(pk=pk).first()
    if user is not None:
        return user
    group = Group.objects.for_tenant(request.api_tenant).alive().filter(pk=pk).first()
    if group is None:
        raise errors.not_found(pk)
    return group


def _role_of(request: HttpRequest, definition_id: Any) -> str | CustomRole:
    text = str(definition_id or "").lower()
    if text in BUILTIN_BY_ID:
        return BUILTIN_BY_ID[text]
    return _custom_role(request, text)


def _scope(request: HttpRequest, directory_scope_id: Any) -> Group | None:
    text = str(directory_scope_id or "/")
    if text == "/":
        return None
    try:
        pk = uuid.UUID(text.removeprefix("/").removeprefix("groups/").removeprefix("administrativeUnits/"))
    except ValueError:
        raise errors.bad_request(
            f"directoryScopeId must be '/' or '/{{group id}}', not '{text[:64]}'.", code="Request_BadRequest"
        ) from None
    group = Group.objects.for_tenant(request.api_tenant).alive().filter(pk=pk).first()
    if group is None:
        raise errors.not_found(pk)
    return group


@api_view("GET", "POST")
def assignment_list(request: HttpRequest) -> HttpResponse:
    if request.method == "POST":
        body = read_json(request)
        assignment = role_assignment_create(
            actor=request.actor,
            role=_role_of(request, body.get("roleDefinitionId")),
            principal=_principal(request, body.get("principalId")),
            scope_group=_scope(request, body.get("directoryScopeId")),
        )
        context = context_url(request, "roleManagement/directory/roleAssignments/$entity")
        response = JsonResponse({"@odata.context": context, **assignment_json(assignment)}, status=201)
        response["Location"] = f"{api_root(request)}/roleManagement/directory/roleAssignments/{assignment.pk}"
        return response
    authorize(request.actor, roles.ROLES_READ)
    expand = _expand_option(request)
    rows = _assignment_filter(request, _assignments(request).order_by("created_date_time", "id"))
    return JsonResponse(
        {
            "@odata.context": context_url(request, "roleManagement/directory/roleAssignments"),
            "value": [_expanded(request, a, expand) for a in rows],
        }
    )


@api_view("GET", "DELETE")
def assignment_detail(request: HttpRequest, role_assignment_id: str) -> HttpResponse:
    try:
        pk = uuid.UUID(role_assignment_id)
    except ValueError:
        raise errors.not_found(role_assignment_id[:64]) from None
    assignment = _assignments(request).filter(pk=pk).first()
    if assignment is None:
        raise errors.not_found(role_assignment_id)
    if request.method == "DELETE":
        role_assignment_delete(actor=request.actor, assignment=assignment)
        return no_content()
    authorize(request.actor, roles.ROLES_READ)
    context = context_url(request, "roleManagement/directory/roleAssignments/$entity")
    return JsonResponse(
        {"@odata.context": context, **_expanded(request, assignment, _expand_option(request))}
    )
