"""/directoryObjects/{id} and the answer for paths the API doesn't have."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse, JsonResponse

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
    data = select(readable_json(request, obj, typed=True), options.select)
    return JsonResponse({"@odata.context": context_url(request, "directoryObjects/$entity"), **data})


@api_view("GET", "POST", "PATCH", "PUT", "DELETE")
def unknown_segment(request: HttpRequest, rest: str) -> HttpResponse:
    segment = next((s for s in rest.split("/") if s), "")
    raise errors.bad_request(f"Resource not found for the segment '{segment}'.")
