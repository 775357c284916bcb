"""/devices/: the tenant's devices and service principals (directory objects groups may contain)."""

from __future__ import annotations

from uuid import UUID

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models import Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.views.decorators.http import require_GET

from groups.models import Membership
from portal import roles
from portal.authz import actor_context, authorize
from portal.models import Device, ServicePrincipal, User

PAGE_SIZE = 50


def _authorize_directory(actor: User) -> None:
    authorize(actor, roles.USERS_READ)
    if not actor_context(actor).has_tenant_permission(roles.USERS_READ):
        raise PermissionDenied("Only administrators browse the devices of the organization.")


@login_required
@require_GET
def device_list(request: HttpRequest) -> HttpResponse:
    _authorize_directory(request.user)
    kind = "servicePrincipals" if request.GET.get("kind") == "servicePrincipals" else "devices"
    q = request.GET.get("q", "").strip()[:100]
    if kind == "devices":
        objects = Device.objects.for_tenant(request.user.tenant).order_by("display_name", "id")
        if q:
            objects = objects.filter(
                Q(display_name__icontains=q) | Q(operating_system__icontains=q) | Q(model__icontains=q)
            )
    else:
        objects = ServicePrincipal.objects.for_tenant(request.user.tenant).order_by("display_name", "id")
        if q:
            objects = objects.filter(display_name__icontains=q)
    page = Paginator(objects, PAGE_SIZE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    context = {"page": page, "kind": kind, "q": q, "query": query.urlencode()}
    if request.htmx:
        return render(request, "portal/devices.html#results", context)
    return render(request, "portal/devices.html", context)


@login_required
@require_GET
def device_detail(request: HttpRequest, device_id: UUID) -> HttpResponse:
    _authorize_directory(request.user)
    device = get_object_or_404(Device.objects.for_tenant(request.user.tenant), pk=device_id)
    memberships = (
        Membership.objects.filter(member_device=device)
        .select_related("group")
        .order_by("group__display_name")
    )
    collections: dict[str, list[str]] = {}
    for attribute, value in device.multi_values.order_by("attribute", "value").values_list(
        "attribute", "value"
    ):
        collections.setdefault(attribute, []).append(value)
    return render(
        request,
        "portal/device_detail.html",
        {"device": device, "memberships": memberships, "collections": collections},
    )
