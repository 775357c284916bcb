"""/directoryObjects/{id} and the answer for paths the API doesn't have."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.urls import Resolver404, resolve

from groups.models import Group
from portal import roles
from portal.authz import authorize, user_read_access
from portal.models import User
from portal.site.api import errors
from portal.site.api.auth import api_view
from portal.site.api.paging import parse_options
from portal.site.api.serializers import select
from portal.site.api.views.common import context_url, directory_object_for, readable_json


@api_view("GET")
def directory_object(request: HttpRequest, object_id: str) -> HttpResponse:
    options = parse_options(request, "directoryObject", collection=False)
    obj = directory_object_for(request, object_id)
    if isinstance(obj, Group):
        authorize(request.actor, "standard/read", obj)
    elif isinstance(obj, User):
        if not (access := user_read_access(request.actor, obj)):
            raise errors.denied(access.reason)
    elif obj.pk != request.actor.pk:
        # Devices and apps: what lists the directory's users reads them too.
        authorize(request.actor, roles.USERS_READ)
    data = select(readable_json(request, obj, typed=True, selected=options.select), options.select)
    return JsonResponse({"@odata.context": context_url(request, "directoryObjects/$entity"), **data})


# Paths that lead somewhere without being an answer themselves (/directory/deletedItems/<cast>).
INTERMEDIATE_PATHS = frozenset({"directory", "directory/deletedItems"})


def _resolves(prefix: str, version: str) -> bool:
    if prefix in INTERMEDIATE_PATHS:
        return True
    try:
        match = resolve(f"/{version}/{prefix}")
    except Resolver404:
        return False
    return match.url_name != "unknown_segment"


def unresolved_segment(version: str, rest: str) -> str:
    """The first segment of ``rest`` that no route knows, as Graph names it: the one after the longest
    prefix that resolves (``/groups/{id}/nope`` → ``nope``, ``/nope/x`` → ``nope``)."""
    segments = [s for s in rest.split("/") if s]
    for end in range(len(segments) - 1, 0, -1):
        if _resolves("/".join(segments[:end]), version):
            return segments[end]
    return segments[0] if segments else ""


@api_view("GET", "POST", "PATCH", "PUT", "DELETE")
def unknown_segment(request: HttpRequest, rest: str) -> HttpResponse:
    version = request.path.strip("/").split("/")[0]
    segment = unresolved_segment(version, rest)[:200]
    raise errors.bad_request(f"Resource not found for the segment '{segment}'.")
