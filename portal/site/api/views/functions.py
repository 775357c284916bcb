"""Graph's directory functions: getMemberGroups, getMemberObjects, checkMemberObjects (on users, groups,
devices, service principals and /me) and POST /directoryObjects/getByIds.

Memberships are transitive, as Graph's, and only as far as the caller may see them: every group on the
way up must be one whose members the caller may read (``groups.selectors``). Groupdesk has no directory
role objects, so getMemberObjects answers groups only.
"""

from __future__ import annotations

import uuid
from typing import Any

from django.http import HttpRequest, HttpResponse, JsonResponse

from groups.models import Group, GroupKind
from groups.selectors import readable_transitive_group_ids
from portal.authz import can, user_read_access
from portal.models import Device, ServicePrincipal, User
from portal.site.api import errors
from portal.site.api.auth import api_view, read_json
from portal.site.api.options import parse_select, raw_options
from portal.site.api.serializers import select
from portal.site.api.views.common import context_url, readable_json
from portal.site.api.views.relations import subject_of

MAX_CHECK_IDS = 20  # checkMemberObjects, as checkMemberGroups
MAX_BY_IDS = 1000  # getByIds
BY_IDS_TYPES = {"user": User, "group": Group, "device": Device, "serviceprincipal": ServicePrincipal}


def _strings(request: HttpRequest, key: str, limit: int) -> list[str]:
    body = read_json(request)
    values = body.get(key)
    if not isinstance(values, list) or not all(isinstance(v, str) for v in values):
        raise errors.bad_request(f'The body must be {{"{key}": ["<id>", ...]}}.')
    if len(values) > limit:
        raise errors.bad_request(f"{key} may hold at most {limit} ids.", code=errors.REQUEST_BAD_REQUEST)
    return values


def _uuids(values: list[str]) -> list[uuid.UUID]:
    ids = []
    for value in values:
        try:
            ids.append(uuid.UUID(value))
        except ValueError:
            raise errors.bad_request(
                f"Invalid object identifier '{value}'.", code=errors.REQUEST_BAD_REQUEST
            ) from None
    return ids


def _member_groups(request: HttpRequest, subject: Any, *, security_only: bool) -> list[str]:
    reached = readable_transitive_group_ids(request.actor, subject)
    groups = Group.objects.for_tenant(request.api_tenant).alive().filter(id__in=reached)
    if security_only:
        groups = groups.filter(kind__in=[GroupKind.SECURITY, GroupKind.MAIL_ENABLED_SECURITY])
    return sorted(str(pk) for pk in groups.values_list("pk", flat=True))


def _strings_response(request: HttpRequest, ids: list[str]) -> JsonResponse:
    return JsonResponse({"@odata.context": context_url(request, "Collection(Edm.String)"), "value": ids})


def _security_only(request: HttpRequest) -> bool:
    value = read_json(request).get("securityEnabledOnly", False)
    if not isinstance(value, bool):
        raise errors.bad_request(
            "securityEnabledOnly must be true or false.", code=errors.REQUEST_BAD_REQUEST
        )
    return value


@api_view("POST")
def get_member_groups(request: HttpRequest, kind: str, object_id: str | None = None) -> HttpResponse:
    """The groups the object belongs to, directly or through nesting."""
    subject = subject_of(request, kind, object_id)
    return _strings_response(request, _member_groups(request, subject, security_only=_security_only(request)))


@api_view("POST")
def get_member_objects(request: HttpRequest, kind: str, object_id: str | None = None) -> HttpResponse:
    """As getMemberGroups (Graph adds directory roles and administrative units: Groupdesk has none)."""
    subject = subject_of(request, kind, object_id)
    return _strings_response(request, _member_groups(request, subject, security_only=_security_only(request)))


@api_view("POST")
def check_member_objects(request: HttpRequest, kind: str, object_id: str | None = None) -> HttpResponse:
    """Which of the given ids are groups the object belongs to (directly or through nesting)."""
    subject = subject_of(request, kind, object_id)
    wanted = {str(pk) for pk in _uuids(_strings(request, "ids", MAX_CHECK_IDS))}
    belongs = [pk for pk in _member_groups(request, subject, security_only=False) if pk in wanted]
    return _strings_response(request, belongs)


def _readable(request: HttpRequest, obj: Any) -> bool:
    if isinstance(obj, Group):
        return can(request.actor, "standard/read", obj)
    if isinstance(obj, User):
        return bool(user_read_access(request.actor, obj))
    return obj.pk == request.actor.pk or bool(user_read_access(request.actor))


def _by_ids_types(body: dict[str, Any]) -> list[type]:
    types = body.get("types")
    if types is None:
        return list(BY_IDS_TYPES.values())
    if not isinstance(types, list) or not all(isinstance(t, str) for t in types):
        raise errors.bad_request('"types" must be a list such as ["user", "group"].')
    models = []
    for name in types:
        model = BY_IDS_TYPES.get(name.lower().removeprefix("microsoft.graph."))
        if model is None:
            raise errors.bad_request(
                f"'{name}' isn't a type getByIds returns.", code=errors.REQUEST_BAD_REQUEST
            )
        models.append(model)
    return models


@api_view("POST")
def get_by_ids(request: HttpRequest) -> HttpResponse:
    """POST /directoryObjects/getByIds: the objects of the given ids (and types) the caller may read, in
    the order of the ids; unknown or unreadable ids are left out, as Graph does."""
    body = read_json(request)
    ids = _uuids(_strings(request, "ids", MAX_BY_IDS))
    selected = parse_select(raw_options(request).get("$select", ""), "directoryObject")
    found: dict[uuid.UUID, Any] = {}
    for model in _by_ids_types(body):
        objects = model.objects.for_tenant(request.api_tenant).filter(pk__in=ids)
        if model in (User, Group):
            objects = objects.filter(deleted_date_time__isnull=True)
        if model is User:
            objects = objects.prefetch_related("multi_values")
        found.update({obj.pk: obj for obj in objects if _readable(request, obj)})
    value = [
        select(readable_json(request, found[pk], typed=True, selected=selected), selected)
        for pk in dict.fromkeys(ids)
        if pk in found
    ]
    return JsonResponse({"@odata.context": context_url(request, "directoryObjects"), "value": value})
