from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.db import connection
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from portal import roles
from portal.authz import authorize


@require_GET
@never_cache
def healthz(request: HttpRequest) -> HttpResponse:
    """200 when the database answers; 503 otherwise (for load balancers and monitors)."""
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except Exception as exc:  # noqa: BLE001 - any database failure means unhealthy
        return JsonResponse({"status": "unhealthy", "database": str(exc.__class__.__name__)}, status=503)
    return JsonResponse({"status": "ok", "database": "ok"})


@login_required
def home(request: HttpRequest) -> HttpResponse:
    return redirect("my_groups")


def _empty_state(request: HttpRequest, title: str, text: str) -> HttpResponse:
    return render(request, "portal/empty_state.html", {"title": title, "text": text})


@login_required
def user_list(request: HttpRequest) -> HttpResponse:
    authorize(request.user, roles.USERS_READ)
    return _empty_state(request, "Users", "The people of your organization will be listed here.")


@login_required
def role_list(request: HttpRequest) -> HttpResponse:
    authorize(request.user, roles.ROLES_READ)
    return _empty_state(request, "Roles", "Built-in and custom roles will be listed here.")


@login_required
def audit_log(request: HttpRequest) -> HttpResponse:
    authorize(request.user, roles.AUDIT_READ)
    return _empty_state(request, "Audit log", "Every change made in your organization will be listed here.")


@login_required
def group_settings(request: HttpRequest) -> HttpResponse:
    authorize(request.user, roles.SETTINGS_READ)
    return _empty_state(request, "Group settings", "Tenant-wide group settings will be edited here.")


@login_required
def license_list(request: HttpRequest) -> HttpResponse:
    authorize(request.user, roles.SETTINGS_READ)
    return _empty_state(request, "Licenses", "Group-based licensing will be managed here.")


@login_required
def connection_list(request: HttpRequest) -> HttpResponse:
    authorize(request.user, roles.SETTINGS_READ)
    return _empty_state(
        request, "External connections", "External connections and their groups will be listed here."
    )
