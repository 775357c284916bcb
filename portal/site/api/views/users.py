"""/users, /users/{id|userPrincipalName}, /me."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse, JsonResponse

from portal import roles
from portal.authz import authorize
from portal.models import User
from portal.services import user_create, user_delete, user_update
from portal.site.api.auth import api_view, read_json
from portal.site.api.paging import Source, paginate, parse_options
from portal.site.api.payloads import user_changes, user_create_args
from portal.site.api.views.common import (
    api_root,
    collection_response,
    count_response,
    counted,
    entity_response,
    me,
    no_content,
    user_for,
)


def users_of(tenant):
    return (
        User.objects.for_tenant(tenant)
        .filter(deleted_date_time__isnull=True)
        .prefetch_related("multi_values")
    )


@api_view("GET", "POST")
def user_list(request: HttpRequest, count: bool = False) -> HttpResponse:
    if request.method == "POST" and not count:
        return _user_create(request)
    authorize(request.actor, roles.USERS_READ)
    options = parse_options(request, "user")
    source = Source(users_of(request.api_tenant), filter_resource="user")
    if count:
        return count_response(request, counted(options), [source])
    page = paginate(request, options, [source], tenant=request.api_tenant)
    return collection_response(request, options, page, "users")


def _user_create(request: HttpRequest) -> HttpResponse:
    """POST /users: Graph's required properties (passwordProfile among them), then the one service that
    creates users; the sign-in name must be on a verified domain, as in Entra."""
    args = user_create_args(read_json(request))
    user = user_create(actor=request.actor, tenant=request.api_tenant, **args)
    user = User.objects.prefetch_related("multi_values").get(pk=user.pk)
    response = entity_response(request, user, "users/$entity", status=201)
    response["Location"] = f"{api_root(request)}/users/{user.pk}"
    return response


@api_view("GET", "PATCH", "DELETE")
def user_detail(request: HttpRequest, user_id: str) -> HttpResponse:
    user = user_for(request, user_id)
    if request.method == "DELETE":
        # Soft delete, as Graph's: restorable for 30 days from /directory/deletedItems.
        user_delete(actor=request.actor, user=user)
        return no_content()
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
