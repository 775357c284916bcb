"""/devices and /servicePrincipals: list and get (read with what reads users, as /directoryObjects)."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse

from portal import roles
from portal.authz import authorize
from portal.models import Device, ServicePrincipal
from portal.site.api.auth import api_view
from portal.site.api.paging import Source, paginate, parse_options
from portal.site.api.views.common import (
    collection_response,
    count_response,
    counted,
    device_or_app_for,
    entity_response,
)

KINDS = {
    "devices": (Device, "device"),
    "servicePrincipals": (ServicePrincipal, "servicePrincipal"),
}


@api_view("GET")
def object_list(request: HttpRequest, kind: str, count: bool = False) -> HttpResponse:
    authorize(request.actor, roles.USERS_READ)
    model, resource = KINDS[kind]
    options = parse_options(request, resource)
    source = Source(model.objects.for_tenant(request.api_tenant))
    if count:
        return count_response(request, counted(options), [source])
    page = paginate(request, options, [source], tenant=request.api_tenant)
    return collection_response(request, options, page, kind)


@api_view("GET")
def object_detail(request: HttpRequest, kind: str, object_id: str) -> HttpResponse:
    _, resource = KINDS[kind]
    options = parse_options(request, resource, collection=False)
    obj = device_or_app_for(request, kind, object_id)
    return entity_response(request, obj, f"{kind}/$entity", options)
