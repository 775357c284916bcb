"""/users, /users/{id|userPrincipalName}, /me."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse, JsonResponse

from portal import roles
from portal.authz import authorize
from portal.models import User
from portal.services import user_update
from portal.site.api.auth import api_view, read_json
from portal.site.api.paging import Source, paginate, parse_options
from portal.site.api.payloads import user_changes
from portal.site.api.views.common import collection_response, entity_response, me, no_content, user_for


def users_of(tenant):
    return (
        User.objects.for_tenant(tenant)
        .filter(deleted_date_time__isnull=True)
        .prefetch_related("multi_values")
    )


@api_view("GET")
def user_list(request: HttpRequest) -> HttpResponse:
    authorize(request.actor, roles.USERS_READ)
    options = parse_options(request, "user")
    source = Source(users_of(request.api_tenant), filter_resource="user")
    page = paginate(request, options, [source], tenant=request.api_tenant)
    return collection_response(request, options, page, "users")


@api_view("GET", "PATCH")
def user_detail(request: HttpRequest, user_id: str) -> HttpResponse:
    user = user_for(request, user_id)
    if request.method == "PATCH":
        updated = user_update(actor=request.actor, user=user, changes=user_changes(read_json(request)))
        return _patched(updated)
    return entity_response(request, user, "users/$entity", parse_options(request, "user", collection=False))


def _patched(user: User) -> HttpResponse:
    """Graph answers a PATCH with 204. When re-enabling an account could not put back every membership
    its disabling removed (the caller couldn't have added them), the answer is 200 and says which and
    why, in the instance annotation ``@groupdesk.notRestored``."""
    report = getattr(user, "restore_report", None)
    if report is None or not report.not_restored:
        return no_content()
    return JsonResponse(
        {
            "id": str(user.pk),
            "accountEnabled": user.account_enabled,
            "@groupdesk.notRestored": report.not_restored,
        }
    )


@api_view("GET", "PATCH")
def me_detail(request: HttpRequest) -> HttpResponse:
    user = me(request)
    if request.method == "PATCH":
        user_update(actor=request.actor, user=user, changes=user_changes(read_json(request)))
        return no_content()
    return entity_response(request, user, "users/$entity", parse_options(request, "user", collection=False))
